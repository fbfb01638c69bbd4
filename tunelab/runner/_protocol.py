"""What a training script and ``tunelab run`` agree on: environment variables, printed lines, attributes.

A script run by ``tunelab run`` finds its trial in the environment:

=========================  ==========================================================================
``TUNELAB_STORAGE``        the study's storage URL
``TUNELAB_STUDY``          the study name
``TUNELAB_TRIAL``          the trial number
``TUNELAB_METRICS``        the objective metric name(s), comma-separated
``TUNELAB_PARAMS_FILE``    (``pass = "json"``) a JSON file with the trial's parameters
``TUNELAB_PARAM_<NAME>``   (``pass = "env"``) one variable per parameter, name upper-cased, ``.`` -> ``_``
=========================  ==========================================================================

and reports either by calling ``tunelab.report(value, step=None, **metrics)`` or by printing lines
of the form::

    tunelab: step=3 val_loss=0.25 accuracy=0.91     # an intermediate report at step 3
    tunelab: val_loss=0.21                          # the final value (no step)

A line is ``tunelab:`` followed by ``key=value`` pairs separated by spaces; values are numbers
(``nan`` and ``inf`` included). The objective value is the final report of the metric, or, when
the script reports none, its last intermediate value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

ENV_STORAGE = "TUNELAB_STORAGE"
ENV_STUDY = "TUNELAB_STUDY"
ENV_TRIAL = "TUNELAB_TRIAL"
ENV_METRICS = "TUNELAB_METRICS"
ENV_PARAMS_FILE = "TUNELAB_PARAMS_FILE"
ENV_PARAM_PREFIX = "TUNELAB_PARAM_"
#: Set (to the rung's budget) when the script trains one rung of a ``[pruner] budget`` config: its
#: reports are the rung's result, not intermediate values of the trial.
ENV_RUNG = "TUNELAB_RUNG"

#: Trial user attribute: the path of the trial's output log.
LOG_ATTR = "log"
#: Trial user attribute: the last value of every metric the script reported.
METRICS_ATTR = "metrics"
#: Trial user attribute: the horizon (steps) a script built each schedule for; as a study user
#: attribute, the config's nominal horizon of each schedule parameter.
SCHEDULE_STEPS_ATTR = "schedule_steps"
#: Trial system attributes the runner and the script exchange.
FINAL_ATTR = "runner:final"
PRUNE_ATTR = "runner:prune"
CHECKED_ATTR = "runner:checked_step"
#: Study system attribute: the schedule spaces by parameter name (configs), for rebuilding.
SPACES_ATTR = "runner:spaces"

_LINE = re.compile(r"^\s*tunelab:\s+(.*)$")


def parse_line(line: str) -> tuple[int | None, dict[str, float]] | None:
    """The (step, metrics) of a ``tunelab:`` report line, or None for any other line.

    >>> parse_line("tunelab: step=3 val_loss=0.25 acc=0.9")
    (3, {'val_loss': 0.25, 'acc': 0.9})
    >>> parse_line("tunelab: loss=nan")
    (None, {'loss': nan})
    >>> parse_line("epoch 3 done") is None
    True
    """
    m = _LINE.match(line)
    if not m:
        return None
    step: int | None = None
    metrics: dict[str, float] = {}
    for item in m.group(1).split():
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            return None
        try:
            if key == "step":
                step = int(text)
            else:
                metrics[key] = float(text)
        except ValueError:
            return None
    return (step, metrics) if metrics else None


def encode(value: Any) -> str:
    """A parameter value as a script receives it: strings as they are, the rest as JSON.

    >>> encode("adam"), encode(0.001), encode(True), encode({"family": "StepLR"})
    ('adam', '0.001', 'true', '{"family": "StepLR"}')
    """
    return value if isinstance(value, str) else json.dumps(value)


def env_name(name: str) -> str:
    """The environment variable carrying parameter ``name`` (``pass = "env"``).

    >>> env_name("lr.family")
    'TUNELAB_PARAM_LR_FAMILY'
    """
    return ENV_PARAM_PREFIX + re.sub(r"\W", "_", name).upper()


def rung_report(step: int | None, final_given: bool) -> tuple[bool, bool]:
    """A report made while the script trains one rung (``[pruner] budget``): the rung's value is the
    script's final report, else its last one with a step. Returns whether to record this report as
    the trial's final value (never as a step), and whether a final report has been made by now."""
    return not (step is not None and final_given), final_given or step is None


def record(storage: Any, trial_id: int, objective: tuple[str, ...], step: int | None,
           metrics: dict[str, float], known: dict[str, float]) -> dict[str, float]:
    """Store one report of ``metrics`` at ``step`` (None: final) for a running trial.

    The objective metric's value goes to the intermediate values (single objective, with a step)
    or to the final value; every metric's last value is kept in the ``metrics`` user attribute.
    ``known`` is the caller's running copy of that attribute; the updated copy is returned.
    """
    known = {**known, **{k: float(v) for k, v in metrics.items()}}
    if step is not None:
        known["step"] = step
        if len(objective) == 1 and objective[0] in metrics:
            storage.set_trial_intermediate_value(trial_id, step, float(metrics[objective[0]]))
    elif any(name in metrics for name in objective):
        storage.set_trial_attr(trial_id, "system", FINAL_ATTR,
                               {k: _jsonable(float(v)) for k, v in metrics.items() if k in objective})
    storage.set_trial_attr(trial_id, "user", METRICS_ATTR, {k: _jsonable(v) for k, v in known.items()})
    return known


def _jsonable(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def unjson(value: Any) -> float:
    """Back from :func:`record`'s storage form (``'nan'`` / ``'inf'`` are kept as text)."""
    return float(value)
