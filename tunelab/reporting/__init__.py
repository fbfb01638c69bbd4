"""The HTML report of a study (``report.html``), and the best configuration as code.

The report is one self-contained file (plotly.js inlined from the installed ``plotly`` package,
extra ``plot``; no network needed): optimization history with the best-so-far line, parameter
importance (see :mod:`tunelab.reporting._importance` for the measure), parallel coordinates with
log axes, intermediate values with pruned trials marked, the learning-rate schedules of the best
trials, the best value per schedule family (the best decaying schedule against the best constant
learning rate) and a table of every trial.

>>> from tunelab.reporting import correlation_ratio
>>> correlation_ratio([1, 1, 2, 2], [0.0, 0.0, 1.0, 1.0])
1.0
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public names and their private modules, imported on first use: the command line imports this
#: package for its output helpers and must not pay for scipy and numpy at every start.
_LAZY = {
    "correlation_ratio": "_importance",
    "family_rows": "_html",
    "importance_scores": "_importance",
    "importances": "_importance",
    "keras_code": "_code",
    "plain_params": "_code",
    "render": "_html",
    "torch_code": "_code",
    "write_report": "_html",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"tunelab.reporting.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tunelab.reporting' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
