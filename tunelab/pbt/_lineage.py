"""Reading a population back from its study: intervals, lineages, and the winner's schedule.

Shape: each member of the population is a *chain of trials*, one trial per interval. A trial's
user attribute ``"pbt"`` says which member and generation it is, which units of the budget it
trained (``start`` to ``stop``), and which trial's checkpoint it started from (``parent``: the
member's own previous trial, or the top member it copied). Following ``parent`` links from a
last-generation trial back to generation 0 gives its lineage: the hyperparameters and learning
rates that produced its weights, interval by interval.

The learning rate a lineage used is one exact :class:`~tunelab.schedules.Schedule`: each interval
contributes a segment over its optimizer steps, constant at the interval's rate or (``"linear"``)
ramping from the previous interval's rate to this one's, and the segments are joined with
``join_schedules`` (equal neighbouring constants merged).

>>> s = lineage_schedule([0.1, 0.1, 0.05], interval=2, budget=6, steps_per_unit=10, segment="constant")
>>> s
join_schedules(schedules=[constant_schedule(value=0.1), constant_schedule(value=0.05)], boundaries=[40])
>>> s(39), s(40), s(10**6)
(0.1, 0.05, 0.05)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from tunelab._records import FrozenTrial, TrialState
from tunelab.schedules import Schedule, constant_schedule, join_schedules, linear_schedule

__all__ = ["PBTResult", "result"]

#: The trial user attribute holding a trial's place in the population.
ATTR = "pbt"
#: Study system attributes: the run's settings, and the exploit/explore events of generation g.
CONFIG_KEY = "pbt:config"
EVENTS_PREFIX = "pbt:generation:"


def n_generations(budget: int, interval: int) -> int:
    return math.ceil(budget / interval)


def bounds(generation: int, *, interval: int, budget: int) -> tuple[int, int]:
    """The units ``[start, stop)`` that ``generation`` trains."""
    return generation * interval, min((generation + 1) * interval, budget)


def lineage_schedule(lrs: Sequence[float], *, interval: int, budget: int, steps_per_unit: int,
                     segment: str) -> Schedule:
    """The schedule of a lineage whose generation ``i`` used rate ``lrs[i]`` (see the module notes)."""
    pieces: list[tuple[int, float, float, int]] = []  # (first step, value at it, value at the end, steps)
    for g, lr in enumerate(lrs):
        start, stop = bounds(g, interval=interval, budget=budget)
        first, length = start * steps_per_unit, (stop - start) * steps_per_unit
        begin = float(lrs[g - 1]) if segment == "linear" and g > 0 else float(lr)
        if pieces and begin == pieces[-1][1] == pieces[-1][2] == float(lr):
            continue  # the same constant goes on
        pieces.append((first, begin, float(lr), length))
    schedules = [constant_schedule(a) if a == b else linear_schedule(a, b, n) for _, a, b, n in pieces]
    if len(schedules) == 1:
        return schedules[0]
    return join_schedules(schedules, [p[0] for p in pieces[1:]])


@dataclasses.dataclass(frozen=True)
class Interval:
    """One finished interval of one member: a COMPLETE trial and its place in the population."""

    number: int
    member: int
    generation: int
    start: int
    stop: int
    parent: int | None
    value: float
    params: dict[str, Any]

    @staticmethod
    def of(trial: FrozenTrial) -> Interval:
        info = trial.user_attrs[ATTR]
        return Interval(trial.number, int(info["member"]), int(info["generation"]), int(info["start"]),
                        int(info["stop"]), info.get("parent"), float(trial.value), dict(trial.params))


def intervals(trials: Sequence[FrozenTrial]) -> dict[tuple[int, int], Interval]:
    """``{(generation, member): Interval}`` of the COMPLETE population trials (the first one where a
    retry also completed: a member's interval counts once)."""
    out: dict[tuple[int, int], Interval] = {}
    for t in sorted(trials, key=lambda t: t.number):
        if t.state == TrialState.COMPLETE and isinstance(t.user_attrs.get(ATTR), dict):
            iv = Interval.of(t)
            out.setdefault((iv.generation, iv.member), iv)
    return out


def chain(done: dict[tuple[int, int], Interval], last: Interval) -> list[Interval]:
    """The lineage of ``last``: its intervals from generation 0, following ``parent`` links."""
    by_number = {iv.number: iv for iv in done.values()}
    out = [last]
    while out[-1].parent is not None:
        out.append(by_number[out[-1].parent])
    return out[::-1]


@dataclasses.dataclass(frozen=True)
class PBTResult:
    """What a population-based training run found.

    Attributes:
        best_value: the winner's value after the last interval.
        best_trial: the number of the winner's last trial (its checkpoint holds the trained weights).
        member: the winning member.
        lineage: the winner's trials from generation 0 to the last (:class:`Interval` records).
        schedule: the learning rate each optimizer step of the winning lineage used, one exact
            :class:`~tunelab.schedules.Schedule` (None without ``lr_param``).
        params: the hyperparameters of each interval of the lineage, in order.
        checkpoint: the directory of the winner's last checkpoint (None once removed).
        settings: the run's settings as stored with the study (budget, interval, steps_per_unit ...).
    """

    best_value: float
    best_trial: int
    member: int
    lineage: tuple[Interval, ...]
    schedule: Schedule | None
    params: tuple[dict[str, Any], ...]
    checkpoint: Any = None
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)


def result(study: Any) -> PBTResult:
    """The :class:`PBTResult` of the population-based training stored in ``study`` (finished or not:
    the best member of the latest complete generation)."""
    from tunelab._errors import InvalidArgumentError
    from tunelab.pbt._checkpoints import checkpoint_path

    config = study.system_attrs.get(CONFIG_KEY)
    done = intervals(study.get_trials(states=(TrialState.COMPLETE,)))
    if config is None or not done:
        raise InvalidArgumentError(f"study={study.study_name!r} is invalid for tunelab.pbt.result: it holds no "
                                   "finished population-based training interval")
    population = int(config["population_size"])
    complete = [g for g in sorted({g for g, _ in done}) if all((g, m) in done for m in range(population))]
    last_gen = complete[-1] if complete else max(g for g, _ in done)
    last = [iv for (g, _), iv in done.items() if g == last_gen]
    sign = -1.0 if study.direction.name == "MAXIMIZE" else 1.0
    best = min(last, key=lambda iv: (sign * iv.value, iv.member))
    lineage = chain(done, best)
    schedule = None
    if config.get("lr_param"):
        schedule = lineage_schedule([iv.params[config["lr_param"]] for iv in lineage], interval=config["interval"],
                                    budget=config["budget"], steps_per_unit=config["steps_per_unit"],
                                    segment=config["lr_segment"])
    path = checkpoint_path(config["checkpoint_dir"], best.number)
    return PBTResult(best.value, best.number, best.member, tuple(lineage), schedule,
                     tuple(iv.params for iv in lineage), path if path.exists() else None, dict(config))
