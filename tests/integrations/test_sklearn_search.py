"""TunelabSearchCV: a scikit-learn search estimator whose candidates are tunelab trials."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (extra 'sklearn')")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits, load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier  # noqa: E402
from sklearn.model_selection import KFold, RandomizedSearchCV  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402

import tunelab  # noqa: E402
import tunelab.integration  # noqa: E402
from tunelab import InvalidArgumentError, InvalidTypeError, TrialState  # noqa: E402
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from tunelab.integrations.sklearn import FitFailedError, TunelabSearchCV  # noqa: E402

IRIS = load_iris(return_X_y=True)
LOGISTIC = LogisticRegression(max_iter=300)
C_SPACE = {"C": FloatDistribution(1e-3, 1e2, log=True)}


def _search(estimator=LOGISTIC, space=None, **kwargs):
    kwargs.setdefault("n_trials", 4)
    kwargs.setdefault("cv", 3)
    kwargs.setdefault("random_state", 0)
    return TunelabSearchCV(estimator, C_SPACE if space is None else space, **kwargs)


@pytest.fixture(scope="module")
def fitted_iris():
    return _search(n_trials=5, return_train_score=True).fit(*IRIS)


def test_fits_iris_with_a_logistic_regression(fitted_iris):
    search = fitted_iris
    X, y = IRIS
    assert search.best_score_ > 0.9
    assert (search.predict(X) == y).mean() > 0.9
    assert search.predict_proba(X).shape == (150, 3) and search.decision_function(X).shape == (150, 3)
    assert list(search.classes_) == [0, 1, 2] and search.n_features_in_ == 4
    assert 0.9 < search.score(X, y) <= 1.0
    assert search.refit_time_ > 0 and search.n_splits_ == 3 and search.multimetric_ is False
    assert search.best_estimator_.C == search.best_params_["C"]


def test_best_params_are_in_the_space_and_best_score_is_the_best_trials_value(fitted_iris):
    search = fitted_iris
    assert set(search.best_params_) == {"C"} and C_SPACE["C"].contains(search.best_params_["C"])
    assert search.best_score_ == search.study_.best_value == search.best_trial_.value
    assert search.cv_results_["params"][search.best_index_] == search.best_params_
    assert search.cv_results_["rank_test_score"][search.best_index_] == 1
    assert search.cv_results_["mean_test_score"][search.best_index_] == search.best_score_
    assert [t.number for t in search.trials_] == list(range(5))
    first = search.trials_[0]
    assert first.user_attrs["mean_test_score"] == first.value
    assert first.value == pytest.approx(np.mean([first.user_attrs[f"split{k}_test_score"] for k in range(3)]))


@pytest.mark.parametrize("train", [False, True])
def test_cv_results_keys_and_shapes_are_randomized_search_cvs(train):
    X, y = IRIS
    ours = _search(n_trials=3, return_train_score=train, refit=False).fit(X, y).cv_results_
    theirs = RandomizedSearchCV(LOGISTIC, {"C": [0.1, 1.0, 10.0]}, n_iter=3, cv=3, random_state=0,
                                return_train_score=train, refit=False).fit(X, y).cv_results_
    assert list(ours) == list(theirs)
    for key in theirs:
        assert np.shape(ours[key]) == np.shape(theirs[key]), key
        assert type(ours[key]) is type(theirs[key]), key
    assert ours["rank_test_score"].dtype == theirs["rank_test_score"].dtype
    assert ours["param_C"].dtype == np.float64


def test_fits_digits_with_an_svc_and_two_parameters():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    space = {"C": FloatDistribution(1e-2, 1e2, log=True), "gamma": FloatDistribution(1e-4, 1e-1, log=True),
             "kernel": CategoricalDistribution(["rbf", "sigmoid"])}
    search = TunelabSearchCV(SVC(), space, n_trials=4, cv=3, random_state=1).fit(X, y)
    assert set(search.best_params_) == {"C", "gamma", "kernel"} and search.best_score_ > 0.1
    assert search.cv_results_["param_kernel"].dtype == object
    assert search.predict(X[:5]).shape == (5,)
    assert not hasattr(search, "predict_proba")  # SVC(probability=False) has none


def test_fits_diabetes_with_a_ridge_and_a_scorer_name():
    X, y = load_diabetes(return_X_y=True)
    search = TunelabSearchCV(Ridge(), {"alpha": FloatDistribution(1e-3, 10, log=True)}, n_trials=4, cv=4,
                             scoring="neg_mean_squared_error", random_state=0).fit(X, y)
    assert search.best_score_ < 0 and search.n_splits_ == 4
    assert search.score(X, y) == pytest.approx(-np.mean((search.predict(X) - y) ** 2))


def test_the_same_seed_gives_the_same_search():
    a = _search(n_trials=4, refit=False).fit(*IRIS)
    b = _search(n_trials=4, refit=False).fit(*IRIS)
    assert a.cv_results_["params"] == b.cv_results_["params"]


def test_refit_false_has_no_best_estimator_and_refuses_predict():
    search = _search(n_trials=2, refit=False).fit(*IRIS)
    assert not hasattr(search, "best_estimator_") and not hasattr(search, "refit_time_")
    assert search.best_params_ and not hasattr(search, "predict")
    with pytest.raises(NotFittedError, match=r"fitted with refit=False, so predict is not available"):
        search.predict(IRIS[0])
    with pytest.raises(NotFittedError, match=r"refit=False, so score is not available"):
        search.score(*IRIS)


def test_an_unfitted_search_refuses_predict_as_scikit_learn_does():
    with pytest.raises(NotFittedError, match=r"This TunelabSearchCV instance is not fitted yet. Call 'fit'"):
        _search().predict(IRIS[0])


def test_clone_and_get_params_set_params_round_trip():
    search = _search(n_trials=7, scoring="accuracy")
    params = search.get_params()
    assert params["n_trials"] == 7 and params["estimator__max_iter"] == 300
    twin = clone(search)
    assert twin is not search and twin.get_params()["n_trials"] == 7
    assert twin.param_distributions == search.param_distributions
    twin.set_params(n_trials=3, estimator__C=2.0)
    assert twin.n_trials == 3 and twin.estimator.C == 2.0 and search.estimator.C == 1.0
    assert clone(twin).get_params(deep=False).keys() == search.get_params(deep=False).keys()


class _Fussy(LogisticRegression):
    """Fails to fit when C is above 1."""

    def fit(self, X, y, sample_weight=None):
        if self.C > 1:
            raise ValueError(f"C={self.C} is too large for this test")
        return super().fit(X, y, sample_weight=sample_weight)


FUSSY_SPACE = {"C": FloatDistribution(1e-2, 1e2, log=True)}


def test_a_failing_fit_with_nan_error_score_fails_that_trial_only():
    search = TunelabSearchCV(_Fussy(max_iter=300), FUSSY_SPACE, n_trials=8, cv=3, random_state=0).fit(*IRIS)
    states = [t.state for t in search.trials_]
    failed = [t for t in search.trials_ if t.state == TrialState.FAIL]
    assert failed and TrialState.COMPLETE in states and len(states) == 8
    assert all(t.params["C"] > 1 for t in failed)
    assert "ValueError: C=" in failed[0].fail_reason and "too large" in failed[0].fail_reason
    rows = [i for i, t in enumerate(search.trials_) if t.state == TrialState.FAIL]
    assert np.isnan(search.cv_results_["mean_test_score"][rows]).all()
    assert (search.cv_results_["rank_test_score"][rows] == max(search.cv_results_["rank_test_score"])).all()
    assert search.best_params_["C"] <= 1


def test_error_score_raise_reraises_the_fit_error():
    with pytest.raises(ValueError, match="too large for this test"):
        TunelabSearchCV(_Fussy(max_iter=300), {"C": FloatDistribution(2, 10)}, n_trials=3, cv=3,
                        error_score="raise").fit(*IRIS)


def test_a_numeric_error_score_stands_in_for_the_failed_folds():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = TunelabSearchCV(_Fussy(max_iter=300), FUSSY_SPACE, n_trials=6, cv=3, random_state=0,
                                 error_score=0.0).fit(*IRIS)
    assert all(t.state == TrialState.COMPLETE for t in search.trials_)
    assert min(t.value for t in search.trials_) == 0.0
    assert any("FitFailedWarning" in type(w.message).__name__ for w in caught)


def test_no_completed_trial_raises_naming_the_first_failure():
    with pytest.raises(FitFailedError, match=r"no trial of the search completed .*ValueError: C="):
        TunelabSearchCV(_Fussy(), {"C": FloatDistribution(2, 10)}, n_trials=2, cv=3).fit(*IRIS)


def test_pruning_with_sgd_partial_fit_prunes_some_trials():
    X, y = load_digits(return_X_y=True)
    study = tunelab.create_study(direction="maximize", sampler=tunelab.samplers.RandomSampler(seed=0),
                                 pruner=tunelab.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    space = {"alpha": FloatDistribution(1e-6, 1e1, log=True), "eta0": FloatDistribution(1e-5, 1e-1, log=True)}
    search = TunelabSearchCV(SGDClassifier(learning_rate="constant", random_state=0), space, n_trials=12, cv=3,
                             study=study, enable_pruning=True, max_iter=6).fit(X, y)
    states = [t.state for t in search.trials_]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    complete = next(t for t in search.trials_ if t.state == TrialState.COMPLETE)
    assert sorted(complete.intermediate_values) == list(range(6))
    assert complete.value == pytest.approx(complete.intermediate_values[5])
    assert search.best_estimator_.predict(X[:3]).shape == (3,)
    assert search.best_estimator_.n_iter_ >= 1


def test_a_study_with_sqlite_storage_keeps_the_trials(tmp_path):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    study = tunelab.create_study(storage=url, study_name="search", direction="maximize")
    _search(n_trials=3, study=study, refit=False).fit(*IRIS)
    stored = tunelab.load_study(study_name="search", storage=url)
    assert len(stored.trials) == 3 and all(t.state == TrialState.COMPLETE for t in stored.trials)
    assert stored.trials[0].user_attrs["split2_test_score"] >= 0
    # a second fit continues the study: its cv_results_ covers every finished trial
    again = _search(n_trials=2, study=stored, refit=False).fit(*IRIS)
    assert len(again.cv_results_["params"]) == 5


def test_two_jobs_run_the_trials_in_worker_processes():
    search = _search(n_trials=4, n_jobs=2).fit(*IRIS)
    assert len(search.trials_) == 4 and all(t.state == TrialState.COMPLETE for t in search.trials_)
    assert all("split0_test_score" in t.user_attrs for t in search.trials_)
    # two trials at once draw in an order the seed does not fix: check consistency, not a score
    assert search.best_score_ == max(t.value for t in search.trials_)
    assert search.predict(IRIS[0]).shape == (150,)


def test_groups_and_fit_params_reach_the_splitter_and_the_fits():
    X, y = IRIS
    search = _search(n_trials=2, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y, sample_weight=np.ones(150))
    assert search.n_splits_ == 3 and search.best_score_ > 0.9


def test_optunas_name_is_this_class():
    assert tunelab.integration.OptunaSearchCV is TunelabSearchCV
    assert tunelab.integrations.sklearn.TunelabSearchCV is TunelabSearchCV


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_trials": 0}, InvalidArgumentError, r"n_trials=0 is invalid for TunelabSearchCV: must be None or an integer >= 1"),
    ({"n_trials": None}, InvalidArgumentError, r"n_trials=None is invalid .* when timeout is None"),
    ({"n_trials": 1.5}, InvalidTypeError, r"n_trials=1.5 \(type float\) is invalid for TunelabSearchCV"),
    ({"timeout": -1}, InvalidArgumentError, r"timeout=-1 is invalid for TunelabSearchCV: must be None or a positive"),
    ({"refit": "yes"}, InvalidTypeError, r"refit='yes' \(type str\) is invalid for TunelabSearchCV: must be a bool"),
    ({"n_jobs": 0}, InvalidArgumentError, r"n_jobs=0 is invalid for TunelabSearchCV: must be None or a positive"),
    ({"error_score": "ignore"}, InvalidArgumentError, r"error_score='ignore' .* must be 'raise' or a number"),
    ({"random_state": -3}, InvalidArgumentError, r"random_state=-3 is invalid for TunelabSearchCV"),
    ({"max_iter": 0}, InvalidArgumentError, r"max_iter=0 is invalid for TunelabSearchCV: must be an integer >= 1"),
    ({"enable_pruning": True}, InvalidArgumentError, r"enable_pruning=True is invalid .* no partial_fit"),
    ({"cv": 1}, InvalidArgumentError, r"cv=1 is invalid for TunelabSearchCV: must be None, an integer >= 2"),
    ({"cv": "five"}, InvalidArgumentError, r"cv='five' is invalid for TunelabSearchCV: must be None, an integer"),
    ({"scoring": "accuracyy"}, InvalidArgumentError, r"scoring='accuracyy' is invalid for TunelabSearchCV"),
    ({"scoring": ["accuracy", "f1"]}, InvalidArgumentError, r"scoring=\['accuracy', 'f1'\] .* one metric only"),
    ({"study": "mine"}, InvalidTypeError, r"study='mine' \(type str\) is invalid .* a tunelab Study"),
])
def test_bad_arguments_name_the_argument_the_value_and_what_is_allowed(kwargs, error, match):
    with pytest.raises(error, match=match):
        _search(estimator=SVC(), **kwargs).fit(*IRIS)


def test_a_bad_space_or_estimator_is_named():
    with pytest.raises(InvalidArgumentError, match=r"param_distributions\['C'\]=\[1, 2\] is invalid .* a tunelab distribution"):
        _search(space={"C": [1, 2]}).fit(*IRIS)
    with pytest.raises(InvalidArgumentError, match=r"param_distributions='c' is invalid .* one of \['C', "):
        _search(space={"c": FloatDistribution(0.1, 1)}).fit(*IRIS)
    with pytest.raises(InvalidArgumentError, match=r"param_distributions=\{\} is invalid .* non-empty dict"):
        _search(space={}).fit(*IRIS)
    with pytest.raises(InvalidArgumentError, match=r"estimator='svc' is invalid .* a scikit-learn estimator"):
        _search(estimator="svc").fit(*IRIS)
    minimizing = tunelab.create_study(direction="minimize")
    with pytest.raises(InvalidArgumentError, match=r"study=.* direction='maximize'"):
        _search(study=minimizing).fit(*IRIS)


def test_an_int_distribution_and_a_pipeline_parameter():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    space = {"logisticregression__C": FloatDistribution(0.01, 10, log=True),
             "logisticregression__max_iter": IntDistribution(50, 300)}
    search = TunelabSearchCV(pipe, space, n_trials=3, cv=3, random_state=0).fit(*IRIS)
    assert isinstance(search.best_params_["logisticregression__max_iter"], int)
    assert search.cv_results_["param_logisticregression__max_iter"].dtype.kind == "i"


# scikit-learn's own estimator checks, those that apply to a search meta-estimator
@pytest.mark.parametrize("check", [
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_parameters_default_constructible,
    estimator_checks.check_estimators_overwrite_params,
    estimator_checks.check_dont_overwrite_parameters,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_estimator_cloneable,
], ids=lambda c: c.__name__)
def test_scikit_learn_estimator_checks(check):
    search = TunelabSearchCV(LogisticRegression(max_iter=200), C_SPACE, n_trials=2, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(type(search).__name__, search)


def test_trial_values_and_fold_scores_agree_with_cross_val_score():
    from sklearn.model_selection import cross_val_score

    search = _search(n_trials=2, refit=False).fit(*IRIS)
    for trial in search.trials_:
        direct = cross_val_score(clone(LOGISTIC).set_params(**trial.params), *IRIS, cv=3)
        assert trial.value == pytest.approx(direct.mean())
        assert math.isclose(trial.user_attrs["std_test_score"], direct.std())


def test_clone_copies_an_in_memory_study_and_shares_a_stored_one(tmp_path):
    memory = tunelab.create_study(direction="maximize")
    copied = clone(_search(n_trials=2, study=memory, refit=False)).fit(*IRIS)
    assert copied.study_ is not memory and len(copied.study_.trials) == 2 and not memory.trials
    url = f"sqlite:///{tmp_path / 'clone.db'}"
    stored = tunelab.create_study(storage=url, study_name="cloned", direction="maximize")
    clone(_search(n_trials=2, study=stored, refit=False)).fit(*IRIS)
    assert len(stored.trials) == 2


def test_verbose_prints_the_budget_and_each_trial(capsys):
    _search(n_trials=2, verbose=2, refit=False).fit(*IRIS)
    out = capsys.readouterr().out
    assert "fitting 3 folds for each candidate, for 2 trials" in out
    assert "trial 0: mean test score" in out and "trial 1: mean test score" in out


#: scikit-learn's checks that do not apply to a search meta-estimator, and why.
NOT_APPLICABLE = {
    # string data fails every trial's fit; the search then says no trial completed (FitFailedError)
    # rather than the estimator's own TypeError, which the trial's fail reason quotes
    "check_dtype_object": "every fit fails; the search reports it as no completed trial",
    # n_iter_ belongs to the searched estimator (best_estimator_.n_iter_), as for RandomizedSearchCV
    "check_non_transformer_estimators_n_iter": "n_iter_ is the best estimator's",
}


def test_scikit_learn_check_estimator_passes_except_where_it_does_not_apply():
    search = TunelabSearchCV(LogisticRegression(max_iter=200), C_SPACE, n_trials=2, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = estimator_checks.check_estimator(search, on_fail=None)
    failed = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    assert len(results) > 40
    assert set(failed) <= set(NOT_APPLICABLE), {k: v for k, v in failed.items() if k not in NOT_APPLICABLE}
