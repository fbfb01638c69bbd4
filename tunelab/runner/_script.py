"""The driver's side: run one trial as a subprocess of the training script and watch it.

No shell is ever involved: the command is a list handed to :class:`subprocess.Popen`, and
parameter values travel as separate arguments (``--name=value``), environment variables or a
JSON file, so a value such as ``"; rm -rf /"`` arrives verbatim.

While the script runs, its output (stdout and stderr together) goes line by line to the trial's
log file (user attribute ``log``); ``tunelab:`` lines are recorded as reports. After each new
intermediate value the study's pruner decides; a pruned or timed-out script is stopped with
SIGTERM, then SIGKILL after ``grace`` seconds. The outcome:

* exit status 0 with the metric reported -> COMPLETE;
* stopped by the pruner (the script has a second to end by itself after ``tunelab.should_prune()``
  says True, then gets SIGTERM) -> PRUNED;
* a non-zero exit, a crash (a signal of the script's own fault: :data:`CRASH_SIGNALS`), a
  per-trial timeout, the metric never reported or NaN -> FAIL, the reason (with the tail of the
  output) in ``fail_reason``: the script's own failure, counted in the budget, not run again;
* killed by a signal that tunelab did not send (SIGKILL from the out-of-memory killer or a user,
  a SIGTERM from someone else), or its guard process killed -> a *lost* trial, as when a Python
  API worker dies: FAIL with a reason saying which process was killed by which signal, and
  queued again with its parameters under the storage's retry policy (``[storage] retries``), the
  retry counting in its place (:func:`end_lost`);
* Ctrl-C (:func:`interrupt`) -> the script is stopped and the trial FAILs as interrupted (whatever
  the script's end looked like, a death by the SIGTERM included), so a later run of the same config
  starts it again with the same parameters.

The script runs under a small guard process (:mod:`tunelab.runner._guard`), the leader of the
trial's process group: if ``tunelab run`` dies, even by SIGKILL, the guard kills the script and
everything it started.
"""

from __future__ import annotations

import collections
import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tunelab._errors import TrialFinishedError, TrialPruned, TunelabError
from tunelab._records import FAIL_REASON_KEY, TrialState
from tunelab.runner import _guard
from tunelab.runner import _protocol as P

_log = logging.getLogger("tunelab")

#: Lines of output quoted in a failed trial's reason.
TAIL_LINES = 20
POLL_S = 0.05
#: Seconds a pruned script has to end by itself (after ``should_prune()``) before SIGTERM.
NOTICE_S = 1.0
#: The fail reason of a trial whose script :func:`interrupt` stopped.
INTERRUPTED_REASON = "interrupted (tunelab run was stopped by Ctrl-C or SIGTERM); it runs again first in the next run"

#: Signals a process gets from its own fault (bad memory access, abort(), a bad instruction): a
#: script ended by one of them crashed, an ordinary failure; any other signal that tunelab did not
#: send (SIGKILL, SIGTERM, SIGHUP ...) killed it from outside, and its trial is lost (queued again).
CRASH_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT",
                                                             "SIGTRAP", "SIGSYS") if hasattr(signal, name))

#: Scripts run under the guard unless tunelab is installed where its files cannot be run (a zip).
_GUARDED = os.path.isfile(_guard.__file__) and os.name == "posix"

_interrupted = threading.Event()
_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_calls = 0  # script trials in progress (guarded by _idle)
_idle = threading.Condition()


class ScriptFailedError(TunelabError):
    """A script trial failed (crash, timeout, no metric, NaN); the message says why."""


def interrupt(*, kill: bool = False) -> None:
    """Stop every running script and make their trials end as interrupted; no new script starts.

    Scripts get SIGTERM (SIGKILL after the objective's ``grace``), or SIGKILL at once with
    ``kill=True`` (a second Ctrl-C). Called from the Ctrl-C handler of ``tunelab run``; safe from
    a signal handler.
    """
    _interrupted.set()
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _signal(proc, signal.SIGKILL if kill else signal.SIGTERM)


