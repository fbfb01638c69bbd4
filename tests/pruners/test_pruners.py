"""Each pruner's own rule, its arguments' errors, and the schedule-aware helpers."""

import pytest

import tunelab
from tunelab import pruners


@pytest.mark.parametrize(("make", "match"), [
    (lambda: pruners.PercentilePruner(101.0), r"percentile=101.0 .*\[0, 100\]"),
    (lambda: pruners.MedianPruner(n_warmup_steps=-1), r"n_warmup_steps=-1 .*>= 0"),
    (lambda: pruners.MedianPruner(interval_steps=0), r"interval_steps=0 .*>= 1"),
    (lambda: pruners.ThresholdPruner(), r"needs lower or upper"),
    (lambda: pruners.ThresholdPruner(lower=2.0, upper=1.0), r"lower=2.0 .*<= upper=1.0"),
    (lambda: pruners.PatientPruner("median", patience=1), r"wrapped_pruner='median'"),
    (lambda: pruners.PatientPruner(None, patience=1, min_delta=-1.0), r"min_delta=-1.0"),
    (lambda: pruners.SuccessiveHalvingPruner(reduction_factor=1), r"reduction_factor=1 .*>= 2"),
    (lambda: pruners.HyperbandPruner(min_resource=4, max_resource=4), r"max_resource=4 .*> min_resource=4"),
    (lambda: pruners.RescaledSuccessiveHalving(min_resource=4, max_resource=2), r"max_resource=2"),
    (lambda: pruners.RescaledSuccessiveHalving(max_resource=9, compress_below=0.0), r"compress_below=0.0 .*\(0, 1\]"),
    (lambda: pruners.RescaledSuccessiveHalving(max_resource=9, compress_below="1/3"), r"compress_below='1/3'"),
    (lambda: pruners.cooldown_rates(0.1, 10, shape="step"), r"shape='step'"),
    (lambda: pruners.cooldown_rates(0.1, -1), r"steps_so_far=-1 .*>= 0"),
    (lambda: pruners.cooldown_rates(0.1, 10, min_steps=0), r"min_steps=0 .*>= 1"),
    (lambda: pruners.progress_step(11, 10), r"step=11 .*total_steps=10"),
])
def test_bad_arguments_are_named_in_the_error(make, match):
    with pytest.raises((tunelab.InvalidArgumentError, tunelab.InvalidTypeError), match=match):
        make()


def _finished(study, values_by_step):
    trial = study.ask()
    for s, v in values_by_step.items():
        trial.report(v, s)
    study.tell(trial, list(values_by_step.values())[-1])


def test_percentile_checks_at_the_first_report_of_each_interval():
    study = tunelab.create_study(pruner=pruners.MedianPruner(n_startup_trials=1, interval_steps=10))
    _finished(study, {s: 1.0 for s in range(0, 40, 5)})
    trial = study.ask()
    seen = []
    for s in (3, 7, 12, 15, 25):
        trial.report(9.0, s)
        seen.append(trial.should_prune())
    assert seen == [True, False, True, False, True]


def test_percentile_compares_with_the_value_as_of_the_step_for_sparse_reports():
    study = tunelab.create_study(pruner=pruners.MedianPruner(n_startup_trials=1))
    _finished(study, {0: 5.0, 500: 1.0, 1000: 0.5})  # reports at progress thousandths
    trial = study.ask()
    trial.report(3.0, 300)  # compared with 5.0 (reported at 0 <= 300): not worse
    assert trial.should_prune() is False
    trial.report(3.0, 700)  # compared with 1.0: worse
    assert trial.should_prune() is True


