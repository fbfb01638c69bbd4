"""The script's side: ``tunelab.report`` and ``tunelab.should_prune`` inside a script run by ``tunelab run``.

In a job of the tunelab Hydra sweeper (``hydra/sweeper=tunelab``, run in the sweeper's process)
they report to and ask that job's trial. Elsewhere (no ``TUNELAB_TRIAL`` in the environment, no
sweep) both are harmless: ``report`` does nothing and ``should_prune`` answers False, so the same
script still runs on its own.

Under ``tunelab run``, a script whose trial has finished meanwhile (its run was stopped or died
and the trial was failed and queued again elsewhere) ends at its next ``report`` or
``should_prune``: it exits with status 1 and a line saying why, rather than train on for a trial
that no longer takes its results.
"""

from __future__ import annotations

import json
import numbers
import os
import sys
import time
from typing import Any

from tunelab._errors import InvalidArgumentError, TrialFinishedError, invalid, wrong_type
from tunelab.runner import _protocol as P

_context: dict[str, Any] = {}


def _trial() -> dict[str, Any] | None:
    """The running trial named by the environment (looked up once per process)."""
    if os.environ.get(P.ENV_TRIAL) is None:
        return None
    key = (os.environ[P.ENV_STORAGE], os.environ[P.ENV_STUDY], os.environ[P.ENV_TRIAL])
    if _context.get("key") != key:
        from tunelab.storage import get_storage

        storage = get_storage(os.environ[P.ENV_STORAGE])
        study_id = storage.get_study_id(os.environ[P.ENV_STUDY])
        number = int(os.environ[P.ENV_TRIAL])
        _context.clear()
        _context.update(
            key=key,
            storage=storage, study_id=study_id, trial_id=storage.get_trial_id(study_id, number),
            objective=tuple(os.environ.get(P.ENV_METRICS, "").split(",")), known={}, last_step=None,
        )
    return _context


def report(value: float | None = None, step: int | None = None, **metrics: float) -> None:
    """Report the objective ``value`` (and any other ``metrics``) at ``step``, or as final with no step.

    ``value`` is the objective metric named in the config (it may be given by name in ``metrics``
    instead). A report with a ``step`` is an intermediate value the pruner sees; one without is the
    trial's result. When the script trains one rung of a config with ``[pruner] budget``, the rung's
    value is its final report, else its last one with a step (the pruner judges rungs, not steps). In a tunelab Hydra sweep, ``report(value, step)`` reports to the job's trial (a
    final value is the job's return value there); elsewhere this does nothing.

    >>> report(0.25, step=3, accuracy=0.9)   # not under tunelab run: no effect
    """
    if step is not None and (isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0):
        raise invalid("step", step, "None (the final value) or a non-negative integer")
    for name, v in [("value", value), *metrics.items()]:
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            try:
                float(v)  # numpy scalars, 0-d tensors
            except (TypeError, ValueError):
                raise wrong_type(name, v, "a real number") from None
    ctx = _trial()
    if ctx is None:
        live = _live_trial()
        if live is not None and step is not None and value is not None:
            live.report(float(value), int(step))
        return
    given = {k: float(v) for k, v in metrics.items()}
    if value is not None:
        if len(ctx["objective"]) != 1:
            raise InvalidArgumentError(f"value={value!r} is ambiguous for the metrics {list(ctx['objective'])}: "
                                       "report them by name, e.g. report(loss=..., latency=...)")
        given[ctx["objective"][0]] = float(value)
    if not given:
        raise InvalidArgumentError("report() needs a value or named metrics")
    if os.environ.get(P.ENV_RUNG) is not None:  # one rung of a [pruner] budget: the rung's value, no steps
        keep, ctx["final_given"] = P.rung_report(step, ctx.get("final_given", False))
        if not keep:
            return
        step = None
    try:
        ctx["known"] = P.record(ctx["storage"], ctx["trial_id"], ctx["objective"], step, given, ctx["known"])
    except TrialFinishedError:
        _end_script(ctx)
    if step is not None:
        ctx["last_step"] = int(step)


