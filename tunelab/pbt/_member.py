"""One member's interval as a trial: what ``train(member, state)`` receives, and the objective
that loads the starting checkpoint, trains, saves the new one and records the learning rate."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tunelab._errors import InvalidArgumentError, TunelabError
from tunelab.pbt import _checkpoints
from tunelab.pbt._lineage import ATTR, lineage_schedule
from tunelab.schedules import Schedule

__all__ = ["Member", "PBTError"]


class PBTError(TunelabError, RuntimeError):
    """Population-based training cannot go on (a member's interval failed every retry, a checkpoint
    it must start from is missing, the study holds a run with other settings)."""


def member_seed(seed: int | None, member: int, generation: int) -> int:
    """A 32-bit seed for one member's interval, derived from the run's ``seed``."""
    return int(np.random.SeedSequence([0 if seed is None else seed, member, generation]).generate_state(1)[0])


class Member:
    """One interval of one population member, as ``train(member, state)`` sees it.

    Attributes:
        trial: the interval's :class:`~tunelab.Trial` (or a :class:`~tunelab.FixedTrial` in
            :func:`~tunelab.pbt.replay`): suggest the hyperparameters on it as in any objective; a
            member that copied a top member gets that member's values, explored.
        member: which member of the population (0 ... population_size - 1).
        generation: which interval (0 ... n_generations - 1).
        start, stop: the budget units (epochs, or steps) this interval trains, ``[start, stop)``;
            ``units`` is ``range(start, stop)``.
        seed: a seed for this member and interval (derived from the run's seed).
        checkpoint: the directory to resume from (None in generation 0); ``state`` is what ``load``
            read from it.
        save_path: a fresh directory for a ``train`` that writes its own checkpoint (``save=None``).
        steps_per_unit: optimizer steps per budget unit; the schedule counts optimizer steps.
    """

    def __init__(self, trial: Any, *, member: int, generation: int, start: int, stop: int, seed: int,
                 checkpoint: Path | None, save_path: Path | None, settings: dict[str, Any],
                 lrs: list[float], schedule: Schedule | None = None) -> None:
        self.trial = trial
        self.member = member
        self.generation = generation
        self.start = start
        self.stop = stop
        self.seed = seed
        self.checkpoint = checkpoint
        self.save_path = save_path
        self.steps_per_unit = int(settings["steps_per_unit"])
        self._settings = settings
        self._lrs = list(lrs)
        self._schedule = schedule

    def __repr__(self) -> str:
        return (f"Member(member={self.member}, generation={self.generation}, units=[{self.start}, {self.stop}), "
                f"trial={self.trial.number})")

    @property
    def units(self) -> range:
        return range(self.start, self.stop)

    @property
    def steps(self) -> range:
        """The optimizer steps of this interval (``units`` times ``steps_per_unit``)."""
        return range(self.start * self.steps_per_unit, self.stop * self.steps_per_unit)

    @property
    def schedule(self) -> Schedule:
        """The learning rate of this member's lineage up to the end of this interval (optimizer steps
        from 0): evaluate it at ``step`` in ``steps`` for the rate to train with. The trial must have
        suggested ``lr_param`` first."""
        if self._schedule is not None:
            return self._schedule
        name = self._settings.get("lr_param")
        if not name:
            raise InvalidArgumentError("lr_param=None is invalid for Member.schedule: name the learning-rate "
                                       "parameter with PopulationBasedTraining(lr_param='lr')")
        if name not in self.trial.params:
            raise InvalidArgumentError(
                f"lr_param={name!r} is invalid for Member.schedule: the trial has no parameter of that name yet "
                f"(it has {sorted(self.trial.params)}); suggest it first, e.g. "
                f"trial.suggest_float({name!r}, 1e-4, 1e-1, log=True)")
        s = self._settings
        return lineage_schedule([*self._lrs, float(self.trial.params[name])], interval=s["interval"],
                                budget=s["budget"], steps_per_unit=s["steps_per_unit"], segment=s["lr_segment"])

    def lr(self, step: int) -> float:
        """``schedule(step)``: the learning rate at optimizer ``step``."""
        return self.schedule(step)

    def report(self, value: float, unit: int) -> None:
        """Report an intermediate value after budget unit ``unit`` (shown in the figures)."""
        self.trial.report(value, unit)


class IntervalObjective:
    """The objective each population trial runs (picklable: module-level, plain attributes)."""

    def __init__(self, train: Any, save: Any, load: Any, root: Path, settings: dict[str, Any]) -> None:
        self.train = train
        self.save = save
        self.load = load
        self.root = root
        self.settings = settings

    def __call__(self, trial: Any) -> float:
        info = trial.user_attrs.get(ATTR)
        if not isinstance(info, dict):
            raise PBTError(f"trial {trial.number} is not a population member (no {ATTR!r} user attribute): "
                           "PopulationBasedTraining.optimize runs only the trials it queued")
        parent = info.get("parent")
        checkpoint = None
        state = None
        if parent is not None:
            checkpoint = _checkpoints.checkpoint_path(self.root, parent)
            if not checkpoint.is_dir():
                raise PBTError(f"the checkpoint of trial {parent} that member {info['member']} starts generation "
                               f"{info['generation']} from is missing: {checkpoint}")
            if self.load is not None:
                state = self.load(checkpoint)
        writing = _checkpoints.Writing(self.root, trial.number)
        try:
            member = Member(trial, member=int(info["member"]), generation=int(info["generation"]),
                            start=int(info["start"]), stop=int(info["stop"]),
                            seed=member_seed(self.settings.get("seed"), int(info["member"]), int(info["generation"])),
                            checkpoint=checkpoint, save_path=writing.path, settings=self.settings,
                            lrs=list(info.get("lrs", [])))
            value, new_state = self._outcome(self.train(member, state))
            if self.save is not None:
                self.save(new_state, writing.path)
            if self.settings.get("lr_param"):
                trial.set_schedule(self.settings["lr_param"], member.schedule,
                                   total_steps=member.stop * member.steps_per_unit)
            writing.commit()
        except BaseException:
            writing.discard()
            raise
        return value

    def _outcome(self, out: Any) -> tuple[float, Any]:
        state = None
        if self.save is None:
            value = out
        else:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise InvalidArgumentError(
                    f"train returned {_short(out)}, which is invalid with save=: must return (value, state), "
                    "the state handed to save(state, path)")
            value, state = out
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"train returned value={_short(value)}, which is invalid: must be a "
                                       "number (the validation metric after the interval)") from None
        if math.isnan(number):
            raise InvalidArgumentError("train returned value=nan, which is invalid: must be a number that "
                                       "ranks members (not NaN)")
        return number, state


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
