"""``tunelab run`` and ``tunelab report`` as a user runs them: output, report, resume, Ctrl-C."""

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tunelab
from tunelab.cli import main

CONFIG = """\
study = "quad"
seed = 0
[objective]
command = ["python", "train.py"]
[metric]
name = "loss"
[budget]
n_trials = {n_trials}
[sampler]
name = "random"
[parameters]
x = {{type = "float", low = -1.0, high = 1.0}}
optimizer = {{type = "categorical", choices = ["sgd", "adam"]}}
momentum = {{type = "float", low = 0.5, high = 0.99, when = {{optimizer = "sgd"}}}}
lr = {{type = "schedule", families = ["constant", "cosine"], initial = [1e-3, 1e-1], total_steps = 50}}
"""
SCRIPT = """\
import sys, time, tunelab
x = float(next(a for a in sys.argv if a.startswith("--x=")).split("=")[1])
time.sleep({sleep})
for step in range(3):
    print(f"tunelab: step={{step}} loss={{x * x + 1 / (step + 1)}}")
tunelab.report(x * x)
"""


def setup(tmp_path, *, n_trials=3, sleep=0.0):
    (tmp_path / "train.py").write_text(SCRIPT.format(sleep=sleep))
    (tmp_path / "tune.toml").write_text(CONFIG.format(n_trials=n_trials))
    return tmp_path / "tune.toml"


def test_run_prints_the_summary_and_code_and_writes_the_report(tmp_path, capsys):
    config = setup(tmp_path)
    assert main(["run", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 trials: 3 complete" in out and "best trials:" in out
    assert "best configuration, PyTorch:" in out and "lr_scheduler = scheduler(optimizer, lr)" in out
    assert "best configuration, Keras:" in out and "learning_rate(lr)" in out
    assert (tmp_path / "report.html").exists()
    assert main(["run", str(config), "--quiet", "--no-report"]) == 0  # the budget is spent: nothing runs
    assert "continuing study 'quad' (3 of 3 trials done)" in capsys.readouterr().out
    assert main(["report", "--storage", f"sqlite:///{tmp_path / 'tune.db'}", "--output", str(tmp_path / "r.html")]) == 0
    assert "Optimization history" in (tmp_path / "r.html").read_text()


def test_a_bad_config_is_refused_before_anything_runs(tmp_path, capsys):
    config = setup(tmp_path)
    config.write_text(config.read_text().replace("n_trials", "n_trails"))
    assert main(["run", str(config)]) == 1
    err = capsys.readouterr().err
    assert "tune.toml line 8: unknown key 'budget.n_trails' in [budget]; did you mean 'n_trials'?" in err
    assert not (tmp_path / "tune.db").exists()


def test_ctrl_c_stops_cleanly_and_the_next_run_continues(tmp_path):
    config = setup(tmp_path, n_trials=4, sleep=1.5)
    exe = Path(sys.executable).with_name("tunelab")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "tunelab.cli"]
    proc = subprocess.Popen([*command, "run", str(config), "--quiet", "--no-report"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    logs = tmp_path / "quad-logs"
    deadline = time.monotonic() + 60
    while not (logs / "trial-1.log").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # trial 1's script is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: 1 finished trials are stored; run 'tunelab run" in err

    url = f"sqlite:///{tmp_path / 'tune.db'}"
    states = [t.state for t in tunelab.load_study(study_name="quad", storage=url).trials]
    assert states == [tunelab.TrialState.COMPLETE, tunelab.TrialState.FAIL]  # nothing lost, nothing running

    rerun = subprocess.run([*command, "run", str(config), "--quiet", "--no-report"], capture_output=True, text=True,
                           timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "continuing study 'quad' (1 of 4 trials done)" in rerun.stdout
    trials = tunelab.load_study(study_name="quad", storage=url).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert trials[1].system_attrs["fail_reason"].startswith("interrupted")


@pytest.mark.slow
def test_the_digits_example_runs_end_to_end_with_a_tiny_budget(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    example = Path(__file__).resolve().parents[2] / "examples" / "digits"
    shutil.copy(example / "train.py", tmp_path / "train.py")
    text = (example / "tunelab.toml").read_text().replace("n_trials = 30", "n_trials = 2")
    (tmp_path / "tunelab.toml").write_text(text)
    env_before = dict(os.environ)
    assert main(["run", str(tmp_path / "tunelab.toml"), "--quiet"]) == 0
    assert dict(os.environ) == env_before
    study = tunelab.load_study(study_name="digits", storage=f"sqlite:///{tmp_path / 'digits.db'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    assert all(math.isfinite(t.value) and t.intermediate_values for t in study.trials)
    # a random configuration may train badly (rmsprop at a high constant rate ended at 3.8 once);
    # the better of the two learned something: below chance-level cross-entropy, ln(10) = 2.30
    assert min(t.value for t in study.trials) < math.log(10)
    assert "Learning-rate schedules of the best trials" in (tmp_path / "report.html").read_text()
