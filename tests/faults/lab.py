"""One case of the fault matrix and the world it runs in: a folder, a storage, a study, a budget, and
every process started for it (drivers, workers, training scripts), on either surface:

* ``api``: ``python -c`` :data:`~tests.faults.work.API_DRIVER`, which opens the study with
  heartbeats and runs ``study.optimize(objective, n_trials=share, n_jobs=jobs)``; several such
  processes on one study are the "other machines";
* ``cli``: ``tunelab run tune.toml`` on a config whose ``[storage]`` table sets the short heartbeats,
  the training script :data:`~tests.faults.work.TRAIN_SCRIPT`.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.faults import work
from tests.faults.audit import Audit
from tests.faults.procs import alive, child_env, group_gone, kill_all, kill_group, parent_of, wait_for
from tunelab._records import FrozenTrial, TrialState

FAULTS = ("kill -9 worker", "kill -9 driver", "kill a pool worker", "Ctrl-C", "heartbeat pause",
          "database disconnect", "disk full")
BACKENDS = ("sqlite", "postgresql")
SURFACES = ("api", "cli")
JOBS = (1, 4)
#: The study's budget (n_trials) by number of jobs: a few rounds of trials in flight.
BUDGET = {1: 6, 4: 12}
#: Size of the tmpfs that holds the SQLite file of a "disk full" case.
TMPFS_SIZE = "16m"


@dataclasses.dataclass(frozen=True)
class Case:
    fault: str
    backend: str
    surface: str
    jobs: int

    @property
    def id(self) -> str:
        fault = self.fault.replace("kill -9", "kill9").replace(" ", "-").lower()
        return f"{fault}-{self.backend}-{self.surface}-{self.jobs}"

    @property
    def budget(self) -> int:
        return BUDGET[self.jobs]


def all_cases() -> list[Case]:
    return [Case(f, b, s, j) for f in FAULTS for b in BACKENDS for s in SURFACES for j in JOBS]


CONFIG = """\
study = "{study}"
seed = {seed}
n_jobs = {jobs}
[storage]
url = "{url}"
heartbeat_interval = {interval}
grace_period = {grace}
retries = {retries}
[objective]
command = ["python", "train.py"]
grace = 1
[metric]
name = "loss"
[budget]
n_trials = {budget}
[sampler]
name = "random"
[parameters]
x = {{type = "float", low = -1.0, high = 1.0}}
"""


class Proc:
    """A started driver or worker: its own session (process group), output in files."""

    def __init__(self, name: str, argv: list[str], *, cwd: Path, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.out_path, self.err_path = logs / f"{name}.out", logs / f"{name}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        self.pid = self.popen.pid

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} did not end within {timeout:g} s; stderr:\n{self.stderr()[-3000:]}") \
                from None

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")


class Lab:
    """The folder, storage and processes of one case (see the module notes)."""

    def __init__(self, case: Case, root: Path, pg_url: str | None = None) -> None:
        self.case = case
        self.root = Path(root)
        self.logs = self.root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.study = f"faults-{uuid.uuid4().hex[:10]}"
        self.budget = case.budget
        self.result = Audit()
        self.procs: list[Proc] = []
        self.mount: Path | None = None
        self.flag = self.root / "disk-full.flag"  # PostgreSQL's injected full disk, while it exists
        self.env = child_env()
        if case.backend == "postgresql":
            if pg_url is None:
                raise ValueError("a PostgreSQL case needs pg_url")
            self.url = pg_url
            if case.fault == "disk full":
                self.env[work.DISK_FULL_ENV] = str(self.flag)
        else:
            folder = self.root
            if case.fault == "disk full":
                folder = self.mount = self.root / "disk"
                folder.mkdir()
                mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(folder)],
                                         capture_output=True, text=True)
                if mounted.returncode:
                    self.mount = None
                    raise MountRefusedError(f"mounting a {TMPFS_SIZE} tmpfs was refused: {mounted.stderr.strip()}")
            self.url = f"sqlite:///{folder / 'study.db'}"
        if case.surface == "cli":
            (self.root / "train.py").write_text(work.TRAIN_SCRIPT)
        self._reader = None
        self._reader_study_id: int | None = None
        self.before: dict[int, tuple] | None = None  # finished trials before the recovery run
        self.fault_at: float | None = None
        self.recovered_at: float | None = None

    # -- processes ------------------------------------------------------------------------------------------
    def start(self, name: str, *, share: int | str = "rest", jobs: int | None = None, seed: int = 0,
              steps: int | None = None) -> Proc:
        """Start a driver: ``share`` trials of the study through the Python API (``rest``: what the
        budget still owes), or ``tunelab run`` on the case's config (which spends the budget).
        ``steps``: Python API only, the steps each of its trials trains (default ``work.STEPS``)."""
        if steps is not None and self.case.surface != "api":
            raise ValueError(f"Lab.start(steps={steps!r}): only Python API drivers take a step count; the "
                             f"training script of {self.case.surface!r} cases trains work.STEPS steps")
        jobs = self.case.jobs if jobs is None else jobs
        env = self.env if steps is None else {**self.env, work.STEPS_ENV: str(steps)}
        if self.case.surface == "api":
            argv = [sys.executable, "-c", work.API_DRIVER, self.url, self.study, str(share), str(jobs),
                    str(self.budget)]
        else:
            config = self.root / f"{name}.toml"
            config.write_text(CONFIG.format(study=self.study, seed=seed, jobs=jobs, url=self.url, budget=self.budget,
                                            interval=work.HEARTBEAT_S, grace=work.GRACE_S, retries=work.RETRIES))
            program = Path(sys.executable).with_name("tunelab")
            if work.DISK_FULL_ENV in self.env or not program.exists():
                launcher = [sys.executable, "-c", work.CLI_DRIVER]
            else:
                launcher = [str(program)]
            argv = [*launcher, "run", str(config), "--quiet", "--no-report"]
        proc = Proc(name, argv, cwd=self.root, env=env, logs=self.logs)
        self.procs.append(proc)
        return proc

    def rerun(self, *, timeout: float = 90) -> Proc:
        """The recovery run: the same driver again, to the end of the budget; it must succeed."""
        proc = self.start("rerun")
        code = proc.wait(timeout)
        self.recovered_at = time.monotonic()
        if code != 0:
            self.result.add("misbehaved", f"the recovery run ended with status {code}: {tail(proc.stderr())}")
        return proc

    def fault(self) -> None:
        """Note the moment the fault is injected (seconds to recover count from here)."""
        self.fault_at = time.monotonic()

    def script_pids(self) -> dict[int, tuple[int, int]]:
        """``tunelab run`` cases: (script pid, guard pid) of every trial whose script started."""
        found: dict[int, tuple[int, int]] = {}
        folder = self.root / "pids"
        if folder.is_dir():
            for path in folder.iterdir():
                number, pid, guard = (int(part) for part in path.name.split("-"))
                found[number] = (pid, guard)
        return found

    def runner_of(self, trial: FrozenTrial) -> Runner | None:
        """The process running ``trial``'s objective (a driver or pool worker, or the training script
        and the guard ``tunelab run`` started it under), while it lives."""
        if self.case.surface == "api":
            pid = trial.user_attrs.get("pid")
            return Runner(trial, pid, None, _pgid(pid)) if pid is not None and alive(pid) else None
        pids = self.script_pids().get(trial.number)
        if pids is None or not alive(pids[0]):
            return None
        return Runner(trial, pids[0], pids[1], parent_of(pids[1]))

    def wait_running(self, count: int = 1, *, owner: Proc | None = None, pooled: bool = False,
                     timeout: float = 60, proc: Proc | None = None) -> list[Runner]:
        """Wait until ``count`` trials are mid-training (they reported), each with the process that runs
        it: only those of ``owner``, or (``pooled``) those not run by the driver process itself."""

        def found() -> list[Runner]:
            out = []
            for t in self.trials():
                runner = self.runner_of(t) if t.state == TrialState.RUNNING and t.intermediate_values else None
                if runner is None or (owner is not None and runner.driver != owner.pid):
                    continue
                if pooled and runner.pid == runner.driver:
                    continue
                out.append(runner)
            return out if len(out) >= count else []

        return self._wait(found, timeout, f"{count} trial(s) running{' in ' + owner.name if owner else ''}",
                          proc or owner)

    def wait_complete(self, count: int, *, timeout: float = 60, proc: Proc | None = None) -> None:
        self._wait(lambda: sum(t.state == TrialState.COMPLETE for t in self.trials()) >= count, timeout,
                   f"{count} trial(s) complete", proc)

    @staticmethod
    def _wait(condition, timeout: float, what: str, proc: Proc | None):
        """:func:`wait_for` ``condition``; if ``proc`` ends first, the error quotes its output."""
        try:
            return wait_for(condition, timeout, what, proc=proc.popen if proc else None)
        except AssertionError as exc:
            if proc is None:
                raise
            raise AssertionError(f"{exc}; {proc.name}'s output: {tail(proc.stderr())}") from None

    def expect_gone(self, proc: Proc, *, timeout: float = 10) -> None:
        """``proc`` ended and took every process of its group along (pool workers, forkserver)."""
        proc.wait(timeout)
        try:
            wait_for(lambda: group_gone(proc.pid), timeout, f"the processes of {proc.name} to end")
        except AssertionError as exc:
            self.result.add("left alive", str(exc))

    def expect_clean_exit(self, proc: Proc, *, timeout: float = 90) -> None:
        code = proc.wait(timeout)
        err = proc.stderr()
        if code != 0:
            self.result.add("misbehaved", f"{proc.name} ended with status {code}: {tail(err)}")
        elif "Traceback" in err:
            self.result.add("misbehaved", f"{proc.name} printed a traceback: {tail(err)}")

    def leftovers(self) -> list[int]:
        """Processes of the case still alive: any of the drivers' groups, scripts or their guards."""
        left = []
        for proc in self.procs:
            if not group_gone(proc.pid):
                left.append(proc.pid)
        for pid, guard in self.script_pids().values():
            left += [p for p in (pid, guard) if alive(p)]
        return left

    # -- the study ------------------------------------------------------------------------------------------
    def trials(self) -> list[FrozenTrial]:
        """The study's trials now ([] before it exists), read without writing anything."""
        import tunelab
        from tunelab.storage import SQLStorage

        if self._reader is None:
            try:
                self._reader = SQLStorage(self.url, read_only=True)
                self._reader_study_id = self._reader.get_study_id(self.study)
            except (tunelab.TunelabError, OSError):
                self.close_reader()
                return []
        return self._reader.get_all_trials(self._reader_study_id)

    def fresh_trials(self) -> list[FrozenTrial]:
        """The trials read by a new storage object (no cache that could hide a changed record)."""
        self.close_reader()
        try:
            return self.trials()
        finally:
            self.close_reader()

    def close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self._reader = None

    def close(self) -> None:
        """Kill whatever is left and give back the tmpfs."""
        self.close_reader()
        for proc in self.procs:
            kill_group(proc.pid)
        kill_all(p for pids in self.script_pids().values() for p in pids)
        for proc in self.procs:
            try:
                proc.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.mount is not None:
            subprocess.run(["umount", "-l", str(self.mount)], capture_output=True)
            self.mount = None


@dataclasses.dataclass(frozen=True)
class Runner:
    """A trial mid-training and its processes: ``pid`` runs the objective (API: the driver or a pool
    worker; CLI: the training script), ``guard`` is the script's guard (CLI), ``driver`` the driver
    process it belongs to (API: the process group; CLI: the guard's parent)."""

    trial: FrozenTrial
    pid: int
    guard: int | None
    driver: int | None


class MountRefusedError(RuntimeError):
    """A "disk full" case cannot mount its tiny filesystem (not root, or no tmpfs here)."""


def _pgid(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def tail(text: str, lines: int = 8) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) or "(no output)"
