"""``tunelab run`` with ``[pbt]``: a training script that saves and loads its checkpoint by path
trains as a population; a script killed from outside resumes its interval from the checkpoint it
started from; Ctrl-C stops the run and a rerun continues; nothing is lost or trained twice."""

from __future__ import annotations

import json
import signal
import textwrap
import uuid
from pathlib import Path

import pytest

import tunelab
from tests.runner.clirun import kill_all, run, start, wait_for
from tunelab.config import load_config
from tunelab.pbt import result
from tunelab.runner import run_config

P, BUDGET, INTERVAL = 4, 6, 2
COMPLETE, FAIL = tunelab.TrialState.COMPLETE, tunelab.TrialState.FAIL

CONFIG = """\
study = "{study}"
seed = 0
[storage]
url = "{url}"
heartbeat_interval = 0.5
retries = {retries}
[objective]
command = ["python", "train.py"]
grace = 1
[metric]
name = "loss"
[sampler]
name = "random"
[parameters]
lr = {{type = "float", low = 0.05, high = 0.9, log = true}}
[pbt]
population_size = {P}
budget = {BUDGET}
interval = {INTERVAL}
checkpoint_file = "state.json"
{checkpoint_dir}
"""

#: "Trains" a number towards 1 at the rate --lr, one epoch at a time from the epoch its checkpoint
#: holds up to --epochs; its checkpoint keeps every (epoch, rate) it trained. It takes no PBT
#: argument it does not need to run alone: without --checkpoint_in/out it trains from scratch.
TRAIN = """\
import argparse, json, os, signal, sys, time
import tunelab
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--epochs", type=int, default=6)
p.add_argument("--checkpoint_in", default="")
p.add_argument("--checkpoint_out", default="")
a = p.parse_args()
state = {"x": 0.0, "epoch": 0, "trained": []}
if a.checkpoint_in:
    with open(a.checkpoint_in) as f:
        state = json.load(f)
for epoch in range(state["epoch"], a.epochs):
    state["x"] += a.lr * (1 - state["x"])
    state["trained"].append([epoch, a.lr])
    state["epoch"] = epoch + 1
    tunelab.report((1 - state["x"]) ** 2, step=epoch)
    HOOK
if a.checkpoint_out:
    with open(a.checkpoint_out, "w") as f:
        json.dump(state, f)
tunelab.report((1 - state["x"]) ** 2)
"""

#: The first time an interval starting at epoch 2 trains epoch 2, the script is killed from outside
#: (SIGKILL, after its checkpoint_out folder was created and half an interval trained).
KILLED_ONCE = """if epoch == 2 and not os.path.exists("killed"):
        open("killed", "w").close()
        os.kill(os.getpid(), signal.SIGKILL)"""

#: The first time an interval starts at epoch 2, the script says so and waits (the test presses Ctrl-C).
WAITS_ONCE = """if epoch == 2 and not os.path.exists("waited"):
        open("waited", "w").close()
        print("waiting", flush=True)
        time.sleep(60)"""


def setup(tmp_path, hook="pass", *, retries=0, storage=None):
    """The config; ``storage`` a URL (default: an SQLite file beside it); checkpoints beside an
    SQLite file, else in ``checkpoints/``."""
    (tmp_path / "train.py").write_text(TRAIN.replace("HOOK", hook))
    config = tmp_path / "tune.toml"
    url = storage or f"sqlite:///{tmp_path}/tune.db"
    checkpoint_dir = "" if url.startswith("sqlite") else f'checkpoint_dir = "{tmp_path}/checkpoints"'
    config.write_text(CONFIG.format(study=f"pbt-{uuid.uuid4().hex[:8]}", url=url, checkpoint_dir=checkpoint_dir,
                                    retries=retries, P=P, BUDGET=BUDGET, INTERVAL=INTERVAL))
    return config


def population(study):
    return [t for t in study.trials if "pbt" in t.user_attrs]


def check_every_lineage(study):
    """Each last-generation checkpoint trained epochs 0..BUDGET-1 once each, at its lineage's rates."""
    found = result(study)
    last = [t for t in population(study) if t.state == COMPLETE and t.user_attrs["pbt"]["generation"] == 2]
    assert sorted(t.user_attrs["pbt"]["member"] for t in last) == list(range(P))
    root = found.settings["checkpoint_dir"]
    for t in last:
        with open(f"{root}/trial_{t.number}/state.json") as f:
            trained = json.load(f)["trained"]
        assert [e for e, _ in trained] == list(range(BUDGET))  # nothing lost, nothing trained twice
    with open(found.checkpoint / "state.json") as f:
        trained = json.load(f)["trained"]
    assert [found.schedule(e) for e, _ in trained] == [lr for _, lr in trained]  # the schedule is what ran
    return found


