"""``tunelab run`` under faults, as a user meets them: Ctrl-C and a SIGKILLed driver, with 1 and several
jobs, on SQLite and PostgreSQL. Each ends with every trial in one final state, none lost, none
RUNNING, none run twice, the budget reached on the next run, and no script left behind.
"""

from __future__ import annotations

import signal
import textwrap
import uuid

import pytest

import tunelab
from tests.runner.clirun import alive, kill_all, run, start, wait_for
from tunelab.runner import counted

#: The script records its pid and a grandchild's, reports once, then trains "forever"; with a file
#: ``fast`` beside it, it reports and ends at once (the rerun).
SCRIPT = """\
import os, subprocess, sys, time, tunelab
x = float(next(a for a in sys.argv if a.startswith("--x=")).split("=")[1])
n = os.environ["TUNELAB_TRIAL"]
if os.path.exists("fast"):
    tunelab.report(x * x)
    sys.exit(0)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open(f"pids-{n}.tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
os.replace(f"pids-{n}.tmp", f"pids-{n}")
tunelab.report(x, step=0)
time.sleep(300)
"""

CONFIG = """\
study = "{study}"
storage = "{storage}"
seed = 0
n_jobs = {n_jobs}
{storage_table}
[objective]
command = ["python", "train.py"]
grace = 2
[metric]
name = "loss"
[budget]
n_trials = {n_trials}
[sampler]
name = "random"
[parameters]
x = {{type = "float", low = -1.0, high = 1.0}}
optimizer = {{type = "categorical", choices = ["sgd", "adam"]}}
lr = {{type = "schedule", families = ["constant", "cosine"], initial = [1e-3, 1e-1], total_steps = 50}}
"""


@pytest.fixture
def storage(sql_url):
    """A storage URL for the study: an SQLite file, or this session's PostgreSQL database."""
    return sql_url


def setup(tmp_path, storage, *, n_jobs, n_trials, storage_table=""):
    study = f"faults-{uuid.uuid4().hex[:8]}"
    (tmp_path / "train.py").write_text(SCRIPT)
    config = tmp_path / "tune.toml"
    config.write_text(CONFIG.format(study=study, storage=storage, n_jobs=n_jobs, n_trials=n_trials,
                                    storage_table=textwrap.dedent(storage_table)))
    return config, study


def pids(tmp_path):
    """The script and grandchild pids of every trial whose script started, by trial number."""
    found = {}
    for path in tmp_path.glob("pids-*"):
        if not path.name.endswith(".tmp"):
            found[int(path.name.split("-")[1])] = [int(p) for p in path.read_text().split()]
    return found


def trials(storage, study):
    return tunelab.load_study(study_name=study, storage=storage).trials


def check_recovered(all_trials, n_trials, lost):
    """After the rerun: every trial finished once, each lost one repeated once with its parameters."""
    by_number = {t.number: t for t in all_trials}
    assert not [t.number for t in all_trials if not t.state.is_finished()], "trials left RUNNING or WAITING"
    retries = [t for t in all_trials if t.retry_of is not None]
    assert sorted(t.retry_of for t in retries) == sorted(lost), "each lost trial is repeated exactly once"
    for retry in retries:
        assert retry.state == tunelab.TrialState.COMPLETE
        assert retry.params == by_number[retry.retry_of].params and retry.retry_count == 1
    assert counted(all_trials) == n_trials
    assert sum(t.state == tunelab.TrialState.COMPLETE for t in all_trials) == n_trials
    assert len(all_trials) == n_trials + len(lost)


@pytest.mark.parametrize(("stop", "n_jobs"), [("SIGINT", 1), ("SIGINT", 4), ("SIGTERM", 2)])
def test_ctrl_c_or_sigterm_ends_every_running_trial_interrupted_and_queues_it_once(tmp_path, storage, stop, n_jobs):
    config, study = setup(tmp_path, storage, n_jobs=n_jobs, n_trials=n_jobs + 1)
    proc = start("run", str(config), "--quiet", "--no-report")
    try:
        wait_for(lambda: len(pids(tmp_path)) == n_jobs, timeout=60, what=f"{n_jobs} scripts running", proc=proc)
        proc.send_signal(getattr(signal, stop))
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        assert f"{n_jobs} interrupted trials are queued to run first" in err
        wait_for(lambda: not any(alive(p) for ps in pids(tmp_path).values() for p in ps), timeout=10,
                 what="the scripts and their children to end")

        stored = trials(storage, study)
        interrupted = [t for t in stored if t.state == tunelab.TrialState.FAIL]
        assert sorted(t.number for t in interrupted) == sorted(pids(tmp_path))
        assert all(t.fail_reason.startswith("interrupted") for t in interrupted)
        queued = [t for t in stored if t.state == tunelab.TrialState.WAITING]
        assert sorted(t.retry_of for t in queued) == sorted(t.number for t in interrupted)
        assert all(t.fixed_params == stored[t.retry_of].params and t.retry_count == 1 for t in queued)
        assert not [t for t in stored if t.state == tunelab.TrialState.RUNNING]

        (tmp_path / "fast").touch()
        rerun = run("run", str(config), "--quiet", "--no-report")
        assert rerun.returncode == 0, rerun.stderr
        assert f"continuing study '{study}' (0 of {n_jobs + 1} trials done)" in rerun.stdout
        after = trials(storage, study)
        check_recovered(after, n_jobs + 1, [t.number for t in interrupted])
        retries = [t for t in after if t.retry_of is not None]
        fresh = [t for t in after if t.retry_of is None and t.state == tunelab.TrialState.COMPLETE]
        assert max(t.datetime_start for t in retries) <= min(t.datetime_start for t in fresh), "queued ones first"
    finally:
        proc.kill()
        kill_all([p for ps in pids(tmp_path).values() for p in ps])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_sigkilled_driver_takes_its_scripts_along_and_the_next_run_repeats_their_trials(tmp_path, storage, n_jobs):
    config, study = setup(tmp_path, storage, n_jobs=n_jobs, n_trials=3, storage_table="""
        [storage]
        heartbeat_interval = 0.5
        """.replace("[storage]", f'[storage]\nurl = "{storage}"'))
    config.write_text(config.read_text().replace(f'storage = "{storage}"\n', ""))
    proc = start("run", str(config), "--quiet", "--no-report")
    try:
        running = wait_for(lambda: len(pids(tmp_path)) == n_jobs and pids(tmp_path), timeout=60,
                           what=f"{n_jobs} scripts running", proc=proc)
        proc.kill()
        proc.communicate(timeout=10)
        everything = [p for ps in running.values() for p in ps]
        wait_for(lambda: not any(alive(p) for p in everything), timeout=5,
                 what="the scripts and their children to die with their driver")
        assert {t.number for t in trials(storage, study) if t.state == tunelab.TrialState.RUNNING} == set(running)

        (tmp_path / "fast").touch()
        rerun = run("run", str(config), "--quiet", "--no-report")
        assert rerun.returncode == 0, rerun.stderr
        after = trials(storage, study)
        lost = [t for t in after if t.state == tunelab.TrialState.FAIL]
        assert sorted(t.number for t in lost) == sorted(running)
        assert all(t.fail_reason and not t.fail_reason.startswith("interrupted") for t in lost)
        check_recovered(after, 3, sorted(running))
    finally:
        proc.kill()
        kill_all([p for ps in pids(tmp_path).values() for p in ps])
