"""Every exported pruner runs through the same checks."""

import math

import pytest

import tunelab
from tunelab import pruners
from tunelab.storage import InMemoryStorage

# name -> (factory, first step at which it may stop a trial that is far worse than the others)
PRUNERS = {
    "NopPruner": (lambda: pruners.NopPruner(), None),
    "MedianPruner": (lambda: pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2), 2),
    "PercentilePruner": (lambda: pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=2), 2),
    "ThresholdPruner": (lambda: pruners.ThresholdPruner(upper=5.0, n_warmup_steps=2), 2),
    "PatientPruner": (lambda: pruners.PatientPruner(pruners.MedianPruner(n_startup_trials=3), patience=2), 2),
    "SuccessiveHalvingPruner": (lambda: pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2), 2),
    "HyperbandPruner": (lambda: pruners.HyperbandPruner(min_resource=2, max_resource=8, reduction_factor=2), 2),
    "RescaledSuccessiveHalving": (
        lambda: pruners.RescaledSuccessiveHalving(min_resource=2, max_resource=8, reduction_factor=2), 2),
    "RescaledHyperband": (lambda: pruners.RescaledHyperband(min_resource=2, max_resource=8, reduction_factor=2), 2),
}


def test_every_exported_pruner_is_in_the_suite():
    exported = {n for n in pruners.__all__ if isinstance(getattr(pruners, n), type)
                and issubclass(getattr(pruners, n), pruners.Pruner) and n != "Pruner"}
    assert exported == set(PRUNERS)


def good(step):
    return 1.0 / (step + 1)


def bad(step):
    return 10.0 + step  # worse than every good trial, and never improving


def run(study, curve, steps=range(9), *, finish=True):
    """Report ``curve`` at ``steps``; return the steps at which the pruner said stop."""
    trial = study.ask()
    said = []
    for s in steps:
        trial.report(curve(s), s)
        if trial.should_prune():
            said.append(s)
    if finish:
        study.tell(trial, curve(max(steps)))
    return said, trial


def _shared_bracket_name(pruner, numbers=(4,)):
    """A study name under which trials ``numbers`` share a Hyperband bracket with an earlier trial."""
    if not isinstance(pruner, pruners.HyperbandPruner):
        return "conformance"
    return next(f"s{i}" for i in range(1000) if all(
        pruner.bracket(f"s{i}", n) in {pruner.bracket(f"s{i}", k) for k in range(4)} for n in numbers))


@pytest.fixture(params=sorted(PRUNERS))
def name(request):
    return request.param


def test_a_trial_without_reports_is_never_pruned(name):
    study = tunelab.create_study(pruner=PRUNERS[name][0]())
    for _ in range(4):
        run(study, good)
    assert study.ask().should_prune() is False


def test_the_first_trial_of_a_study_is_never_pruned_for_finite_values(name):
    study = tunelab.create_study(pruner=PRUNERS[name][0]())
    said, _ = run(study, lambda s: 1.0 + 0.1 * (s % 2))
    assert said == []


def test_a_far_worse_trial_is_pruned_but_not_before_its_warm_up(name, storage_url):
    factory, first = PRUNERS[name]
    study = tunelab.create_study(storage=storage_url, pruner=factory(), study_name=_shared_bracket_name(factory()))
    for _ in range(4):
        run(study, good)
    said, trial = run(study, bad, finish=False)
    if first is None:
        assert said == []
        return
    assert said, f"{name} never stopped a trial far worse than every other"
    assert min(said) >= first
    study.tell(trial, state=tunelab.TrialState.PRUNED)
    stored = study.trials[-1]
    assert stored.state == tunelab.TrialState.PRUNED


def test_decisions_are_deterministic(name):
    def decisions():
        study = tunelab.create_study(pruner=PRUNERS[name][0](), study_name="same")
        out = []
        for k in range(6):
            said, _ = run(study, lambda s, k=k: (k % 3) + 1.0 / (s + 1))
            out.append(said)
        return out

    assert decisions() == decisions()


def test_maximize_studies_prune_the_low_values(name):
    factory, first = PRUNERS[name]
    if name == "ThresholdPruner":
        pytest.skip("fixed bounds do not depend on the direction")
    study = tunelab.create_study(direction="maximize", pruner=factory(), study_name=_shared_bracket_name(factory()))
    for _ in range(4):
        run(study, lambda s: 100.0 - good(s))
    said, _ = run(study, lambda s: -bad(s), finish=False)
    assert bool(said) == (first is not None)
    assert not said or min(said) >= first