def wait_idle(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until no script trial is in progress (after :func:`interrupt`:
    each has stopped its script and ended its trial); whether none is."""
    deadline = time.monotonic() + timeout
    with _idle:
        while _calls:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _idle.wait(min(left, 0.1))  # short waits: Ctrl-C handlers run in between
    return True


def interrupted() -> bool:
    """Whether :func:`interrupt` was called since the last :func:`reset_interrupt`."""
    return _interrupted.is_set()


def reset_interrupt() -> None:
    _interrupted.clear()


def end_interrupted(trial: Any) -> int | None:
    """End ``trial`` FAIL as interrupted and queue a copy with its parameters that the next run runs
    first, in one storage write (:func:`tunelab.execution._ending.end_interrupted`); returns the
    copy's number, or None when someone else ended the trial first (then nothing is queued here, so
    the study's own Ctrl-C handling, which does the same, never makes a second copy)."""
    from tunelab.execution._ending import end_interrupted as end

    return end(trial.study, trial, INTERRUPTED_REASON)


def end_lost(trial: Any, reason: str) -> int | None:
    """End ``trial`` FAIL with ``reason`` as a lost trial (its process was killed from outside) and
    queue a copy with its parameters while the storage's retry policy allows one
    (``Storage.fail_trial(..., max_retries=storage.retries)``, as for a dead worker's trial), in one
    storage write; returns the copy's number (None when none was queued).

    Raises TrialFinishedError when someone else finished the trial first (nothing is written).
    """
    study, storage = trial.study, trial.study.storage

    def fail_and_queue(params: dict[str, Any]) -> tuple[int, int | None]:
        ended = storage.fail_trial(trial.trial_id, reason, max_retries=storage.retries, params=params)
        if ended is None:
            raise TrialFinishedError(f"trial {trial.number} is already finished")
        return ended

    # the study's own way to end a live trial (its buffered parameters written, the sampler told),
    # as execution._ending.end_interrupted does for an interrupted one, with the retry policy's limit
    _, (_, retry) = study._finish(trial, trial.trial_id, TrialState.FAIL, None, {FAIL_REASON_KEY: reason},
                                  fail_and_queue)
    return retry


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "unnamed"


def _signal(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the script and anything it started (its own session)
    except (ProcessLookupError, PermissionError):
        pass


class ScriptObjective:
    """An objective that runs ``command`` once per trial (see the module notes).

    Args:
        command: the program and its arguments (no shell).
        parameters: the config's parameter specs, suggested for each trial.
        storage_url: the study's storage URL, handed to the script.
        metrics: the objective metric name(s).
        pass_params: "args", "env" or "json".
        cwd: the folder the script runs in; logs go to ``log_dir``.
        timeout: seconds per trial (None: no limit); grace: seconds from SIGTERM to SIGKILL.
        env: extra environment variables.
        budget: ``(argument, max_budget)`` to train the trial in rungs (:func:`tunelab.fidelity.run`):
            the script runs once per budget ``b`` with ``--argument=b`` (or as ``pass`` says) and its
            schedules rebuilt for ``b / max_budget`` of their steps; what it reports is the rung's
            value, reported at ``step=b``.
    """

    def __init__(self, command: tuple[str, ...], parameters: tuple, *, storage_url: str, metrics: tuple[str, ...],
                 pass_params: str = "args", cwd: Path, log_dir: Path, timeout: float | None = None,
                 grace: float = 5.0, env: dict[str, str] | None = None,
                 budget: tuple[str, int] | None = None) -> None:
        self.command = tuple(command)
        self.parameters = parameters
        self.storage_url = storage_url
        self.metrics = tuple(metrics)
        self.pass_params = pass_params
        self.cwd = Path(cwd)
        self.log_dir = Path(log_dir)
        self.timeout = timeout
        self.grace = grace
        self.env = dict(env or {})
        self.budget = budget

    def __call__(self, trial: Any, extra: dict[str, Any] | None = None) -> Any:
        """Run the script for ``trial``; ``extra`` values are passed to it besides the parameters
        (as ``pass`` says), without being parameters of the trial (PBT's epochs and checkpoints)."""
        global _calls
        with _idle:
            _calls += 1
        try:
            return self._run(trial, dict(extra or {}))
        finally:
            with _idle:
                _calls -= 1
                _idle.notify_all()

    def _run(self, trial: Any, extra: dict[str, Any]) -> Any:
        from tunelab.config import suggest_all

        if _interrupted.is_set():  # Ctrl-C came while this trial was asked: do not start its script
            end_interrupted(trial)
            raise KeyboardInterrupt
        values = suggest_all(trial, self.parameters)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"trial-{trial.number}.log"
        trial.set_user_attr(P.LOG_ATTR, str(log_path))
        if P.METRICS_ATTR in trial.user_attrs:  # a repeated trial: what the lost run reported is not this run's
            trial.set_user_attr(P.METRICS_ATTR, {})
        trial.save_params()  # the script may read its parameters and schedules back from the storage
        if self.budget is None:
            return self._script(trial, {**values, **extra}, log_path)
        from tunelab import fidelity

        log_path.write_text("")
        name, top = self.budget
        return fidelity.run(trial, lambda t, b: self._script(t, self._for_rung(t, values, b), log_path, rung=b),
                            max_epochs=top)

    def _for_rung(self, trial: Any, values: dict[str, Any], b: int) -> dict[str, Any]:
        """The values of one rung: the budget argument, and each schedule with a horizon in the config
        rebuilt for ``b / max_budget`` of it (the script rebuilds the others with ``tunelab.schedule``)."""
        name, top = self.budget
        out = {**values, name: b}
        for spec in self.parameters:
            if spec.kind == "schedule" and spec.name in values and spec.total_steps:
                steps = max(1, round(spec.total_steps * b / top))
                out[spec.name] = trial.suggest_schedule(spec.name, spec.space, total_steps=steps)
        return out

    def _script(self, trial: Any, values: dict[str, Any], log_path: Path, *, rung: int | None = None) -> Any:
        """Run the script once with ``values``; its result (the value of budget ``rung`` when given)."""
        passed = {k: (v.to_config() if hasattr(v, "to_config") else v) for k, v in values.items()}
        argv, env = self._delivery(trial, passed)
        if rung is not None:
            env[P.ENV_RUNG] = str(rung)
            trial.study.storage.set_trial_attr(trial.trial_id, "system", P.FINAL_ATTR, {})  # the last rung's
        with open(log_path, "a" if rung is not None else "w", encoding="utf-8", errors="replace") as log:
            if rung is not None:
                log.write(f"[tunelab] rung: {self.budget[0]}={rung}\n")
            outcome, code, tail, script_killed = self._watch(trial, argv, env, log, prune=rung is None)
        return self._result(trial, outcome, code, tail, log_path, script_killed=script_killed, rung=rung)

    # -- starting ---------------------------------------------------------------------------------------------
    def _delivery(self, trial: Any, passed: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
        env = {**os.environ, **self.env, P.ENV_STORAGE: self.storage_url, P.ENV_STUDY: trial.study.study_name,
               P.ENV_TRIAL: str(trial.number), P.ENV_METRICS: ",".join(self.metrics),
               "PYTHONUNBUFFERED": "1"}
        argv = list(self.command)
        if self.pass_params == "args":
            argv += [f"--{name}={P.encode(v)}" for name, v in passed.items()]
        elif self.pass_params == "env":
            env.update({P.env_name(name): P.encode(v) for name, v in passed.items()})
        else:
            path = self.log_dir / f"trial-{trial.number}.params.json"
            path.write_text(json.dumps(passed, indent=2), encoding="utf-8")
            env[P.ENV_PARAMS_FILE] = str(path)
        return argv, env

    def _watch(self, trial: Any, argv: list[str], env: dict[str, str],
               log: Any, *, prune: bool = True) -> tuple[str, int, collections.deque, bool]:
        """Run the script and watch it (asking the pruner after each report when ``prune``); (outcome,
        exit status, last lines, whether the script itself was killed by the signal of a negative
        status rather than its guard)."""
        storage, trial_id = trial.study.storage, trial.trial_id
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        known: dict[str, float] = {}
        guard_said_killed = False
        final_given = False  # a rung (no pruning): a printed line with a step is the value until a final one

        def read(stream: Any) -> None:
            nonlocal known, guard_said_killed, final_given
            for line in iter(stream.readline, ""):
                log.write(line)
                log.flush()
                if _GUARDED and line.startswith(_guard.KILLED_PREFIX):  # the guard's line, not the script's output
                    guard_said_killed = True
                    continue
                tail.append(line.rstrip("\n"))
                parsed = P.parse_line(line)
                if parsed is not None and not prune:  # one rung: the line is the rung's value, not a step
                    keep, final_given = P.rung_report(parsed[0], final_given)
                    parsed = (None, parsed[1]) if keep else None
                if parsed is not None:
                    try:
                        known = P.record(storage, trial_id, self.metrics, parsed[0], parsed[1], known)
                    except TunelabError as exc:  # e.g. the trial was already stopped
                        log.write(f"[tunelab] report not recorded: {exc}\n")

        guarded = [sys.executable, "-S", _guard.__file__, str(os.getpid()), *argv] if _GUARDED else argv
        try:  # the guard leads the trial's own process group (and session): no terminal Ctrl-C reaches it
            proc = subprocess.Popen(guarded, cwd=self.cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
        except OSError as exc:
            raise ScriptFailedError(f"the script could not start: {exc}") from None
        with _live_lock:
            _live.add(proc)
        reader = threading.Thread(target=read, args=(proc.stdout,), daemon=True)
        reader.start()
        started = time.monotonic()
        checked = -1
        outcome = "exited"
        try:
            while proc.poll() is None:
                if _interrupted.is_set():
                    outcome = "interrupted"
                    break
                if self.timeout is not None and time.monotonic() - started > self.timeout:
                    outcome = "timeout"
                    break
                checked, pruned = self._check_pruning(trial, checked) if prune else (checked, False)
                if pruned:
                    outcome = "pruned"
                    try:  # a script that asks tunelab.should_prune() ends by itself: give it a moment
                        proc.wait(timeout=min(self.grace, NOTICE_S))
                    except subprocess.TimeoutExpired:
                        pass
                    break
                time.sleep(POLL_S)
        finally:  # also on Ctrl-C raised in this thread: stop the script before leaving
            if proc.poll() is None:
                self._stop(proc)
            if proc.returncode < 0 and _GUARDED:  # a killed guard leaves its script behind, a killed script
                _signal(proc, signal.SIGKILL)  # maybe its children: the trial is over, so are they
            reader.join(timeout=5)
            with _live_lock:
                _live.discard(proc)
        if outcome == "exited" and proc.returncode != 0 and _interrupted.is_set():
            outcome = "interrupted"  # the script died of the interrupt's SIGTERM before this loop saw the flag
        if outcome == "exited" and prune:
            self._check_pruning(trial, checked)  # reports read after the last poll
        return outcome, proc.returncode, tail, guard_said_killed or not _GUARDED

    def _check_pruning(self, trial: Any, checked: int) -> tuple[int, bool]:
        storage = trial.study.storage
        frozen = storage.get_trial(trial.trial_id)
        last = frozen.last_step
        if last is None or last <= checked:
            return checked, bool(frozen.system_attrs.get(P.PRUNE_ATTR))
        pruned = bool(trial.study.pruner.prune(trial.study, frozen))
        if pruned:
            storage.set_trial_attr(trial.trial_id, "system", P.PRUNE_ATTR, last)
        storage.set_trial_attr(trial.trial_id, "system", P.CHECKED_ATTR, last)
        return last, pruned

    def _stop(self, proc: subprocess.Popen) -> None:
        _signal(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            _signal(proc, signal.SIGKILL)
            proc.wait()

    # -- the outcome ------------------------------------------------------------------------------------------
    def _result(self, trial: Any, outcome: str, code: int, tail: collections.deque, log_path: Path, *,
                script_killed: bool = True, rung: int | None = None) -> Any:
        trial.refresh()  # what the script reported through the storage
        frozen = trial.freeze()
        evidence = f"log: {log_path}\n--- last output ---\n" + ("\n".join(tail) or "(no output)")
        if outcome == "interrupted":
            end_interrupted(trial)
            raise KeyboardInterrupt
        if outcome == "pruned" or frozen.system_attrs.get(P.PRUNE_ATTR) is not None:
            raise TrialPruned()
        if outcome == "timeout":
            raise ScriptFailedError(f"the trial ran past the per-trial timeout of {self.timeout:g} s and was stopped; "
                                    f"{evidence}")
        if code == _guard.START_FAILED and tail and tail[-1].startswith(_guard.START_FAILED_PREFIX):
            cause = tail[-1][len(_guard.START_FAILED_PREFIX):].strip()
            raise ScriptFailedError(f"the script could not start: {cause}; {evidence}")
        if code < 0 and (-code not in CRASH_SIGNALS or not script_killed):
            self._lost(trial, frozen, -code, script_killed, evidence)
        if code != 0:
            how = f"was killed by signal {-code} ({_signal_name(-code)})" if code < 0 else f"exited with status {code}"
            raise ScriptFailedError(f"the script {how}; {evidence}")
        final = frozen.system_attrs.get(P.FINAL_ATTR, {})
        values = []
        for name in self.metrics:
            if name in final:
                value = P.unjson(final[name])
            elif len(self.metrics) == 1 and frozen.intermediate_values and rung is None:
                value = frozen.intermediate_values[max(frozen.intermediate_values)]
            else:
                raise ScriptFailedError(f"the script never reported the metric {name!r}: call tunelab.report({name}=...) "
                                        f"or print 'tunelab: {name}=<value>'; {evidence}")
            if math.isnan(value):
                raise ScriptFailedError(f"the script reported {name}=nan; {evidence}")
            values.append(value)
        return values[0] if len(values) == 1 else values

    def _lost(self, trial: Any, frozen: Any, sig: int, script_killed: bool, evidence: str) -> None:
        """The script or its guard was killed by ``sig``, which tunelab did not send: end the trial as
        lost (queued again under the storage's retry policy), then raise TrialFinishedError, which
        tells the study that the trial has its record already (and that a retry stands in for it)."""
        storage = trial.study.storage
        allowed = storage.retries
        if frozen.retry_count < allowed:
            then = f"it is queued again with its parameters (retry {frozen.retry_count + 1} of {allowed})"
        elif allowed:
            then = f"its retries are spent ({allowed} of {allowed}): it is not queued again"
        else:
            then = "the storage queues no lost trial again ([storage] retries = 0)"
        who = "the script was" if script_killed else \
            "the guard process of the script (tunelab run's process for the trial) was"
        reason = (f"{who} killed by signal {sig} ({_signal_name(sig)}), which tunelab did not send (the out-of-memory "
                  f"killer? a kill by someone?); a lost trial: {then}; {evidence}")
        retry = end_lost(trial, reason)  # TrialFinishedError when someone else ended it first
        _log.warning("trial %d: %s killed by signal %d (%s); %s", trial.number, who, sig, _signal_name(sig),
                     f"queued again as trial {retry}" if retry is not None else "not queued again")
        raise TrialFinishedError(f"trial {trial.number} ended as lost: {who} killed by signal {sig}")
