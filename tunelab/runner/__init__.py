"""Tune an existing training script without rewriting it.

``tunelab run CONFIG`` runs the script once per trial as a subprocess (never through a shell) with
the trial's parameters as ``--name=value`` arguments, environment variables or a JSON file. The
script reports with one line, either ``tunelab.report(val_loss, step=epoch)`` or by printing
``tunelab: step=3 val_loss=0.25``; see :mod:`tunelab.runner._protocol` for the whole contract
and :mod:`tunelab.runner._script` for how outcomes (crash, timeout, NaN, pruning, Ctrl-C) are
recorded.

In the script::

    import tunelab
    for epoch in range(epochs):
        val_loss = train_one_epoch()
        tunelab.report(val_loss, step=epoch)
        if tunelab.should_prune():
            break
    tunelab.report(val_loss)

>>> from tunelab.runner import parse_line
>>> parse_line("tunelab: step=1 loss=0.5")
(1, {'loss': 0.5})
"""

from tunelab.runner._budget import counted, remaining
from tunelab.runner._client import load_params_file, params, report, schedule, should_prune
from tunelab.runner._protocol import parse_line
from tunelab.runner._run import make_objective, open_study, run_config
from tunelab.runner._script import ScriptFailedError, ScriptObjective, interrupt

__all__ = [
    "ScriptObjective",
    "ScriptFailedError",
    "counted",
    "interrupt",
    "load_params_file",
    "make_objective",
    "open_study",
    "params",
    "parse_line",
    "remaining",
    "report",
    "run_config",
    "schedule",
    "should_prune",
]
