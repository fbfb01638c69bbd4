"""Several runs of one config share its budget: two ``tunelab run`` at once, on one machine or on
several sharing a PostgreSQL storage, or one run paused and resumed, end with exactly ``n_trials``
counted trials between them (:func:`~tunelab.runner._budget.counted`).

A trial that is RUNNING holds its place in the budget (with heartbeats on: a live run finishes it,
and a dead run's trial is failed and queued again by the storage once it has been silent past the
grace period), and so does a WAITING one (a queued retry: the next ask of any run takes it first).
A run therefore starts trials only while ``counted + RUNNING`` leaves places for them, and it
checks this before each round of trials and after every trial it finishes (trials that other runs
finished meanwhile included), which is just before it would start the next ones. When there is no
place for what it would start, it stops the round (``study.stop()``) and computes the next one
afresh, waiting while other runs' RUNNING trials fill the budget.

A check and the asks that follow it are separate storage transactions, so two runs checking at
the same moment would both see the last place free. Each run therefore *claims* the places it is
about to take before it checks: it writes how many trials it will ask (a study system attribute of
its own, ``runner:claim:<run id>``), then reads the other runs' claims and the trials, and goes on
only if the places left, less the others' claims, hold its own claim; otherwise it withdraws its
claim and stops the round. Of two runs claiming at once, at least one reads the other's claim (the
first to write is read by the later reader), so the two never both take the last place: both may
withdraw, and each then tries again after a random pause. Each trial the run starts takes one
place off its claim (the trial is RUNNING then, and counts as such; a place claimed and not asked
for, the round stopping, is given back at the run's next check), and a claim older than
:data:`CLAIM_TTL_S` (a run that died or froze between its claim and its asks) is ignored.

Where the asks come before this run's check (a process pool tells a trial and asks the next in one
write) and, as a last line, for every trial: a trial checks its place once more right after its ask
(:class:`~tunelab.runner._budget.BudgetedObjective`), and one beyond the budget ends FAIL "not run"
before anything runs.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from tunelab._records import TrialState
from tunelab.runner._budget import BudgetedObjective, counted
from tunelab.runner._script import interrupted

_log = logging.getLogger("tunelab")

#: Heartbeat intervals a RUNNING trial of another process may stay silent before it is taken for
#: a dead run's (and waited for until the storage fails it).
SILENT_INTERVALS = 2
#: The study system attributes holding each run's claim (``runner:claim:<host>:<pid>:<n>``):
#: ``{"n": trials it is asking, "at": time.time()}``.
CLAIM_PREFIX = "runner:claim:"
#: Seconds a claim stands: far longer than a claim takes to become trials, short enough that a dead
#: run's last claim does not hold its places for long (machines sharing a storage need their clocks
#: within a few seconds of each other, as NTP keeps them).
CLAIM_TTL_S = 10.0
_budgets = itertools.count()  # this process's shared budgets, each with a claim of its own
#: Seconds a run that withdrew its claim at the start of a round waits before it tries again (at most).
BACKOFF_S = 0.5


class SharedBudget:
    """The config's ``n_trials``, shared with every other run of the config (see the module notes).

    Args:
        config: the run's config (``n_trials``, ``timeout``).
        study: its study; with ``study.storage`` heartbeating, RUNNING trials of other runs hold
            their place.
        jobs: how many trials this run runs at once.
        in_process: whether the objective runs in this process (threads, or ``jobs == 1``), so
            that its trials in progress are known and its asks follow its checks; with a process
            pool they do not, and the check after each trial only stops a round once no place is
            left.

    Use :meth:`objective` to wrap the objective, :meth:`after_trial` as an ``optimize`` callback,
    and :meth:`spend` to run the rounds.
    """

    def __init__(self, config: Any, study: Any, *, jobs: int, in_process: bool = True) -> None:
        self.n_trials = config.n_trials
        self.timeout = config.timeout
        self.study = study
        self.jobs = jobs
        self.in_process = in_process
        storage = study.storage
        self.interval = getattr(storage, "heartbeat_interval", None)
        self.heartbeats = self.interval is not None
        self._key = f"{CLAIM_PREFIX}{socket.gethostname()}:{os.getpid()}:{next(_budgets)}"
        self._claimed = 0  # places claimed and not yet asked for
        self._claim_lock = threading.Lock()
        self._lock = threading.Lock()
        self._running: set[int] = set()  # numbers of the trials whose objective runs in this process now
        self._left = 0  # trials the round may still start, as optimize counts them

    def objective(self, objective: Callable[[Any], Any]) -> BudgetedObjective:
        """``objective`` behind the check of each asked trial's place."""
        return BudgetedObjective(objective, self.n_trials, heartbeats=self.heartbeats, started=self._started,
                                 ended=self._ended)

    # -- the rounds ---------------------------------------------------------------------------------------
    def spend(self, optimize: Callable[[int | None, float | None], None], *,
              say: Callable[[str], None] | None = None) -> None:
        """Call ``optimize(n_trials, timeout)`` until the budget is spent or :func:`interrupted`.

        Between rounds, RUNNING trials of other runs are waited for while any of them is silent
        (a dead run's, failed and queued again by the storage after its grace period); ``say``
        hears what is waited for. When all of them heartbeat, another live run is finishing them,
        and this run ends.
        """
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        try:
            if self.n_trials is None:
                if not interrupted():
                    optimize(None, self.timeout)
                return
            self._rounds(optimize, deadline, say)
        finally:
            if self.n_trials is not None:
                try:
                    self._claim_none()
                except Exception as exc:  # noqa: BLE001 - the storage failing is what stopped the run: that error
                    _log.warning("the run's claim %s is left to expire: %s", self._key, exc)  # is the one to raise

    def _rounds(self, optimize: Callable[[int | None, float | None], None], deadline: float | None,
                say: Callable[[str], None] | None) -> None:
        study, storage = self.study, self.study.storage
        waiting_since: float | None = None
        while not interrupted():
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return
            claims, trials = self._others_claims(), study.get_trials(deepcopy=False)
            left = self._places(trials, set()) - claims  # between rounds nothing of this run's runs
            if left > 0:
                left = self._claim(min(self.jobs, left), set())  # the round's first asks
                if left is None:
                    time.sleep(random.uniform(0, BACKOFF_S))  # another run claimed the same places
                    continue
                with self._lock:
                    self._left = left
                optimize(left, timeout)
                self._claim_none()
                waiting_since = None
                continue
            elsewhere = [t for t in trials if t.state == TrialState.RUNNING] if self.heartbeats else []
            if not elsewhere and not claims:
                return
            if claims and not elsewhere:  # another run is about to ask for the last places
                time.sleep(min(CLAIM_TTL_S / 4, 0.2))
                continue
            study_id = storage.get_study_id(study.study_name)
            if storage.fail_stale_trials(study_id):
                continue  # a dead run's trials failed, their retries queued: run them
            ids = {t.trial_id for t in elsewhere}
            silent = ids & set(storage.stale_trial_ids(study_id, SILENT_INTERVALS * self.interval))
            now = time.monotonic()
            if waiting_since is None:
                waiting_since = now
                if say is not None:
                    say(f"waiting for {len(ids)} trial(s) RUNNING elsewhere: a dead run's are failed and queued "
                        f"again after {storage.grace_period:g} s without heartbeat")
            if not silent and now - waiting_since >= SILENT_INTERVALS * self.interval:
                return  # every one heartbeats: another live run is finishing them
            time.sleep(min(self.interval / 2, 1.0))

    # -- the check after each finished trial -----------------------------------------------------------------
    def after_trial(self, study: Any, frozen: Any) -> None:
        """An ``optimize`` callback: stop the round (``study.stop()``) when the trials it would start
        next have no place in the budget, counting what every run finished, runs or claimed."""
        if self.n_trials is None:
            return
        trials = study.get_trials(deepcopy=False)
        with self._lock:
            if frozen.state == TrialState.FAIL and any(t.retry_of == frozen.number for t in trials):
                self._left += 1  # a lost trial: optimize gives its start back, its retry counts in its place
            # what optimize starts next: a trial per free job, within the round's count
            wanted = min(self.jobs - len(self._running), self._left)
            own = set(self._running)
        if wanted <= 0:
            self._claim_none()
            return
        if not self.in_process:  # the next trial is asked already: stop once the budget is full
            if self._places(trials, None) <= 0:
                study.stop()
            return
        if self._claim(wanted, own) is None:
            study_id = study.storage.get_study_id(study.study_name)
            if not study.storage.fail_stale_trials(study_id) or self._claim(wanted, own) is None:
                study.stop()  # (a dead run's places come free when its stale trials are failed)

    # -- places and claims ---------------------------------------------------------------------------------
    def _places(self, trials: list[Any], own: set[int] | None) -> int:
        """Places left in the budget: less the counted trials and the RUNNING ones (with heartbeats
        any; without them only this run's ``own``, another's possibly belonging to a run that died;
        ``own`` None: not known, all)."""
        running = sum(1 for t in trials if t.state == TrialState.RUNNING and (
            self.heartbeats or own is None or t.number in own))
        return self.n_trials - counted(trials) - running

    def _claim(self, wanted: int, own: set[int] | None) -> int | None:
        """Claim ``wanted`` places, then check them (see the module notes): the places left less the
        other runs' claims when they hold ``wanted`` (the claim stands), else None (withdrawn)."""
        self._write_claim(wanted)
        claims = self._others_claims()  # the claims before the trials: a claim gone is a trial there
        free = self._places(self.study.get_trials(deepcopy=False), own) - claims
        if free >= wanted:
            return free
        self._claim_none()
        return None

    def _claim_none(self) -> None:
        if self._claimed:
            self._write_claim(0)

    def _write_claim(self, n: int) -> None:
        with self._claim_lock:  # the writes in the order of their values (the asks' threads write too)
            self._claimed = n
            self.study.set_system_attr(self._key, {"n": n, "at": time.time()})

    def _asked(self) -> None:
        """One claimed place is a trial now (RUNNING, counted as such): the claim is one less."""
        with self._claim_lock:
            if self._claimed > 0:
                self._claimed -= 1
                self.study.set_system_attr(self._key, {"n": self._claimed, "at": time.time()})

    def _others_claims(self) -> int:
        """The places other runs claimed lately (a claim older than the grace period is a dead run's)."""
        now = time.time()
        total = 0
        for key, claim in self.study.system_attrs.items():
            if key.startswith(CLAIM_PREFIX) and key != self._key and isinstance(claim, dict):
                if now - float(claim.get("at", 0)) < CLAIM_TTL_S:
                    total += int(claim.get("n", 0))
        return total

    def _started(self, number: int) -> None:
        with self._lock:
            self._left -= 1
            self._running.add(number)
        self._asked()

    def _ended(self, number: int) -> None:
        with self._lock:
            self._running.discard(number)
