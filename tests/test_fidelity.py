"""tunelab.fidelity: rung budgets from the study's pruner, the schedule-aware default, a crash mid-rung."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

import tunelab
from tests.faults.procs import child_env, wait_for
from tunelab import fidelity, pruners, schedules
from tunelab.storages import RDBStorage

SPACE = schedules.space(families=["constant", "cosine", "wsd"], initial=(1e-3, 1.0))


class Recorder:
    """A training function that records the budgets it was called with, per trial."""

    def __init__(self) -> None:
        self.calls: dict[int, list[int]] = {}

    def __call__(self, trial: tunelab.Trial, epochs: int) -> float:
        self.calls.setdefault(trial.number, []).append(epochs)
        x = trial.suggest_float("x", 0.0, 1.0)
        lr = trial.suggest_schedule("lr", SPACE, total_steps=epochs * 10)
        return x + lr(0) / 100 + 1.0 / epochs


def test_no_pruner_named_gets_the_schedule_aware_default_and_says_so(caplog):
    study = tunelab.create_study(study_name="default-choice")
    train = Recorder()
    with caplog.at_level(logging.INFO, logger="tunelab"):
        study.optimize(lambda t: fidelity.run(t, train, max_epochs=27), n_trials=20)
    assert repr(study.pruner) == repr(fidelity.default_pruner(27))
    chosen = [r.getMessage() for r in caplog.records if "tunelab.fidelity.run" in r.getMessage()]
    assert len(chosen) == 1 and "RescaledHyperband(min_resource=1, max_resource=27" in chosen[0]
    rungs = {e: study.pruner.rungs_of(e) for e in range(study.pruner.n_brackets)}
    for t in study.trials:  # each trial trains at a prefix of its bracket's budgets, fresh runs
        bracket = rungs[study.pruner.bracket(study.study_name, t.number)]
        assert train.calls[t.number] == bracket[:len(train.calls[t.number])]
        assert sorted(t.intermediate_values) == train.calls[t.number]
        if t.state == tunelab.TrialState.COMPLETE:
            assert train.calls[t.number][-1] == 27 and t.value == t.intermediate_values[27]
    states = {t.state for t in study.trials}
    assert tunelab.TrialState.PRUNED in states and tunelab.TrialState.COMPLETE in states


def test_a_named_rescaled_pruner_gives_the_budgets():
    pruner = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)
    study = tunelab.create_study(pruner=pruner, sampler=tunelab.samplers.RandomSampler(seed=0))
    train = Recorder()
    study.optimize(lambda t: fidelity.run(t, train, max_epochs=9), n_trials=9)
    assert study.pruner is pruner
    assert train.calls[0] == [1, 3, 9]  # the first trial at each rung is promoted
    for t in study.trials:
        calls = train.calls[t.number]
        assert calls == [1, 3, 9][:len(calls)] and sorted(t.intermediate_values) == calls
        assert (t.state == tunelab.TrialState.COMPLETE) == (calls[-1] == 9)
    assert sum(t.state == tunelab.TrialState.PRUNED for t in study.trials) >= 3


def test_a_named_pruner_without_budgets_trains_once_at_max_epochs(caplog):
    for pruner in (pruners.MedianPruner(), pruners.NopPruner()):
        study = tunelab.create_study(pruner=pruner)
        train = Recorder()
        with caplog.at_level(logging.INFO, logger="tunelab"):
            study.optimize(lambda t, train=train: fidelity.run(t, train, max_epochs=27), n_trials=3)
        assert study.pruner is pruner
        assert list(train.calls.values()) == [[27]] * 3
        assert all(t.state == tunelab.TrialState.COMPLETE for t in study.trials)
    assert not [r for r in caplog.records if "tunelab.fidelity.run" in r.getMessage()]


def test_a_pruner_set_after_create_study_is_kept():
    study = tunelab.create_study()
    chosen = pruners.NopPruner()
    study.pruner = chosen
    train = Recorder()
    study.optimize(lambda t: fidelity.run(t, train, max_epochs=9), n_trials=2)
    assert study.pruner is chosen and list(train.calls.values()) == [[9], [9]]


def test_one_epoch_has_no_rung_below_it():
    study = tunelab.create_study()
    train = Recorder()
    study.optimize(lambda t: fidelity.run(t, train, max_epochs=1), n_trials=2)
    assert list(train.calls.values()) == [[1], [1]]
    assert isinstance(study.pruner, pruners.MedianPruner)


def test_bad_input_is_refused_with_what_is_allowed():
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    trial = study.ask()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"max_epochs=27 is invalid.*trains trials up to 9"):
        fidelity.run(trial, Recorder(), max_epochs=27)
    with pytest.raises(tunelab.InvalidArgumentError, match="max_epochs=0 is invalid for tunelab.fidelity.run"):
        fidelity.run(trial, Recorder(), max_epochs=0)
    with pytest.raises(tunelab.InvalidTypeError, match="train=.*is invalid for tunelab.fidelity.run: must be a callable"):
        fidelity.run(trial, "train", max_epochs=9)
    with pytest.raises(tunelab.InvalidArgumentError, match=r"train returned 'bad'.* at 1 epochs: it must return"):
        fidelity.run(trial, lambda t, e: "bad", max_epochs=9)
    with pytest.raises(tunelab.InvalidArgumentError, match="max_epochs=1 is invalid"):
        fidelity.default_pruner(1)


def test_train_that_reports_itself_is_told_to_stop():
    study = tunelab.create_study()

    def train(trial, epochs):
        for e in range(epochs):
            trial.report(1.0 / (e + 1), step=e)
        return 0.5

    with pytest.raises(tunelab.InvalidArgumentError, match=r"train reported for trial 0 while training \d+ epochs: under tunelab.fidelity.run"):
        study.optimize(lambda t: fidelity.run(t, train, max_epochs=9), n_trials=1)


_CHILD = textwrap.dedent("""
    import os, sys, time
    import tunelab
    from tunelab import fidelity, pruners
    from tunelab.storages import RDBStorage, RetryFailedTrialCallback

    url, log, name = sys.argv[1:4]
    storage = RDBStorage(url, heartbeat_interval=1, grace_period=2,
                         failed_trial_callback=RetryFailedTrialCallback(max_retry=1))
    study = tunelab.create_study(storage=storage, study_name=name, load_if_exists=True,
                                 pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))

    def train(trial, epochs):
        x = trial.suggest_float("x", 0.0, 1.0)
        with open(log, "a") as f:
            f.write(f"{trial.number} {epochs}\\n")
        if epochs == 9 and trial.number == 0:
            time.sleep(600)  # killed here, in the middle of the last rung
        return x + 1.0 / epochs

    study.optimize(lambda t: fidelity.run(t, train, max_epochs=9), n_trials=1)
