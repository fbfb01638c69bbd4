"""Runs of one config share its budget: two ``tunelab run`` at once (or one paused and resumed) end with
exactly ``n_trials`` counted trials between them, none left RUNNING or WAITING, no script run for
nothing; a trial asked when the budget turned out spent ends FAIL "not run" before anything runs
(not counted, not run again).
"""

from __future__ import annotations

import time
import uuid

import pytest

import tunelab
from tests.runner.clirun import start, wait_for
from tunelab._errors import TrialFinishedError
from tunelab.runner import counted
from tunelab.runner._budget import BudgetedObjective
from tunelab.runner._shared import CLAIM_PREFIX, CLAIM_TTL_S, SharedBudget
from tunelab.storage import SQLStorage

FAIL, COMPLETE, RUNNING = tunelab.TrialState.FAIL, tunelab.TrialState.COMPLETE, tunelab.TrialState.RUNNING


# -- a trial asked beyond the budget -----------------------------------------------------------------------
def study_with(tmp_path, *, complete: int, running: int):
    """A heartbeating study with ``complete`` COMPLETE trials and ``running`` trials RUNNING (another run's)."""
    storage = SQLStorage(f"sqlite:///{tmp_path / 'study.db'}", heartbeat_interval=5, retries=1)
    study = tunelab.create_study(storage=storage, study_name="shared")
    for _ in range(complete):
        study.tell(study.ask(), 1.0)
    for _ in range(running):
        study.ask()
    return study


def test_a_trial_asked_when_the_budget_is_full_ends_not_run_without_running(tmp_path):
    study = study_with(tmp_path, complete=2, running=1)
    ran = []
    checked = BudgetedObjective(lambda trial: ran.append(trial.number) or 0.0, 3, heartbeats=True)
    late = study.ask()
    with pytest.raises(TrialFinishedError):
        checked(late)
    assert ran == []
    record = study.trials[late.number]
    assert record.state == FAIL and record.fail_reason.startswith(
        "not run: the budget of 3 trials was spent meanwhile by another run of this config (2 counted, 1 running or "
        "queued before this trial when it was asked); it is not run again")
    assert counted(study.trials) == 2  # the RUNNING one completes the budget, the late one never counts
    assert not [t for t in study.trials if t.state == tunelab.TrialState.WAITING], "nothing queued again"


def test_of_two_trials_asked_for_the_last_place_the_earlier_runs_and_the_later_yields(tmp_path):
    study = study_with(tmp_path, complete=2, running=0)
    checked = BudgetedObjective(lambda trial: 0.5, 3, heartbeats=True)
    first, second = study.ask(), study.ask()  # two runs asked at once
    assert checked(first) == 0.5
    with pytest.raises(TrialFinishedError):
        checked(second)
    study.tell(first, 0.5)
    assert counted(study.trials) == 3 and sum(t.state == COMPLETE for t in study.trials) == 3


def test_in_optimize_a_trial_beyond_the_budget_is_recorded_and_the_loop_goes_on(tmp_path):
    study = study_with(tmp_path, complete=1, running=1)
    checked = BudgetedObjective(lambda trial: pytest.fail("a trial beyond the budget ran"), 2, heartbeats=True)
    study.optimize(checked, n_trials=1)
    assert [t.state for t in study.trials] == [COMPLETE, RUNNING, FAIL]
    assert study.trials[2].fail_reason.startswith("not run:")


# -- claims: a run announces the places it is about to take ---------------------------------------------------
class Config:
    n_trials, timeout = 3, None


def test_a_run_leaves_the_places_another_run_claimed_and_claims_its_own(tmp_path):
    study = study_with(tmp_path, complete=1, running=0)
    budget = SharedBudget(Config(), study, jobs=1)
    study.set_system_attr(CLAIM_PREFIX + "elsewhere:1:0", {"n": 1, "at": time.time()})  # another run asks 1 now
    assert budget._claim(2, set()) is None, "2 places are left, the other run takes one"
    assert budget._claim(1, set()) == 1
    assert study.system_attrs[budget._key]["n"] == 1, "claimed until the trial is asked"
    checked = budget.objective(lambda trial: 0.5)
    assert checked(study.ask()) == 0.5
    assert study.system_attrs[budget._key]["n"] == 0, "the trial RUNNING holds the place, the claim goes"