def should_prune(*, wait: float = 10.0) -> bool:
    """Whether ``tunelab run``'s pruner stopped this trial at its last reported step.

    The decision is the run's own (the pruner of the config), made as soon as it sees the report;
    this waits up to ``wait`` seconds for it. After True, end the script (e.g. ``break`` out of the
    training loop and exit normally): the trial is recorded as PRUNED. Outside ``tunelab run``,
    False.

    >>> should_prune()
    False
    """
    ctx = _trial()
    if ctx is None:
        live = _live_trial()
        return bool(live is not None and live.should_prune())
    if ctx["last_step"] is None:
        return False
    storage, trial_id = ctx["storage"], ctx["trial_id"]
    deadline = time.monotonic() + wait
    while True:
        frozen = storage.get_trial(trial_id)
        if frozen.state.is_finished():
            _end_script(ctx)
        attrs = frozen.system_attrs
        if attrs.get(P.PRUNE_ATTR):
            return True
        if attrs.get(P.CHECKED_ATTR, -1) >= ctx["last_step"] or time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def _live_trial() -> Any:
    """The trial of a job the tunelab Hydra sweeper runs in this process (None elsewhere), so that a
    task reports with ``tunelab.report`` under Hydra as under ``tunelab run``."""
    hydra = sys.modules.get("tunelab.integrations.hydra")  # loaded by the sweeper when one runs here
    return None if hydra is None else hydra.trial()


def _end_script(ctx: dict[str, Any]) -> None:
    """End a script whose trial is finished already: nothing it does counts any more."""
    frozen = ctx["storage"].get_trial(ctx["trial_id"])
    raise SystemExit(f"tunelab: trial {frozen.number} is {frozen.state.name} already (its run was stopped or "
                     "gave it up); this script's results no longer count, so it stops here")


def params() -> dict[str, Any]:
    """The trial's parameters (what ``pass`` delivers, read back from the storage); {} outside a run."""
    ctx = _trial()
    if ctx is None:
        return {}
    return ctx["storage"].get_trial(ctx["trial_id"]).params


def schedule(name: str, *, total_steps: int) -> Any:
    """The trial's schedule ``name`` rebuilt for a training of ``total_steps`` steps.

    The search space samples a schedule's arguments as fractions of the training length; a script
    whose length depends on other parameters (batch size) rebuilds it here for its real horizon.
    The rebuilt schedule is stored with the trial, so the report shows the learning rate applied.
    """
    ctx = _trial()
    if ctx is None:
        raise InvalidArgumentError(f"schedule({name!r}) needs a trial: run the script with tunelab run")
    from tunelab import schedules
    from tunelab._records import SCHEDULE_KEY_PREFIX
    from tunelab.study._trial import schedule_record

    storage = ctx["storage"]
    spaces = storage.get_study_attrs(ctx["study_id"], "system").get(P.SPACES_ATTR, {})
    if name not in spaces:
        raise invalid("name", name, f"one of the schedule parameters {sorted(spaces)}")
    frozen = storage.get_trial(ctx["trial_id"])
    built = schedules.space_from_config(spaces[name]).build(frozen.params, name, total_steps=total_steps)
    record = schedule_record(built, total_steps, "schedule")  # with its horizon: figures draw exactly that
    storage.set_trial_attr(ctx["trial_id"], "core", SCHEDULE_KEY_PREFIX + name, record)
    steps = dict(frozen.user_attrs.get(P.SCHEDULE_STEPS_ATTR, {}), **{name: int(total_steps)})
    storage.set_trial_attr(ctx["trial_id"], "user", P.SCHEDULE_STEPS_ATTR, steps)
    return built


def load_params_file() -> dict[str, Any]:
    """The parameters of ``pass = "json"`` (the file named by ``TUNELAB_PARAMS_FILE``)."""
    path = os.environ.get(P.ENV_PARAMS_FILE)
    if not path:
        raise InvalidArgumentError(f"{P.ENV_PARAMS_FILE} is not set: run the script with tunelab run and "
                                   'pass = "json"')
    with open(path, encoding="utf-8") as f:
        return json.load(f)