""")


def test_a_retry_after_a_crash_mid_rung_resumes_at_the_unfinished_budget(tmp_path, sql_url):
    url, log, name = sql_url, tmp_path / "budgets.log", f"crash-{uuid.uuid4().hex[:8]}"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(log), name], env=child_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for(lambda: log.exists() and "0 9" in log.read_text(), 60, "the 9-epoch rung of trial 0", proc=child)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)
    time.sleep(3)  # past the grace period of 2 s: the next run fails the lost trial and retries it
    subprocess.run([sys.executable, "-c", _CHILD, url, str(log), name], env=child_env(), check=True, timeout=120,
                   capture_output=True)
    assert log.read_text().split("\n")[:-1] == ["0 1", "0 3", "0 9", "1 9"]  # the retry trains only the 9
    storage = RDBStorage(url)
    lost, retry = tunelab.load_study(study_name=name, storage=storage).trials
    assert lost.state == tunelab.TrialState.FAIL and sorted(lost.intermediate_values) == [1, 3]
    assert retry.retry_of == 0 and retry.state == tunelab.TrialState.COMPLETE
    assert retry.params == lost.params and retry.intermediate_values == {
        1: lost.intermediate_values[1], 3: lost.intermediate_values[3], 9: retry.value}
    assert retry.value == pytest.approx(lost.params["x"] + 1 / 9)


class Toy:
    """A training run of one weight (gradient descent on w**2/2): the shared run, its branches."""

    def __init__(self) -> None:
        self.w, self.calls = 10.0, []

    def train_steps(self, rates):
        self.calls.append(list(rates))
        for r in rates:
            self.w -= r * self.w

    def kwargs(self):
        return {"train_steps": self.train_steps, "evaluate": lambda: self.w, "snapshot": lambda: self.w,
                "restore": lambda w: setattr(self, "w", w)}


def test_wsd_rungs_branch_a_cooldown_off_one_shared_run():
    wsd = schedules.WarmupStableDecay(0.05, 90, warmup_fraction=0.1, decay_fraction=0.3, decay_shape="1-sqrt",
                                      final_lr=0.005)
    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    trial, toy = study.ask(), Toy()
    value = fidelity.run_wsd(trial, schedule=wsd, steps_per_epoch=10, max_epochs=9, **toy.kwargs())
    shared, branches = toy.calls[0::2], toy.calls[1::2]
    assert sum(shared, []) == pytest.approx(list(wsd(list(range(90)))))  # the run itself: the schedule, once
    plain = Toy()
    plain.train_steps(list(wsd(list(range(90)))))
    assert value == pytest.approx(plain.w)  # the branches left no trace on the run
    for (epochs, branch), lr_now in zip(zip((1, 3), branches), (wsd(9), wsd(29))):
        assert len(branch) == round(0.3 * epochs * 10)  # the schedule's own decay fraction of the rung
        assert branch[0] < lr_now and branch[-1] == pytest.approx(0.005)  # from the rate now to final_lr
    reported = trial.freeze().intermediate_values
    assert sorted(reported) == [1, 3, 9] and reported[9] == value
    steps_trained = sum(len(c) for c in toy.calls)
    assert steps_trained == 90 + 3 + 9 < (1 + 3 + 9) * 10  # the shared run and two cooldowns vs fresh runs


def test_wsd_rungs_refuse_another_schedule_or_horizon():
    trial = tunelab.create_study().ask()
    kw = Toy().kwargs()
    with pytest.raises(tunelab.InvalidTypeError, match="schedule=.*is invalid for tunelab.fidelity.run_wsd: must be "
                                                       "a WarmupStableDecay"):
        fidelity.run_wsd(trial, schedule=schedules.CosineDecay(0.1, 90), steps_per_epoch=10, max_epochs=9, **kw)
    with pytest.raises(tunelab.InvalidArgumentError, match=r"over max_epochs \* steps_per_epoch = 270 steps \(its "
                                                           r"total_steps is 90\)"):
        fidelity.run_wsd(trial, schedule=schedules.WarmupStableDecay(0.1, 90, decay_fraction=0.2),
                         steps_per_epoch=10, max_epochs=27, **kw)


def test_a_schedule_searched_in_a_per_epoch_loop_under_the_default_says_how_to_get_rungs(caplog):
    def objective(trial):
        lr = trial.suggest_schedule("lr", SPACE, total_steps=30)
        for epoch in range(3):
            trial.report(lr(epoch * 10), step=epoch)
        return lr(29)

    study = tunelab.create_study()
    with caplog.at_level(logging.INFO, logger="tunelab"):
        study.optimize(objective, n_trials=3)
    told = [r.getMessage() for r in caplog.records if "tunelab.fidelity.run(trial, train" in r.getMessage()]
    assert len(told) == 1 and "searches a learning-rate schedule with the default pruner MedianPruner(" in told[0]
    assert isinstance(study.pruner, pruners.MedianPruner)  # the per-epoch loop keeps Optuna's default
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tunelab"):  # a named pruner: nothing to say
        tunelab.create_study(pruner=pruners.NopPruner()).optimize(objective, n_trials=2)
    assert not [r for r in caplog.records if "tunelab.fidelity.run(trial, train" in r.getMessage()]


def test_a_schedule_built_for_a_fixed_length_is_flagged_once(caplog):
    def train(trial, epochs):  # the mistake: the schedule's horizon does not follow the budget
        trial.suggest_schedule("lr", SPACE, total_steps=270)
        return trial.suggest_float("x", 0.0, 1.0) + 1.0 / epochs

    study = tunelab.create_study(pruner=pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9))
    with caplog.at_level(logging.WARNING, logger="tunelab"):
        study.optimize(lambda t: fidelity.run(t, train, max_epochs=9), n_trials=1)
    said = [r.getMessage() for r in caplog.records if "was built for 270 steps" in r.getMessage()]
    assert said == ["trial 0: schedule 'lr' was built for 270 steps at both the 1- and the 3-epoch budget: build "
                    "it for the budget, trial.suggest_schedule('lr', space, total_steps=epochs * steps_per_epoch), "
                    "or a rung trains only part of it"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tunelab"):  # built for the budget: nothing to say
        study.optimize(lambda t: fidelity.run(t, Recorder(), max_epochs=9), n_trials=2)
    assert not [r for r in caplog.records if "was built for" in r.getMessage()]


def _train_x(trial, epochs):
    return trial.suggest_float("x", 0.0, 1.0) + 1.0 / epochs


def _objective_in_workers(trial):
    return fidelity.run(trial, _train_x, max_epochs=9)


def test_worker_processes_train_in_rungs_under_the_default_too(tmp_path):
    """The default pruner travels to worker processes as the default, so fidelity replaces it there."""
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 's.db'}", study_name="workers")
    study.optimize(_objective_in_workers, n_trials=12, n_jobs=2)
    assert {t.state for t in study.trials} == {tunelab.TrialState.COMPLETE, tunelab.TrialState.PRUNED}
    hyperband = fidelity.default_pruner(9)
    for t in study.trials:
        budgets = hyperband.rungs_of(hyperband.bracket("workers", t.number))
        assert sorted(t.intermediate_values) == budgets[:len(t.intermediate_values)]


@pytest.mark.parametrize("kind", [pruners.RescaledSuccessiveHalving, pruners.RescaledHyperband])
def test_a_pruner_whose_later_budgets_continue_one_run_is_refused(kind):
    study = tunelab.create_study(pruner=kind(min_resource=1, max_resource=27, compress_below=1 / 3))
    with pytest.raises(tunelab.InvalidArgumentError, match=r"its budgets \[9\] are points of one continuing "
                                                           r"full-length run \(compress_below < 1\)"):
        fidelity.run(study.ask(), Recorder(), max_epochs=27)
