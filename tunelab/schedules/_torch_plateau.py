"""``ReduceLROnPlateau`` as a controller with explicit state (torch ``ReduceLROnPlateau``).

A metric-driven lr is not a function of the step, so it is not a :class:`Schedule`. The controller
is an immutable value holding the settings; everything that changes lives in a
:class:`PlateauState` that the caller keeps, stores and passes back: ``init()`` gives the first
state, ``update(state, metric)`` the next one, ``value(state)`` the lr. Nothing is hidden in a call.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from typing import Any

from tunelab._constraints import Integral, Options, Real
from tunelab.schedules._base import NON_NEGATIVE, POSITIVE, ScheduleError, family_args

__all__ = ["PlateauState", "ReduceLROnPlateau"]


@dataclasses.dataclass(frozen=True)
class PlateauState:
    """Everything :class:`ReduceLROnPlateau` remembers between metrics.

    Attributes:
        lr: the current learning rate.
        best: the best metric so far (``inf`` / ``-inf`` before the first one).
        num_bad_epochs: metrics since the last significant improvement.
        cooldown_counter: metrics left before bad epochs count again after a reduction.
        last_epoch: how many metrics have been seen.
    """

    lr: float
    best: float
    num_bad_epochs: int = 0
    cooldown_counter: int = 0
    last_epoch: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (infinite ``best`` as the string ``"inf"`` / ``"-inf"``)."""
        out = dataclasses.asdict(self)
        if not math.isfinite(self.best):
            out["best"] = repr(self.best)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlateauState:
        """Rebuild a state from :meth:`to_dict`'s output."""
        return cls(**{**data, "best": float(data["best"])})


@family_args({"base_lr": POSITIVE, "mode": Options("min", "max"), "factor": Real(0, 1, max_open=True),
              "patience": Integral(min=0, integral_floats=True), "threshold": NON_NEGATIVE,
              "threshold_mode": Options("rel", "abs"), "cooldown": Integral(min=0, integral_floats=True),
              "min_lr": NON_NEGATIVE, "eps": NON_NEGATIVE})
@dataclasses.dataclass(frozen=True)
class ReduceLROnPlateau:
    """Divide the lr by ``1 / factor`` when a metric stops improving (torch ``ReduceLROnPlateau``).

    On each ``update(state, metric)``: the metric is *better* when it beats ``best`` by the
    threshold (``mode="min"``: ``metric < best * (1 - threshold)`` in ``"rel"`` mode,
    ``metric < best - threshold`` in ``"abs"`` mode; mirrored for ``"max"``); then it becomes
    ``best`` and the bad count resets, otherwise the bad count grows. During a cooldown the counter
    ticks down and bad metrics are ignored. When the bad count exceeds ``patience`` the lr becomes
    ``max(lr * factor, min_lr)`` (skipped when that changes it by ``eps`` or less), the cooldown
    starts and the bad count resets. Identical to torch step by step, for one param group.

    Args:
        base_lr: the starting lr, > 0.
        mode: ``"min"`` or ``"max"``.
        factor: multiplier on reduction, 0 <= factor < 1.
        patience: bad metrics tolerated before reducing, an integer >= 0.
        threshold: size of a significant improvement, >= 0.
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: metrics to wait after a reduction, an integer >= 0.
        min_lr: lower bound on the lr, >= 0.
        eps: smallest change applied, >= 0.

    >>> plateau = ReduceLROnPlateau(1.0, factor=0.5, patience=1)
    >>> state = plateau.init()
    >>> for metric in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     state = plateau.update(state, metric)
    >>> plateau.value(state), state.num_bad_epochs
    (0.5, 1)
    >>> plateau.trace([3.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    base_lr: float
    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8

    family = "ReduceLROnPlateau"

    def init(self) -> PlateauState:
        """The state before any metric: ``lr = base_lr`` and the worst possible ``best``."""
        return PlateauState(lr=float(self.base_lr), best=math.inf if self.mode == "min" else -math.inf)

    def value(self, state: PlateauState) -> float:
        """The learning rate held in ``state``."""
        return state.lr

    def _is_better(self, metric: float, best: float) -> bool:
        if self.mode == "min":
            bar = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return metric < bar
        bar = best * (self.threshold + 1.0) if self.threshold_mode == "rel" else best + self.threshold
        return metric > bar

    def update(self, state: PlateauState, metric: Any) -> PlateauState:
        """The state after one more ``metric`` (a number or a 0-d tensor/array); ``state`` is unchanged."""
        try:
            current = float(metric)
        except (TypeError, ValueError):
            raise ScheduleError(f"metric={metric!r} is invalid for {self.family}: must be a number") from None
        best, bad, cooldown, lr = state.best, state.num_bad_epochs, state.cooldown_counter, state.lr
        if self._is_better(current, best):
            best, bad = current, 0
        else:
            bad += 1
        if cooldown > 0:
            cooldown, bad = cooldown - 1, 0
        if bad > self.patience:
            reduced = max(lr * self.factor, self.min_lr)
            if lr - reduced > self.eps:
                lr = reduced
            cooldown, bad = self.cooldown, 0
        return PlateauState(lr=lr, best=best, num_bad_epochs=bad, cooldown_counter=cooldown,
                            last_epoch=state.last_epoch + 1)

    def trace(self, metrics: Iterable[Any], state: PlateauState | None = None) -> list[float]:
        """The lr after each metric in turn, starting from ``state`` (default: :meth:`init`)."""
        state = self.init() if state is None else state
        out = []
        for metric in metrics:
            state = self.update(state, metric)
            out.append(state.lr)
        return out

    def to_config(self) -> dict[str, Any]:
        """``{"family": "ReduceLROnPlateau", "args": {...}}``, JSON-serialisable."""
        return {"family": self.family, "args": dataclasses.asdict(self)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReduceLROnPlateau:
        """Rebuild the controller from :meth:`to_config`'s output."""
        if not isinstance(config, dict) or config.get("family") != cls.family:
            raise ScheduleError(f"config={config!r} is invalid: must be a ReduceLROnPlateau config")
        return cls(**config["args"])
