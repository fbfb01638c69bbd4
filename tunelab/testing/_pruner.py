"""The pruner checks: what every :class:`~tunelab.pruners.Pruner` does, whatever its rule.

Each check runs small studies with pruners from ``make_pruner()`` (a fresh object per call).
Trials report at steps 0 to 8 and ask ``should_prune()`` after each report; "good" trials report
``1 / (step + 1)``, a "far worse" one ``10 + step``, worse than every good trial at every step and
never improving. ``earliest_step`` is the first step at which the pruner may stop such a trial
after four complete good ones (``None``: it never does, like ``NopPruner``).

A pruner that compares a trial only with a group of others (Hyperband's brackets) and exposes
``bracket(study_name, trial_number)`` gets studies named so that the judged trial shares its
group with an earlier one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import tunelab
from tunelab import TrialState
from tunelab.pruners import Pruner
from tunelab.testing._checks import Check, expect

MakePruner = Callable[[], Any]
MakeStorage = Callable[[], Any] | None
STEPS = range(9)


def good(step: int) -> float:
    return 1.0 / (step + 1)


def bad(step: int) -> float:
    return 10.0 + step  # worse than every good trial, and never improving


def new_pruner(make_pruner: MakePruner) -> Any:
    """``make_pruner()``, required to be a Pruner."""
    pruner = make_pruner()
    expect(isinstance(pruner, Pruner),
           f"make_pruner() returned {pruner!r} (type {type(pruner).__name__}), not a tunelab Pruner")
    return pruner


def _study(make_pruner: MakePruner, make_storage: MakeStorage, *, judged: Iterable[int] = (4,),
           study_name: str | None = None, **kwargs: Any) -> Any:
    pruner = new_pruner(make_pruner)
    return tunelab.create_study(storage=make_storage() if make_storage else None, pruner=pruner,
                                study_name=study_name or _study_name(pruner, tuple(judged)), **kwargs)


def _study_name(pruner: Any, judged: tuple[int, ...]) -> str:
    """A name under which trials ``judged`` each share a group (``pruner.bracket``) with one of trials 0-3."""
    bracket = getattr(pruner, "bracket", None)
    if not callable(bracket):
        return "conformance"
    for i in range(1000):
        name = f"conformance-{i}"
        earlier = {bracket(name, k) for k in range(4)}
        if all(bracket(name, n) in earlier for n in judged):
            return name
    raise AssertionError(f"no study name puts trials {judged} in a bracket with an earlier trial")


def run(study: Any, curve: Callable[[int], Any], steps: Iterable[int] = STEPS, *,
        finish: bool = True) -> tuple[list[int], Any]:
    """Report ``curve`` at ``steps``, asking after each; return the steps at which the pruner said stop."""
    steps = list(steps)
    trial = study.ask()
    said = []
    for s in steps:
        trial.report(curve(s), s)
        if trial.should_prune():
            said.append(s)
    if finish:
        study.tell(trial, curve(max(steps)))
    return said, trial


# -- the checks ----------------------------------------------------------------------------------------------

def check_unreported_trial_is_kept(make_pruner: MakePruner, *, earliest_step: int | None,
                                   make_storage: MakeStorage) -> None:
    """A trial that reported nothing is never pruned."""
    study = _study(make_pruner, make_storage)
    for _ in range(4):
        run(study, good)
    expect(study.ask().should_prune() is False, "a trial without reports was pruned")


def check_first_trial_is_kept(make_pruner: MakePruner, *, earliest_step: int | None,
                              make_storage: MakeStorage) -> None:
    """The first trial of a study is never pruned while its values are finite."""
    said, _ = run(_study(make_pruner, make_storage), lambda s: 1.0 + 0.1 * (s % 2))
    expect(said == [], f"the study's first trial was pruned at steps {said}")


def check_far_worse_trial_is_pruned(make_pruner: MakePruner, *, earliest_step: int | None,
                                    make_storage: MakeStorage) -> None:
    """A trial far worse than four complete ones is pruned from ``earliest_step`` on, and stored PRUNED."""
    study = _study(make_pruner, make_storage)
    for _ in range(4):
        run(study, good)
    said, trial = run(study, bad, finish=False)
    if earliest_step is None:
        expect(said == [], f"pruned at steps {said}, though earliest_step=None says it never prunes this trial")
        return
    expect(said, "a trial far worse than every other was never pruned")
    expect(min(said) >= earliest_step, f"pruned at step {min(said)}, before earliest_step={earliest_step}")
    study.tell(trial, state=TrialState.PRUNED)
    stored = study.trials[-1].state
    expect(stored == TrialState.PRUNED, f"the pruned trial is stored {stored.name}")


def check_decisions_are_reproducible(make_pruner: MakePruner, *, earliest_step: int | None,
                                     make_storage: MakeStorage) -> None:
    """The same reports in the same order get the same decisions, and do not all get the same one.

    A study of 14 trials at varied levels (two far worse than the rest) is run once; its stored
    reports are then replayed, trial by trial, into a new study with a new pruner, which must
    decide exactly as the first did at every step. Unless ``earliest_step`` is None, the
    decisions must include both stops and continues, so that equal decisions mean something.
    """
    first_study = _study(make_pruner, make_storage, study_name="replayed")
    first = [_decide(first_study, _varied(k)) for k in range(14)]
    stored = [dict(t.intermediate_values) for t in first_study.get_trials()]
    replay_study = _study(make_pruner, make_storage, study_name="replayed")
    again = [_decide(replay_study, history.__getitem__, sorted(history)) for history in stored]
    differ = next((k for k, (a, b) in enumerate(zip(first, again)) if a != b), None)
    expect(differ is None, f"trial {differ}: decisions by step {first[differ] if differ is not None else ''} "
                           f"in the study, {again[differ] if differ is not None else ''} when its stored "
                           "reports were replayed")
    decisions = [d for trial in first for _, d in trial]
    if earliest_step is not None:
        expect(True in decisions and False in decisions,
               f"the pruner answered {decisions[0]} to all {len(decisions)} questions about a history of "
               "varied trials: expected some trials stopped and some kept")


def check_repeated_question_same_answer(make_pruner: MakePruner, *, earliest_step: int | None,
                                        make_storage: MakeStorage) -> None:
    """``should_prune()`` asked again without a new report gives the same answer (it is a question)."""
    study = _study(make_pruner, make_storage, study_name="replayed")
    for k in range(14):
        _decide(study, _varied(k), ask_twice=True)


def check_maximize_prunes_low_values(make_pruner: MakePruner, *, earliest_step: int | None,
                                     make_storage: MakeStorage) -> None:
    """In a maximised study the far worse trial is the one with low values; it is pruned, the good ones kept."""
    study = _study(make_pruner, make_storage, direction="maximize")
    for _ in range(4):
        said, _ = run(study, lambda s: 100.0 - good(s))
        expect(said == [], f"a good trial of a maximised study was pruned at steps {said}")
    said, _ = run(study, lambda s: -bad(s), finish=False)
    expect(bool(said) == (earliest_step is not None),
           f"the far worse trial was pruned at steps {said} (earliest_step={earliest_step})")
    expect(not said or min(said) >= earliest_step, f"pruned at step {said[:1]}, before earliest_step")


def check_nan_reports_stop_a_trial(make_pruner: MakePruner, *, earliest_step: int | None,
                                   make_storage: MakeStorage) -> None:
    """A trial reporting NaN is pruned from ``earliest_step`` on."""
    study = _study(make_pruner, make_storage)
    for _ in range(4):
        run(study, good)
    said, _ = run(study, lambda s: math.nan, finish=False)
    expect(said, "a trial reporting NaN at every step was never pruned")
    expect(earliest_step is None or min(said) >= earliest_step,
           f"pruned at step {min(said)}, before earliest_step={earliest_step}")


def check_multi_objective_prunes_dominated_only(make_pruner: MakePruner, *, earliest_step: int | None,
                                                make_storage: MakeStorage) -> None:
    """With two objectives, a trial on the Pareto front is kept and a dominated one pruned."""
    study = _study(make_pruner, make_storage, judged=(4, 5), directions=["minimize", "maximize"])
    for _ in range(4):
        run(study, lambda s: [good(s), 1.0 - good(s)])
    # better than every finished trial on the second objective: on the Pareto front, never stopped
    said, _ = run(study, lambda s: [bad(s), 2.0], finish=False)
    expect(said == [], f"a trial on the Pareto front was pruned at steps {said}")
    said, _ = run(study, lambda s: [bad(s), -1.0], finish=False)
    expect(said, "a trial dominated by every other was never pruned")
    expect(earliest_step is None or min(said) >= earliest_step,
           f"pruned at step {min(said)}, before earliest_step={earliest_step}")


# -- the replayed history ------------------------------------------------------------------------------------

def _varied(k: int) -> Callable[[int], float]:
    """Trial ``k``'s curve: levels spread over [0, 4], some rising, some falling; trials 6 and 11 far worse."""
    if k in (6, 11):
        return bad
    level = (k * 7) % 5
    slope = 0.05 * (1 if k % 2 else -1)
    return lambda s: level + good(s) + slope * s


def _decide(study: Any, curve: Callable[[int], float], steps: Iterable[int] = STEPS, *,
            ask_twice: bool = False) -> list[tuple[int, bool]]:
    """Run one trial like an objective would, stopping when pruned; its decisions by step."""
    trial = study.ask()
    decisions = []
    for s in steps:
        trial.report(curve(s), s)
        said = trial.should_prune()
        if ask_twice:
            again = trial.should_prune()
            expect(said == again, f"trial {trial.number}, asked twice at step {s} without a new report: "
                                  f"should_prune() said {said}, then {again}")
        decisions.append((s, said))
        if said:
            study.tell(trial, state=TrialState.PRUNED)
            return decisions
    study.tell(trial, curve(s))
    return decisions


#: Every pruner check, in the order they run.
PRUNER_CHECKS = tuple(Check(f.__name__.removeprefix("check_"), f) for f in (
    check_unreported_trial_is_kept,
    check_first_trial_is_kept,
    check_far_worse_trial_is_pruned,
    check_decisions_are_reproducible,
    check_repeated_question_same_answer,
    check_maximize_prunes_low_values,
    check_nan_reports_stop_a_trial,
    check_multi_objective_prunes_dominated_only,
))