def test_successive_halving_records_rungs_and_keeps_the_top_fraction():
    study = tunelab.create_study(pruner=pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    kept = []
    for v in (0.5, 0.9, 0.1, 0.2):
        trial = study.ask()
        trial.report(v, 1)
        kept.append(not trial.should_prune())
    assert kept == [True, False, True, True]  # 0.2 is 2nd of 4: top 4 // 2
    assert [t.system_attrs["sh:rung_0"] for t in study.trials] == [[0.5], [0.9], [0.1], [0.2]]


def test_hyperband_compares_trials_within_their_bracket_only():
    pruner = pruners.HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = tunelab.create_study(pruner=pruner, study_name="hb")
    for _ in range(30):
        trial = study.ask()
        trial.report(1.0, 1)
        trial.should_prune()
        trial.report(1.0, 3)
        trial.should_prune()
        study.tell(trial, 1.0)
    for t in study.trials:
        e = t.system_attrs[pruners.BRACKET_ATTR]
        assert e == pruner.bracket("hb", t.number)
        assert all(k.startswith(f"hb{e}:") for k in t.system_attrs if ":rung_" in k)
    assert len({t.system_attrs[pruners.BRACKET_ATTR] for t in study.trials}) > 1


def test_a_rung_value_is_recorded_once_not_overwritten_by_later_reports():
    study = tunelab.create_study(pruner=pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    first = study.ask()
    for step, value in [(1, 1.0), (2, 0.1), (3, 0.05)]:
        first.report(value, step)
        assert not first.should_prune()  # first at every rung
    study.tell(first, 0.05)
    assert study.trials[0].system_attrs["sh:rung_0"] == [1.0]
    assert study.trials[0].system_attrs["sh:rung_1"] == [0.1]
    second = study.ask()
    second.report(0.5, 1)
    assert not second.should_prune()  # better than the first trial's 1.0 at rung 0 (not its 0.05 at step 3)
    assert second.freeze().system_attrs["sh:rung_0"] == [0.5]


SUCCESSIVE_HALVING = {
    "SuccessiveHalvingPruner": lambda: pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "HyperbandPruner": lambda: pruners.HyperbandPruner(min_resource=1, max_resource=8, reduction_factor=2),
    "RescaledSuccessiveHalving": lambda: pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=8,
                                                                           reduction_factor=2),
    "RescaledHyperband": lambda: pruners.RescaledHyperband(min_resource=1, max_resource=8, reduction_factor=2),
}


@pytest.mark.parametrize("name", sorted(SUCCESSIVE_HALVING))
def test_successive_halving_gives_a_stopped_trial_the_same_answer_when_asked_again(name, storage_url):
    study = tunelab.create_study(storage=storage_url, pruner=SUCCESSIVE_HALVING[name](), study_name="again")
    stopped = 0
    for k in range(12):  # worse and worse trials: each one after the first few is stopped at some rung
        trial = study.ask()
        for step in range(1, 9):
            trial.report(float(k) + 1.0 / step, step)
            answers = [trial.should_prune() for _ in range(3)]
            assert answers in ([False] * 3, [True] * 3), (k, step, answers)
            if answers[0]:
                stopped += 1
                study.tell(trial, state=tunelab.TrialState.PRUNED)
                break
        else:
            study.tell(trial, float(k))
    assert stopped > 3


def test_a_stop_stands_however_the_study_moves_until_a_new_report():
    study = tunelab.create_study(pruner=pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    first = study.ask()
    first.report(0.1, 1)
    assert not first.should_prune()
    study.tell(first, 0.1)
    late = study.ask()
    late.report(5.0, 4)  # one report past rungs 0 (step 1), 1 (step 2) and 4 (step 4): stopped at rung 0
    assert late.should_prune()
    for v in (9.0, 9.5, 9.9):  # worse trials at rung 0: 5.0 would now be 2nd of 5, in the top 5 // 2
        other = study.ask()
        other.report(v, 1)
        other.should_prune()
        study.tell(other, v)
    assert late.should_prune() and late.should_prune()  # the rung was judged once: the stop stands
    stored = late.freeze().system_attrs
    assert stored["sh:stopped_at"] == 4 and "sh:rung_1" not in stored  # the later rungs were not judged
    late.report(5.0, 5)  # a trial that goes on after a stop is judged at its next rungs as before
    assert not late.should_prune()


def test_a_stop_read_back_from_storage_is_the_same_answer(tmp_path):
    url = f"sqlite:///{tmp_path / 'sh.db'}"
    pruner = pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    study = tunelab.create_study(storage=url, study_name="sh", pruner=pruner)
    for v in (0.1, 0.9):
        trial = study.ask()
        trial.report(v, 1)
        said = trial.should_prune()
    assert said
    loaded = tunelab.load_study(study_name="sh", storage=url, pruner=pruner)
    frozen = [t for t in loaded.get_trials() if t.number == trial.number][0]
    assert pruner.prune(loaded, frozen) is True


def test_rescaled_budgets_drive_a_plain_objective_loop():
    pruner = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)
    study = tunelab.create_study(pruner=pruner)
    trained = []

    def objective(trial):
        x = [0.5, 0.9, 0.1, 0.8, 0.7, 0.05][trial.number]
        for budget in pruner.budgets(trial):
            trained.append((trial.number, budget))
            assert pruner.budget(trial) == budget
            trial.report(x, step=budget)
        return x

    study.optimize(objective, n_trials=6)
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "PRUNED", "COMPLETE", "PRUNED", "PRUNED", "COMPLETE"]
    assert [b for n, b in trained if n == 0] == [1, 3, 9]
    assert [b for n, b in trained if n == 1] == [1]


def test_rescaled_rungs_below_the_fraction_are_compressed_the_rest_one_full_length_run():
    everything = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=27, reduction_factor=3)
    assert [everything.compressed(b) for b in everything.rungs] == [True, True, True, False]
    pruner = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=27, reduction_factor=3,
                                               compress_below=1 / 3)
    assert [pruner.compressed(b) for b in pruner.rungs] == [True, True, False, False]
    assert "compress_below=0.333333" in repr(pruner)
    study = tunelab.create_study(pruner=pruner)
    log = []

    def objective(trial):
        quality = [0.3, 0.1, 0.9][trial.number]
        run_epochs = 0
        for budget in pruner.budgets(trial):
            if pruner.compressed(budget):
                log.append((trial.number, "fresh", budget))
                value = quality + 1.0 / budget
            else:
                log.append((trial.number, "continue", budget - run_epochs))
                run_epochs = budget
                value = quality + 0.5 / budget
            trial.report(value, step=budget)
        return value

    study.optimize(objective, n_trials=3)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "PRUNED"]
    # trial 0: fresh runs of 1 and 3 epochs, then one run trained to 9 and on to 27
    assert [e for e in log if e[0] == 0] == [(0, "fresh", 1), (0, "fresh", 3), (0, "continue", 9),
                                             (0, "continue", 18)]
    assert [e for e in log if e[0] == 2] == [(2, "fresh", 1)]