def test_nan_reports_stop_a_trial_after_warm_up(name):
    factory, first = PRUNERS[name]
    if name in ("NopPruner", "PatientPruner"):
        pytest.skip("NaN is not a stopping rule of these pruners by themselves")
    study = tunelab.create_study(pruner=factory(), study_name=_shared_bracket_name(factory()))
    for _ in range(4):
        run(study, good)
    said, _ = run(study, lambda s: math.nan, finish=False)
    assert said and min(said) >= first


def test_multi_objective_rule_prunes_dominated_trials_only(name):
    factory, first = PRUNERS[name]
    if name in ("NopPruner", "ThresholdPruner", "PatientPruner"):
        pytest.skip("no comparison between trials")
    study = tunelab.create_study(directions=["minimize", "maximize"], pruner=factory(),
                                 study_name=_shared_bracket_name(factory(), (4, 5)))
    for _ in range(4):
        run(study, lambda s: [good(s), 1.0 - good(s)] if s < 100 else None)
    # better than every finished trial on the second objective: on the Pareto front, never stopped
    said, _ = run(study, lambda s: [bad(s), 2.0], finish=False)
    assert said == []
    said, _ = run(study, lambda s: [bad(s), -1.0], finish=False)
    assert said and min(said) >= first


def test_pruned_trials_carry_a_projected_value(storage_url):
    study = tunelab.create_study(storage=storage_url, pruner=pruners.MedianPruner(n_startup_trials=3))
    for k in range(5):
        trial = study.ask()
        for s in range(4):
            trial.report(k + 1.0 / (s + 1), s)
        study.tell(trial, k + 0.1)  # final = value at step 3 minus 0.15
    trial = study.ask()
    trial.report(10.0, 0)
    assert trial.should_prune()
    stored = [t for t in study.get_trials() if t.number == trial.number][0]
    # the completed trials' line maps the value at step 0 (k + 1) to the final (k + 0.1)
    assert stored.system_attrs[pruners.PROJECTED_VALUE_ATTR] == pytest.approx(9.1)


def test_memory_storage_object_and_sqlite_give_the_same_decisions(tmp_path):
    def decisions(storage):
        study = tunelab.create_study(storage=storage, study_name="s",
                                     pruner=pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
        return [run(study, lambda s, k=k: (k * 7 % 5) + 1.0 / (s + 1), range(1, 6))[0] for k in range(8)]

    assert decisions(InMemoryStorage()) == decisions(f"sqlite:///{tmp_path / 'a.db'}")


def _study_with_complete_trials(finals_by_value_at_step_0):
    study = tunelab.create_study(pruner=pruners.MedianPruner(n_startup_trials=3))
    for at_0, final in finals_by_value_at_step_0:
        trial = study.ask()
        trial.report(at_0, 0)
        study.tell(trial, final)
    return study


def test_no_projection_where_early_values_do_not_predict_the_final_ones():
    # values at step 0 unrelated to the final values (correlation about 0): nothing is projected
    study = _study_with_complete_trials([(1.0, 3.0), (2.0, 1.0), (3.0, 3.0), (4.0, 1.0), (5.0, 2.0), (6.0, 2.0)])
    trial = study.ask()
    trial.report(10.0, 0)
    assert trial.should_prune()
    assert pruners.PROJECTED_VALUE_ATTR not in study.get_trials()[-1].system_attrs
    assert pruners.project(study, trial.freeze()) is None


def test_no_projection_from_fewer_than_five_complete_trials():
    study = _study_with_complete_trials([(1.0, 0.5), (2.0, 1.5), (3.0, 2.5), (4.0, 3.5)])
    assert pruners.project(study, study.ask().freeze()) is None  # nothing reported yet
    trial = study.ask()
    trial.report(10.0, 0)
    assert pruners.project(study, trial.freeze()) is None
    study.tell(study.ask(), 4.5)  # a fifth complete trial, without a value at step 0: still four pairs
    assert pruners.project(study, trial.freeze()) is None
    study = _study_with_complete_trials([(1.0, 0.5), (2.0, 1.5), (3.0, 2.5), (4.0, 3.5), (5.0, 4.5)])
    trial = study.ask()
    trial.report(10.0, 0)
    assert pruners.project(study, trial.freeze()) == pytest.approx(9.5)
