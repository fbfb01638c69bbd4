"""A training script killed from outside (the out-of-memory killer's SIGKILL, someone's kill) or its guard
process killed: a lost trial, queued again under the config's ``[storage] retries`` as a dead Python API
worker's trial is, the retry counting in its place. A script that fails by itself (a non-zero exit, an
exception, a crash) and a script that tunelab stops itself (a timeout) are ordinary failures: counted,
never queued again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid

import pytest

import tunelab
from tests.runner.clirun import alive, kill_all, start, wait_for
from tunelab.config import load_config
from tunelab.runner import _guard, counted, run_config

FAIL, COMPLETE = tunelab.TrialState.FAIL, tunelab.TrialState.COMPLETE

CONFIG = """\
study = "{study}"
seed = 0
[storage]
url = "sqlite:///{folder}/tune.db"
heartbeat_interval = 0.5
retries = {retries}
[objective]
command = ["python", "train.py"]
timeout = {timeout}
grace = 1
[metric]
name = "loss"
[budget]
n_trials = {n_trials}
[sampler]
name = "random"
[parameters]
x = {{type = "float", low = 0.0, high = 1.0}}
"""

#: The script ends with ``{ending}`` the first time it runs (a file ``ended`` says it did), then trains.
ENDS_ONCE = """\
import os, signal, sys, time, tunelab
x = float(sys.argv[1].split("=")[1])
print("training", flush=True)
if not os.path.exists("ended"):
    open("ended", "w").close()
    {ending}
tunelab.report(x * x)
"""


def setup(tmp_path, script, *, n_trials=2, retries=1, timeout=60):
    (tmp_path / "train.py").write_text(textwrap.dedent(script))
    config = tmp_path / "tune.toml"
    config.write_text(CONFIG.format(study=f"killed-{uuid.uuid4().hex[:8]}", folder=tmp_path, retries=retries,
                                    timeout=timeout, n_trials=n_trials))
    return config


def run(tmp_path, script, **kwargs):
    return run_config(load_config(setup(tmp_path, script, **kwargs)), show_progress=False)


@pytest.mark.parametrize(("ending", "status"), [
    ("sys.exit(3)", 3),
    ("os.kill(os.getpid(), signal.SIGKILL)", -signal.SIGKILL),
    ("os.kill(os.getpid(), signal.SIGTERM)", -signal.SIGTERM),
    ("os.kill(os.getpid(), signal.SIGSEGV)", -signal.SIGSEGV),
], ids=["exit-3", "SIGKILL", "SIGTERM", "SIGSEGV"])
def test_the_guard_ends_the_way_its_script_ended_and_says_so_for_a_signal(ending, status):
    done = subprocess.run([sys.executable, "-S", _guard.__file__, str(os.getpid()), sys.executable, "-c",
                           f"import os, signal, sys; print('training', flush=True); {ending}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == status, done.stderr
    assert done.stdout == "training\n" and "Traceback" not in done.stderr
    said = f"tunelab: the script was killed by signal {-status} ({signal.Signals(-status).name})" if status < 0 else ""
    assert done.stderr.strip() == said


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_script_killed_by_a_signal_tunelab_did_not_send_is_lost_and_runs_again(tmp_path, sig):
    study = run(tmp_path, ENDS_ONCE.format(ending=f"os.kill(os.getpid(), signal.{sig})"))
    trials = study.trials
    (lost,) = [t for t in trials if t.state == FAIL]
    number = int(getattr(signal, sig))
    assert lost.fail_reason.startswith(f"the script was killed by signal {number} ({sig}), which tunelab did not send")
    assert "a lost trial: it is queued again with its parameters (retry 1 of 1)" in lost.fail_reason
    assert "training" in lost.fail_reason and "Traceback" not in lost.fail_reason
    (retry,) = [t for t in trials if t.retry_of == lost.number]
    assert retry.state == COMPLETE and retry.params == lost.params and retry.retry_count == 1
    assert counted(trials) == 2 and sum(t.state == COMPLETE for t in trials) == 2 and len(trials) == 3


def test_a_script_killed_again_once_its_retries_are_spent_counts_as_failed(tmp_path):
    study = run(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", n_trials=1)
    first, retry = study.trials
    assert first.state == FAIL and "(retry 1 of 1)" in first.fail_reason
    assert retry.state == FAIL and retry.retry_of == first.number and retry.params == first.params
    assert "its retries are spent (1 of 1): it is not queued again" in retry.fail_reason
    assert counted(study.trials) == 1  # the first counts through its retry, which failed for good


def test_without_retries_a_killed_script_fails_and_says_so(tmp_path):
    study = run(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", n_trials=1, retries=0)
    (t,) = study.trials
    assert t.state == FAIL and "the storage queues no lost trial again ([storage] retries = 0)" in t.fail_reason


@pytest.mark.parametrize(("ending", "said"), [
    ("sys.exit(3)", "the script exited with status 3"),
    ("raise RuntimeError('diverged')", "the script exited with status 1"),
    ("os.kill(os.getpid(), signal.SIGSEGV)", "the script was killed by signal 11 (SIGSEGV)"),
    ("time.sleep(30)", "the trial ran past the per-trial timeout of 1 s and was stopped"),
], ids=["exit-3", "raises", "crash", "timeout"])
def test_a_script_failing_by_itself_or_stopped_by_tunelab_is_an_ordinary_failure(tmp_path, ending, said):
    study = run(tmp_path, ENDS_ONCE.format(ending=ending), n_trials=1, timeout=1)
    (t,) = study.trials
    assert t.state == FAIL and said in t.fail_reason and "lost" not in t.fail_reason
    assert counted(study.trials) == 1


GUARDED_ONCE = """\
import os, sys, time, tunelab
x = float(sys.argv[1].split("=")[1])
if not os.path.exists("pids"):
    with open("pids.tmp", "w") as f:
        f.write(f"{os.getpid()} {os.getppid()}")
    os.replace("pids.tmp", "pids")
    tunelab.report(x, step=0)
    time.sleep(300)
tunelab.report(x * x)
"""


def test_a_killed_guard_takes_its_script_along_and_its_trial_runs_again(tmp_path):
    config = setup(tmp_path, GUARDED_ONCE, n_trials=1)
    proc = start("run", str(config), "--quiet", "--no-report", cwd=tmp_path)
    pids: list[int] = []
    try:
        wait_for(lambda: (tmp_path / "pids").exists(), timeout=60, what="the script to start", proc=proc)
        pids = [int(p) for p in (tmp_path / "pids").read_text().split()]
        script, guard = pids
        os.kill(guard, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert not alive(script), "the script of the killed guard was stopped"
        assert "Traceback" not in err
        study = tunelab.load_study(study_name=load_config(config).study_name, storage=load_config(config).storage)
        lost, retry = study.trials
        assert lost.state == FAIL and lost.fail_reason.startswith(
            "the guard process of the script (tunelab run's process for the trial) was killed by signal 9 (SIGKILL)")
        assert "queued again with its parameters (retry 1 of 1)" in lost.fail_reason
        assert retry.state == COMPLETE and retry.retry_of == lost.number and retry.params == lost.params
        assert counted(study.trials) == 1
    finally:
        proc.kill()
        kill_all(pids)
