"""The ledger of a fault case: after the scenario and its recovery run, count what was lost, what is
stuck and what was done twice, and say why.

Every failed trial in the matrix failed because of the injected fault (the objectives never fail on
their own), so each must be repeated by exactly one retry (the matrix's storages allow one retry of a
lost trial, and an interrupted trial is always queued again). :func:`audit` counts:

* **lost**: a trial number missing from 0..n-1, a failed trial without a retry (problem kind "not
  repeated"), a retry that does not repeat the parameters its trial drew, a trial finished before
  the recovery that is not COMPLETE with the same result after it, and a budget short of COMPLETE
  trials (the largest of these shortfalls is the count);
* **stuck**: a trial left RUNNING or WAITING;
* **duplicated**: a trial number used twice, a trial repeated by more than one retry, a finished
  trial whose record changed afterwards (finished twice), a failed trial that holds a result (a late
  result written after the trial was given up), and COMPLETE trials beyond the budget (problem kind
  "over budget").

Each problem has a kind; a case whose problems are all of one kind raises that kind's exception
(:data:`FAILURES`), so that a case known to fail for one reason still fails loudly for another.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable

from tests.execution.checks import retries_of
from tunelab._records import FrozenTrial, TrialState

#: Kinds of problem, each with the exception a failing case raises when all its problems are of that kind.
KINDS = ("lost", "not repeated", "stuck", "duplicated", "over budget", "left alive", "misbehaved")


class CaseFailedError(AssertionError):
    """A fault case broke one of the matrix's promises; the message lists every problem."""

    kind = "several"


def _failure(kind: str) -> type[CaseFailedError]:
    name = "".join(word.capitalize() for word in kind.split()) + "Error"
    return type(name, (CaseFailedError,), {"kind": kind, "__doc__": f"A fault case with only {kind!r} problems."})


FAILURES = {kind: _failure(kind) for kind in KINDS}
(LostError, NotRepeatedError, StuckError, DuplicatedError, OverBudgetError, LeftAliveError,
 MisbehavedError) = FAILURES.values()


@dataclasses.dataclass(frozen=True)
class Problem:
    kind: str  # one of KINDS
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


@dataclasses.dataclass
class Audit:
    trials: int = 0
    lost: int = 0
    stuck: int = 0
    duplicated: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        self.problems.append(Problem(kind, text))

    def error(self) -> CaseFailedError | None:
        """The exception for this case's problems (a kind's own class when all share it), or None."""
        if not self.problems:
            return None
        kinds = {p.kind for p in self.problems}
        cls = FAILURES[kinds.pop()] if len(kinds) == 1 else CaseFailedError
        return cls("\n".join(f"  - {p}" for p in self.problems))


def snapshot(trials: Iterable[FrozenTrial]) -> dict[int, tuple]:
    """What each finished trial looks like now, by number: it must never change again."""
    return {t.number: (t.state, t.values) for t in trials if t.state.is_finished()}


def audit(trials: list[FrozenTrial], *, budget: int, before: dict[int, tuple] | None = None,
          result: Audit | None = None) -> Audit:
    """Count the lost, stuck and duplicated trials of a study after its recovery run (see the
    module notes); ``before`` is a :func:`snapshot` taken before the recovery run."""
    out = result if result is not None else Audit()
    out.trials = len(trials)
    numbers = Counter(t.number for t in trials)
    twice = sorted(n for n, c in numbers.items() if c > 1)
    missing = sorted(set(range(max(numbers, default=-1) + 1)) - set(numbers))
    duplicated = sum(numbers[n] - 1 for n in twice)
    lost = len(missing)
    if twice:
        out.add("duplicated", f"trial numbers used more than once: {twice}")
    if missing:
        out.add("lost", f"trial numbers missing: {missing}")

    stuck = [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    if stuck:
        out.add("stuck", f"trials left RUNNING or WAITING: {stuck}")

    by_number = {t.number: t for t in trials}
    repeats = retries_of(trials)
    for number, retries in sorted(repeats.items()):
        if len(retries) > 1:
            duplicated += len(retries) - 1
            out.add("duplicated", f"trial {number} is repeated by {len(retries)} retries: "
                                  f"{[r.number for r in retries]}")
        original = by_number.get(number)
        if original is None:
            continue
        if original.state != TrialState.FAIL:
            duplicated += 1
            out.add("duplicated", f"trial {number} is {original.state.name} but has a retry")
        drawn = {**original.fixed_params, **original.params}
        for retry in retries:
            if not retry.fixed_params.items() >= drawn.items() or (
                    retry.state.is_finished() and not retry.params.items() >= drawn.items()):
                lost += 1
                out.add("lost", f"retry {retry.number} does not repeat the parameters of trial {number}")

    unrepeated = [t for t in trials if t.state == TrialState.FAIL and t.number not in repeats]
    for t in unrepeated:
        out.add("not repeated", f"trial {t.number} failed and was never repeated: {first_line(t.fail_reason)}")
    lost += len(unrepeated)
    late = [t.number for t in trials if t.state == TrialState.FAIL and t.values is not None]
    if late:
        duplicated += len(late)
        out.add("duplicated", f"failed trials holding a result (written after they were given up): {late}")

    for number, (state, values) in sorted((before or {}).items()):
        now = by_number.get(number)
        if now is None or (now.state, now.values) != (state, values):
            shown = "gone" if now is None else f"{now.state.name} {now.values}"
            out.add("duplicated", f"trial {number} was {state.name} {values} and became {shown}")
            duplicated += 1
            if state == TrialState.COMPLETE:
                lost += 1

    complete = sum(t.state == TrialState.COMPLETE for t in trials)
    if budget - complete > lost:  # more missing than the problems above explain
        out.add("lost", f"{complete} COMPLETE trials for a budget of {budget}")
    lost = max(lost, budget - complete)
    if complete > budget:
        out.add("over budget", f"{complete} COMPLETE trials for a budget of {budget}")
        duplicated += complete - budget
    out.lost, out.stuck, out.duplicated = lost, len(stuck), duplicated
    return out


def first_line(text: str | None, limit: int = 160) -> str:
    """The first line of a fail reason or message, cut to ``limit`` characters."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "(none)"
    return line if len(line) <= limit else line[:limit] + "..."