def test_a_script_trains_as_a_population_and_its_winner_schedule_is_what_it_used(tmp_path):
    study = run_config(load_config(setup(tmp_path)), show_progress=False)
    trials = population(study)
    assert len(trials) == P * (BUDGET // INTERVAL) and all(t.state == COMPLETE for t in trials)
    found = check_every_lineage(study)
    assert [iv.generation for iv in found.lineage] == [0, 1, 2]
    for t in trials:  # what the script reported per epoch, and the interval's value
        info = t.user_attrs["pbt"]
        assert sorted(t.intermediate_values) == list(range(info["start"], info["stop"]))
        assert t.value == t.intermediate_values[info["stop"] - 1]
    exploited = [e for g in (1, 2) for e in study.system_attrs[f"pbt:generation:{g}"] if e["exploited"]]
    assert len(exploited) == 2  # one member per generation (quantile 0.25 of 4) copied a top one
    log = (tmp_path / f"{study.study_name}-logs" / f"trial-{trials[-1].number}.log").read_text()
    assert "Traceback" not in log


def test_a_script_killed_from_outside_runs_its_interval_again_from_the_same_checkpoint(tmp_path, sql_url):
    study = run_config(load_config(setup(tmp_path, KILLED_ONCE, storage=sql_url)), show_progress=False)
    killed = [t for t in population(study) if t.state == FAIL]
    assert len(killed) == 1 and "killed by signal 9 (SIGKILL)" in killed[0].fail_reason
    info = killed[0].user_attrs["pbt"]
    again = [t for t in population(study) if t.state == COMPLETE and t.user_attrs["pbt"]["member"] == info["member"]
             and t.user_attrs["pbt"]["generation"] == info["generation"]]
    assert len(again) == 1 and again[0].user_attrs["pbt"]["parent"] == info["parent"]
    assert again[0].user_attrs["pbt"]["attempt"] == 1 and again[0].params == killed[0].params
    root = Path(result(study).settings["checkpoint_dir"])
    assert root.is_relative_to(tmp_path / ("study.db.pbt" if sql_url.startswith("sqlite") else "checkpoints"))
    assert not any(p.name.startswith(".trial_") for p in root.iterdir())  # no half-written checkpoint left
    check_every_lineage(study)


def test_a_lost_script_retried_by_the_storage_also_resumes_from_its_checkpoint(tmp_path, sql_url):
    study = run_config(load_config(setup(tmp_path, KILLED_ONCE, retries=1, storage=sql_url)), show_progress=False)
    killed = [t for t in population(study) if t.state == FAIL]
    assert len(killed) == 1
    retry = next(t for t in population(study) if t.retry_of == killed[0].number)
    assert retry.state == COMPLETE and retry.user_attrs["pbt"]["parent"] == killed[0].user_attrs["pbt"]["parent"]
    check_every_lineage(study)


def test_ctrl_c_stops_the_run_cleanly_and_a_rerun_continues(tmp_path, sql_url):
    config = setup(tmp_path, WAITS_ONCE, storage=sql_url)
    proc = start("run", str(config), "--no-report", "--quiet", cwd=tmp_path)
    try:
        assert wait_for(lambda: (tmp_path / "waited").exists(), timeout=60, proc=proc)
        logs = tmp_path / f"{load_config(config).study_name}-logs"
        assert wait_for(lambda: any("waiting" in p.read_text() for p in logs.glob("*.log")), timeout=30)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        kill_all([proc.pid])
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    again = run("run", str(config), "--no-report", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "population-based training: member" in again.stdout
    study = tunelab.load_study(study_name=load_config(config).study_name, storage=load_config(config).storage)
    stopped = [t for t in population(study) if t.state == FAIL]
    assert stopped and all(t.fail_reason.startswith("interrupted") for t in stopped)
    for t in stopped:  # each ran again, from the same checkpoint, with its parameters
        retry = next(r for r in population(study) if r.retry_of == t.number)
        assert retry.state == COMPLETE and retry.user_attrs["pbt"]["parent"] == t.user_attrs["pbt"]["parent"]
        assert retry.params == t.params
    check_every_lineage(study)


def test_a_script_that_saves_no_checkpoint_fails_its_interval_with_a_clear_reason(tmp_path):
    config = setup(tmp_path)
    (tmp_path / "train.py").write_text(TRAIN.replace("HOOK", "pass").replace("if a.checkpoint_out:", "if False:"))
    with pytest.raises(tunelab.pbt.PBTError, match="failed 3 times"):
        run_config(load_config(config), show_progress=False)
    study = tunelab.load_study(study_name=load_config(config).study_name, storage=load_config(config).storage)
    reasons = {t.fail_reason.split(":")[0] for t in population(study) if t.state == FAIL}
    assert any("saved no checkpoint at checkpoint_out=" in r for r in
               (t.fail_reason for t in population(study) if t.state == FAIL))
    assert reasons


def test_the_script_runs_alone_unchanged(tmp_path):
    """The PBT script is a static-search script: without checkpoint arguments it trains from scratch."""
    import subprocess
    import sys

    (tmp_path / "train.py").write_text(textwrap.dedent(TRAIN.replace("HOOK", "pass")))
    done = subprocess.run([sys.executable, "train.py", "--lr=0.5", "--epochs=2"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_digits_example_trains_as_a_population(tmp_path):
    """examples/digits/pbt.toml with a tiny population: train.py resumes from its checkpoints."""
    pytest.importorskip("torch")
    import shutil
    from pathlib import Path

    import torch

    example = Path(__file__).resolve().parents[2] / "examples" / "digits"
    shutil.copy(example / "train.py", tmp_path / "train.py")
    if (example / "digits.npz").exists():  # train.py's cache of the data, made by its first run (not in git)
        shutil.copy(example / "digits.npz", tmp_path / "digits.npz")
    text = (example / "pbt.toml").read_text()
    text = text.replace("population_size = 6", "population_size = 2").replace("budget = 12", "budget = 2")
    text = text.replace("interval = 3", "interval = 1").replace('storage = "digits-pbt.db"', 'storage = "pbt.db"')
    (tmp_path / "pbt.toml").write_text(text)
    study = run_config(load_config(tmp_path / "pbt.toml"), show_progress=False)
    assert all(t.state == COMPLETE for t in study.trials) and len(study.trials) == 4
    found = result(study)
    saved = torch.load(found.checkpoint / "checkpoint", weights_only=True)
    assert saved["epoch"] == 2  # the second interval resumed at epoch 1 and trained one more
    assert found.schedule(0) == found.lineage[0].params["lr"] and found.schedule(45) == found.lineage[1].params["lr"]
