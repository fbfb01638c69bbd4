"""Script trials: how each outcome of a training script is recorded (tiny scripts, no training)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import tunelab
from tunelab.config import load_config
from tunelab.pruners import Pruner
from tunelab.runner import ScriptObjective, run_config

CONFIG = """\
seed = 0
[objective]
command = ["python", "train.py"]
pass = "{mode}"
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
word = {{type = "categorical", choices = ["; rm -rf /tmp/x", "$(touch pwned)", "a b'c\\"d"]}}
"""


def run(tmp_path, script, *, mode="args", timeout=30, n_trials=1):
    (tmp_path / "train.py").write_text(textwrap.dedent(script))
    (tmp_path / "tune.toml").write_text(CONFIG.format(mode=mode, timeout=timeout, n_trials=n_trials))
    config = load_config(tmp_path / "tune.toml")
    return run_config(config, show_progress=False)


def test_a_script_reporting_through_the_api_completes_with_its_log_kept(tmp_path):
    study = run(tmp_path, """
        import sys, tunelab
        x = float(sys.argv[1].split("=")[1])
        for step in range(3):
            tunelab.report(x + step, step=step, accuracy=0.5)
        print("training done")
        tunelab.report(x / 2)
    """)
    (t,) = study.trials
    assert t.state == tunelab.TrialState.COMPLETE and t.value == pytest.approx(t.params["x"] / 2)
    assert t.intermediate_values == pytest.approx({0: t.params["x"], 1: t.params["x"] + 1, 2: t.params["x"] + 2})
    assert t.user_attrs["metrics"]["accuracy"] == 0.5
    assert "training done" in open(t.user_attrs["log"]).read()


def test_printed_lines_report_and_the_last_intermediate_value_is_the_result(tmp_path):
    study = run(tmp_path, """
        for step in range(3):
            print(f"tunelab: step={step} loss={10 - step}", flush=True)
    """)
    (t,) = study.trials
    assert t.state == tunelab.TrialState.COMPLETE and t.value == 8.0
    assert t.intermediate_values == {0: 10.0, 1: 9.0, 2: 8.0}


def test_a_crashing_script_fails_with_the_tail_of_its_output(tmp_path):
    study = run(tmp_path, """
        print("loading data")
        raise SystemExit("boom: CUDA out of memory")
    """)
    (t,) = study.trials
    assert t.state == tunelab.TrialState.FAIL
    reason = t.fail_reason
    assert "the script exited with status 1" in reason and "boom: CUDA out of memory" in reason
    assert "loading data" in reason and t.user_attrs["log"] in reason


def test_a_script_that_never_reports_the_metric_fails_with_the_reason(tmp_path):
    study = run(tmp_path, 'print("tunelab: step=1 accuracy=0.3")\n')
    (t,) = study.trials
    assert t.state == tunelab.TrialState.FAIL
    assert "the script never reported the metric 'loss': call tunelab.report(loss=...)" in t.fail_reason


def test_a_script_reporting_nan_fails_with_the_reason(tmp_path):
    study = run(tmp_path, 'import tunelab\ntunelab.report(float("nan"))\n')
    (t,) = study.trials
    assert t.state == tunelab.TrialState.FAIL and "the script reported loss=nan" in t.fail_reason


def test_a_hanging_script_is_killed_at_the_per_trial_timeout_and_the_run_goes_on(tmp_path):
    study = run(tmp_path, """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # deaf to SIGTERM: needs the SIGKILL
        print("tunelab: step=0 loss=1", flush=True)
        time.sleep(600)
    """, timeout=2, n_trials=2)
    assert [t.state for t in study.trials] == [tunelab.TrialState.FAIL] * 2
    assert "the trial ran past the per-trial timeout of 2 s and was stopped" in study.trials[0].fail_reason


@pytest.mark.parametrize("mode", ["args", "env", "json"])
def test_parameters_never_reach_a_shell(tmp_path, mode):
    study = run(tmp_path, """
        import json, os, sys, tunelab
        if len(sys.argv) > 1:
            got = dict(a[2:].split("=", 1) for a in sys.argv[1:])
        elif "TUNELAB_PARAMS_FILE" in os.environ:
            got = tunelab.runner.load_params_file()
        else:
            got = {"x": os.environ["TUNELAB_PARAM_X"], "word": os.environ["TUNELAB_PARAM_WORD"]}
        open("received.json", "w").write(json.dumps(got))
        tunelab.report(1.0)
    """, mode=mode, n_trials=3)
    assert all(t.state == tunelab.TrialState.COMPLETE for t in study.trials)
    got = json.loads((tmp_path / "received.json").read_text())
    assert got["word"] == study.trials[-1].params["word"]  # verbatim
    assert not (tmp_path / "pwned").exists()


class PruneAtStep1(Pruner):
    def prune(self, study, trial):
        return trial.last_step is not None and trial.last_step >= 1


@pytest.mark.parametrize("cooperative", [True, False])
def test_a_pruned_script_ends_pruned_by_itself_or_by_sigterm(tmp_path, cooperative):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import time, tunelab
        for step in range(50):
            tunelab.report(float(step), step=step)
            if {cooperative} and tunelab.should_prune():
                print("stopping: pruned", flush=True)
                break
            time.sleep(0.2)
        tunelab.report(0.0)
    """))
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = tunelab.create_study(storage=url, study_name="p", pruner=PruneAtStep1())
    objective = ScriptObjective((__import__("sys").executable, str(script)), (), storage_url=url, metrics=("loss",),
                                cwd=tmp_path, log_dir=tmp_path / "logs", grace=2)
    study.optimize(objective, n_trials=1)
    (t,) = study.trials
    last = max(t.intermediate_values)
    assert t.state == tunelab.TrialState.PRUNED and t.value == t.intermediate_values[last] and last < 20
    assert ("stopping: pruned" in open(t.user_attrs["log"]).read()) == cooperative


def test_a_script_whose_trial_finished_meanwhile_stops_at_its_next_report(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = tunelab.create_study(storage=url, study_name="gone")
    trial = study.ask()
    study.tell(trial, state=tunelab.TrialState.FAIL, fail_reason="no heartbeat for more than 2 s (worker died?)")
    script = tmp_path / "train.py"
    script.write_text("import tunelab\nprint('step 0', flush=True)\ntunelab.report(1.0, step=0)\nprint('trained on')\n")
    env = {**os.environ, "TUNELAB_STORAGE": url, "TUNELAB_STUDY": "gone", "TUNELAB_TRIAL": str(trial.number),
           "TUNELAB_METRICS": "loss"}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "tunelab: trial 0 is FAIL already (its run was stopped or gave it up)" in done.stderr
    assert "trained on" not in done.stdout
    assert study.trials[0].intermediate_values == {}


def test_a_script_that_cannot_start_fails_its_trial_with_the_reason(tmp_path):
    script = tmp_path / "train.sh"
    script.write_text("#!/no/such/interpreter\n")
    script.chmod(0o755)
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = tunelab.create_study(storage=url, study_name="nostart")
    objective = ScriptObjective((str(script),), (), storage_url=url, metrics=("loss",), cwd=tmp_path,
                                log_dir=tmp_path / "logs")
    study.optimize(objective, n_trials=1, catch=(tunelab.runner.ScriptFailedError,))
    (t,) = study.trials
    assert t.state == tunelab.TrialState.FAIL
    assert "ScriptFailedError: the script could not start: [Errno 2] No such file or directory" in t.fail_reason


def test_the_study_of_tunelab_run_heartbeats_with_the_config_policy(tmp_path):
    from tunelab.runner import open_study

    (tmp_path / "train.py").write_text("")
    (tmp_path / "tune.toml").write_text(CONFIG.format(mode="args", timeout=5, n_trials=1))
    storage = open_study(load_config(tmp_path / "tune.toml")).storage
    assert (storage.heartbeat_interval, storage.grace_period, storage.retries) == (10.0, 40.0, 1)
    (tmp_path / "tune.toml").write_text("[storage]\nheartbeat_interval = 3\nretries = 2\n"
                                        + CONFIG.format(mode="args", timeout=5, n_trials=1).replace("seed = 0\n", ""))
    storage = open_study(load_config(tmp_path / "tune.toml")).storage
    assert (storage.heartbeat_interval, storage.grace_period, storage.retries) == (3.0, 12.0, 2)
