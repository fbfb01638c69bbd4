"""``tunelab run`` of a config with ``[pbt]``: population-based training of a training script.

Each interval of each member is one trial and one run of the script (the same
:class:`~tunelab.runner._script.ScriptObjective` a search uses: its log, reports, heartbeats, Ctrl-C
and lost-script handling), with three values passed besides the parameters: the epoch to train up
to, the checkpoint to resume from (empty in the first interval) and where to save the new one
(see :mod:`tunelab.config._pbt`). The population itself is :class:`tunelab.pbt.PopulationBasedTraining`:
the script's checkpoint is written into the trial's fresh checkpoint folder, which becomes the
trial's checkpoint only when the script succeeded, so a script killed from outside (SIGKILL)
leaves nothing behind, and its interval runs again from the checkpoint it started from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunelab._errors import TunelabError
from tunelab.runner import _protocol as P
from tunelab.runner._script import ScriptFailedError, ScriptObjective

__all__: list[str] = []


class ScriptInterval:
    """``train(member, state)`` for :meth:`PopulationBasedTraining.optimize` (no ``save`` / ``load``):
    runs the script for ``member``'s interval and returns the value it reported.

    Args:
        objective: the config's script objective.
        arguments: ``{"epochs": name, "checkpoint_in": name, "checkpoint_out": name}``.
        checkpoint_file: the checkpoint's name inside each trial's checkpoint folder.
    """

    def __init__(self, objective: ScriptObjective, arguments: dict[str, str], checkpoint_file: str) -> None:
        self.objective = objective
        self.arguments = dict(arguments)
        self.checkpoint_file = checkpoint_file

    def __call__(self, member: Any, state: Any) -> float:
        names = self.arguments
        out = Path(member.save_path) / self.checkpoint_file
        given = "" if member.checkpoint is None else str(Path(member.checkpoint) / self.checkpoint_file)
        value = self.objective(member.trial, {names["epochs"]: member.stop, names["checkpoint_in"]: given,
                                              names["checkpoint_out"]: str(out)})
        if not out.exists():
            log = member.trial.user_attrs.get(P.LOG_ATTR, "")
            raise ScriptFailedError(f"the script exited 0 but saved no checkpoint at {names['checkpoint_out']}={out}: "
                                    f"it must save one there at the end of each interval (the next interval of "
                                    f"member {member.member} resumes from it); log: {log}")
        return value


def run_pbt(config: Any, study: Any, objective: ScriptObjective) -> Any:
    """Train the config's population on ``study`` to the end of its budget (or resume it); returns
    the :class:`~tunelab.pbt.PBTResult`. A script that fails (or is killed from outside) fails its
    interval only, which runs again from the same checkpoint up to ``[pbt] max_retries`` times."""
    spec = config.pbt
    train = ScriptInterval(objective, spec.arguments, spec.checkpoint_file)
    # a script trial is its own process: the driver only waits, so threads are enough
    executor = "thread" if config.n_jobs > 1 else None
    return spec.build().optimize(study, train, n_jobs=config.n_jobs, executor=executor,
                                 checkpoint_dir=spec.checkpoint_dir, catch=(ScriptFailedError,))


def heading(config: Any, study: Any, shown: str) -> str:
    """The first line ``tunelab run`` prints for a ``[pbt]`` config."""
    pbt = config.pbt.build()
    what = (f"{pbt.population_size} members x {pbt.n_generations} intervals of {pbt.interval} epochs "
            f"({pbt.budget} in all)")
    done = sum(1 for t in study.trials if t.state.name == "COMPLETE" and isinstance(t.user_attrs.get("pbt"), dict))
    if study.trials:
        return f"continuing population-based training {config.study_name!r} ({done} intervals done) in {shown}: {what}"
    return f"population-based training {config.study_name!r} in {shown}: {what}"


def summary(study: Any) -> str | None:
    """The end-of-run lines of a population-based training study (None when it has no finished
    interval)."""
    from tunelab.pbt import result
    from tunelab.pbt._lineage import CONFIG_KEY

    if study.system_attrs.get(CONFIG_KEY) is None:
        return None
    try:
        found = result(study)
    except TunelabError:  # no interval finished yet: nothing to sum up
        return None
    counts: dict[str, int] = {}
    for t in study.trials:
        counts[t.state.name.lower()] = counts.get(t.state.name.lower(), 0) + 1
    lines = [f"{len(study.trials)} trials: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
             f"population-based training: member {found.member} won with {found.best_value:.6g} "
             f"(trial {found.best_trial}, {len(found.lineage)} intervals)"]
    if found.schedule is not None:
        lines.append(f"its learning rate: {found.schedule!r}")
    if found.checkpoint is not None:
        lines.append(f"its checkpoint: {found.checkpoint}")
    return "\n".join(lines)
