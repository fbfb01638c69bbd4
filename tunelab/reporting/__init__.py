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

from tunelab.reporting._code import keras_code, plain_params, torch_code
from tunelab.reporting._html import family_rows, render, write_report
from tunelab.reporting._importance import correlation_ratio, importance_scores, importances

__all__ = [
    "correlation_ratio",
    "family_rows",
    "importance_scores",
    "importances",
    "keras_code",
    "plain_params",
    "render",
    "torch_code",
    "write_report",
]
