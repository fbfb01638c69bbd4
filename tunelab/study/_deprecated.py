"""Optuna's deprecated suggest methods, kept as thin aliases of ``suggest_float`` so older scripts run
after the import swap: each warns once per call site (FutureWarning) and names its replacement."""

from __future__ import annotations

import warnings


def _moved(old: str, new: str) -> None:
    warnings.warn(f"{old} is Optuna's deprecated spelling; tunelab runs it as {new}", FutureWarning, stacklevel=3)


class OldSuggestions:
    """``suggest_uniform``, ``suggest_loguniform`` and ``suggest_discrete_uniform`` (Optuna 2's names)."""

    __slots__ = ()

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """``suggest_float(name, low, high)``."""
        _moved("suggest_uniform(name, low, high)", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)  # type: ignore[attr-defined]

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """``suggest_float(name, low, high, log=True)``."""
        _moved("suggest_loguniform(name, low, high)", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)  # type: ignore[attr-defined]

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """``suggest_float(name, low, high, step=q)``."""
        _moved("suggest_discrete_uniform(name, low, high, q)", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)  # type: ignore[attr-defined]