def test_rescaled_budgets_require_a_report_at_each_budget():
    pruner = pruners.RescaledSuccessiveHalving(min_resource=1, max_resource=3, reduction_factor=3)
    study = tunelab.create_study(pruner=pruner)
    trial = study.ask()
    budgets = pruner.budgets(trial)
    next(budgets)
    with pytest.raises(tunelab.InvalidArgumentError, match=r"did not report at step=1"):
        next(budgets)


def test_patient_pruner_waits_for_a_stall_then_asks_the_wrapped_pruner():
    study = tunelab.create_study(pruner=pruners.PatientPruner(pruners.ThresholdPruner(upper=3.0), patience=1))
    trial = study.ask()
    decisions = []
    for s, v in enumerate([5.0, 4.0, 4.5, 2.0, 2.5]):
        trial.report(v, s)
        decisions.append(trial.should_prune())
    # 4.5 stalls and is above 3 -> stop; 2.5 stalls but is within the band -> continue
    assert decisions == [False, False, True, False, False]


def test_cooldown_probe_restores_the_state_when_training_raises():
    state = {"w": 1.0}

    def train(rates):
        state["w"] = 99.0
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError, match="diverged"):
        pruners.cooldown_probe(snapshot=lambda: dict(state), restore=state.update, train_steps=train,
                               evaluate=lambda: 0.0, lr=0.1, steps_so_far=10)
    assert state == {"w": 1.0}


def test_cooldown_rates_end_at_the_final_factor_and_scale_with_the_steps_so_far():
    rates = pruners.cooldown_rates(0.2, 100, fraction=0.1, final_factor=0.05, shape="cosine")
    assert len(rates) == 10
    assert rates[-1] == pytest.approx(0.01)
    assert all(a >= b for a, b in zip(rates, rates[1:]))
    assert len(pruners.cooldown_rates(0.2, 0, min_steps=3)) == 3


def test_progress_steps_align_trials_with_different_horizons():
    assert pruners.progress_step(5, 10) == pruners.progress_step(15, 30) == 500


def test_multi_objective_reports_need_one_value_per_objective():
    study = tunelab.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    trial.report([0.5, 0.9], 3)
    assert trial.freeze().intermediate_vectors == {3: (0.5, 0.9)}
    with pytest.raises(tunelab.InvalidArgumentError, match=r"value=\[0.5\] is invalid.*sequence of 2"):
        trial.report([0.5], 4)


def test_rescaled_hyperband_gives_each_trial_the_budgets_of_its_bracket():
    pruner = pruners.RescaledHyperband(min_resource=1, max_resource=27, reduction_factor=3, compress_below=1 / 3)
    assert pruner.n_brackets == 4
    assert [pruner.compressed(b) for b in (1, 3, 9, 27)] == [True, True, False, False]
    assert "compress_below=0.333333" in repr(pruner)
    study = tunelab.create_study(pruner=pruner, study_name="rhb")
    budgets = {}

    def objective(trial):
        budgets[trial.number] = []
        value = 1.0
        for b in pruner.budgets(trial):
            budgets[trial.number].append(b)
            value = (trial.number % 5) + 1.0 / b  # trial 0, 5, 10, ... are the best
            trial.report(value, step=b)
        return value

    study.optimize(objective, n_trials=40)
    for t in study.trials:
        e = pruner.bracket("rhb", t.number)
        # recorded at the first pruning decision; the last bracket's trials are never asked
        assert t.system_attrs.get(pruners.BRACKET_ATTR, pruner.n_brackets - 1) == e
        rungs = pruner.rungs_of(e)
        assert budgets[t.number] == rungs[:len(budgets[t.number])]  # its bracket's budgets, in order
        if t.state.name == "COMPLETE":
            assert budgets[t.number][-1] == 27
        if e == pruner.n_brackets - 1:  # the last bracket never stops a trial
            assert t.state.name == "COMPLETE" and budgets[t.number] == [27]
    assert {pruner.bracket("rhb", n) for n in range(40)} == set(range(4))
    assert any(t.state.name == "PRUNED" for t in study.trials)
    pruned_brackets = {pruner.bracket("rhb", t.number) for t in study.trials if t.state.name == "PRUNED"}
    assert pruned_brackets and pruned_brackets <= {0, 1, 2}


def test_rescaled_hyperband_rejects_a_bad_fraction():
    with pytest.raises(tunelab.InvalidArgumentError, match=r"compress_below=0 .*\(0, 1\]"):
        pruners.RescaledHyperband(max_resource=27, compress_below=0)
