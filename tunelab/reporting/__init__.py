"""The HTML report of a study (``report.html``), and the best configuration as code.

The report draws :mod:`tunelab.visualization`'s figures (the same as in Python and in the
dashboard): the optimization history with the best so far, the Pareto front and its trade-off table
for several objectives (infeasible trials marked), parameter importance with each estimate's spread
and trial count (:mod:`tunelab.importance`), parallel coordinates over the parameters most trials
share, intermediate values with pruned trials marked, the timeline, the learning rates of the best
trials, each schedule family's values (the best decaying schedule against the best constant
learning rate) and a table of the trials. One file that works offline (plotly.js inlined from the
installed ``plotly`` package, extra ``plot``), or a small file beside ``plotly.min.js``.
"""

from __future__ import annotations

from tunelab._lazy import lazy

#: Public names and their private modules, imported on first use: the command line imports this
#: package for its output helpers and must not pay for scipy and numpy at every start.
_LAZY = {
    "keras_code": "_code",
    "plain_params": "_code",
    "render": "_html",
    "torch_code": "_code",
    "write_report": "_html",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy("tunelab.reporting", globals(),
                             attrs={name: f"tunelab.reporting.{module}" for name, module in _LAZY.items()})
