"""Every exported pruner passes tunelab.testing's pruner checks, in memory and on SQLite."""

import itertools

import pytest

import tunelab
from tunelab import pruners
from tunelab.storage import InMemoryStorage
from tunelab.testing import pruner_checks

NO_COMPARISON = "compares a trial with fixed bounds or its own past, not with other trials"
NAN_NOT_A_RULE = "NaN is not a stopping rule of this pruner by itself"
# name -> (factory, first step at which it may stop a trial far worse than the others, checks that do not apply)
PRUNERS = {
    "NopPruner": (lambda: pruners.NopPruner(), None,
                  {"nan_reports_stop_a_trial": NAN_NOT_A_RULE, "multi_objective_prunes_dominated_only": NO_COMPARISON}),
    "MedianPruner": (lambda: pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2), 2, {}),
    "PercentilePruner": (lambda: pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=2), 2, {}),
    "ThresholdPruner": (lambda: pruners.ThresholdPruner(upper=5.0, n_warmup_steps=2), 2,
                        {"maximize_prunes_low_values": "fixed bounds do not depend on the direction",
                         "multi_objective_prunes_dominated_only": NO_COMPARISON}),
    "PatientPruner": (lambda: pruners.PatientPruner(pruners.MedianPruner(n_startup_trials=3), patience=2), 2,
                      {"nan_reports_stop_a_trial": NAN_NOT_A_RULE,
                       "multi_objective_prunes_dominated_only": NO_COMPARISON}),
    "SuccessiveHalvingPruner": (lambda: pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2), 2, {}),
    "HyperbandPruner": (lambda: pruners.HyperbandPruner(min_resource=2, max_resource=8, reduction_factor=2), 2, {}),
    "RescaledSuccessiveHalving": (
        lambda: pruners.RescaledSuccessiveHalving(min_resource=2, max_resource=8, reduction_factor=2), 2, {}),
    "RescaledHyperband": (lambda: pruners.RescaledHyperband(min_resource=2, max_resource=8, reduction_factor=2), 2,
                          {}),
    "WilcoxonPruner": (lambda: pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=2), 2,
                       {"multi_objective_prunes_dominated_only": "compares one objective's values: refuses "
                                                                 "multi-objective studies"}),
}
CASES = [pytest.param(name, check, id=f"{name}-{check}") for name in sorted(PRUNERS) for check in pruner_checks()]


@pytest.fixture(params=["memory", "sqlite"])
def make_storage(request, tmp_path):
    """None (each study in memory) or a factory of new SQLite files."""
    if request.param == "memory":
        return None
    numbers = itertools.count()
    return lambda: f"sqlite:///{tmp_path / f'study{next(numbers)}.db'}"


def test_every_exported_pruner_is_in_the_suite():
    exported = {n for n in pruners.__all__ if isinstance(getattr(pruners, n), type)
                and issubclass(getattr(pruners, n), pruners.Pruner) and n not in ("Pruner", "BasePruner")}
    assert exported == set(PRUNERS)


@pytest.mark.parametrize(("name", "check"), CASES)
def test_pruner_passes_the_shipped_checks(name, check, make_storage):
    factory, earliest_step, skip = PRUNERS[name]
    if check.name in skip:
        pytest.skip(skip[check.name])
    check(factory, earliest_step=earliest_step, make_storage=make_storage)


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
        said = []
        for k in range(8):
            trial = study.ask()
            for step in range(1, 6):
                trial.report(k * 7 % 5 + 1.0 / (step + 1), step)
                said.append(trial.should_prune())
            study.tell(trial, k * 7 % 5 + 1.0 / 6)
        return said

    memory = decisions(InMemoryStorage())
    assert True in memory and memory == decisions(f"sqlite:///{tmp_path / 'a.db'}")


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