def test_a_claim_older_than_its_time_is_a_dead_runs_and_is_ignored(tmp_path):
    study = study_with(tmp_path, complete=1, running=0)
    budget = SharedBudget(Config(), study, jobs=1)
    study.set_system_attr(CLAIM_PREFIX + "elsewhere:1:0", {"n": 2, "at": time.time() - CLAIM_TTL_S - 1})
    assert budget._claim(2, set()) == 2


def test_after_a_trial_a_run_whose_next_trial_has_no_place_stops_its_round(tmp_path):
    study = study_with(tmp_path, complete=1, running=2)  # another run fills the budget of 3
    budget = SharedBudget(Config(), study, jobs=1)
    budget._left = 5  # the round it started before the other run's trials
    budget.after_trial(study, study.trials[0])
    assert study._stop_flag and study.system_attrs[budget._key]["n"] == 0


# -- two runs of one config at once ------------------------------------------------------------------------
SCRIPT = """\
import os, sys, time, tunelab
x = float(next(a for a in sys.argv if a.startswith("--x=")).split("=", 1)[1])
open(f"started-{os.environ['TUNELAB_TRIAL']}", "w").close()
for step in range(3):
    time.sleep(0.1)
    tunelab.report(x + step, step=step)
tunelab.report(x * x)
"""

CONFIG = """\
study = "{study}"
seed = {seed}
n_jobs = {n_jobs}
[storage]
url = "{url}"
heartbeat_interval = 0.2
grace_period = 1
retries = 1
[objective]
command = ["python", "train.py"]
grace = 1
[metric]
name = "loss"
[budget]
n_trials = {n_trials}
[sampler]
name = "random"
[parameters]
x = {{type = "float", low = -1.0, high = 1.0}}
"""


@pytest.fixture
def storage(sql_url):
    """A storage URL for the study: an SQLite file, or this session's PostgreSQL database."""
    return sql_url


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_two_runs_of_one_config_at_once_share_its_budget(tmp_path, storage, n_jobs):
    n_trials = {1: 8, 4: 16}[n_jobs]  # rounds enough for the second run to join the first one
    study = f"shared-{uuid.uuid4().hex[:8]}"
    (tmp_path / "train.py").write_text(SCRIPT)
    configs = []
    for seed in (0, 1):
        config = tmp_path / f"tune-{seed}.toml"
        config.write_text(CONFIG.format(study=study, seed=seed, n_jobs=n_jobs, url=storage, n_trials=n_trials))
        configs.append(config)

    def trials():
        try:
            return tunelab.load_study(study_name=study, storage=storage).trials
        except tunelab.TunelabError:  # not created yet
            return []

    first = start("run", str(configs[0]), "--quiet", "--no-report", cwd=tmp_path)
    second = None
    try:  # the second run starts while the first is under way, as two users would
        wait_for(lambda: any(t.state == COMPLETE for t in trials()), timeout=60, what="a first trial", proc=first)
        second = start("run", str(configs[1]), "--quiet", "--no-report", cwd=tmp_path)
        for proc in (first, second):
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0 and "Traceback" not in err, err
    finally:
        for proc in (first, second):
            if proc is not None:
                proc.kill()
    stored = trials()
    assert sum(t.state == COMPLETE for t in stored) == n_trials and counted(stored) == n_trials
    assert not [t.number for t in stored if not t.state.is_finished()], "trials left RUNNING or WAITING"
    started = {int(p.name.split("-")[1]) for p in tmp_path.glob("started-*")}
    thrown_away = [t.number for t in stored if t.state != COMPLETE and t.number in started]
    assert not thrown_away, "a script ran for a trial that does not count"
    others = [t for t in stored if t.state != COMPLETE]
    assert all(t.fail_reason.startswith("not run:") for t in others), [t.fail_reason for t in others]
