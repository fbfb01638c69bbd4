"""A scikit-learn search estimator whose candidates are the trials of a tunelab study (extra ``sklearn``).

:class:`TunelabSearchCV` is a scikit-learn meta-estimator, used like ``RandomizedSearchCV``: each
trial draws the parameters from ``param_distributions`` (tunelab distributions: ``FloatDistribution``,
``IntDistribution``, ``CategoricalDistribution``), cross-validates a clone of the estimator with them,
and tells the mean test score to the study (maximised). The study's sampler (TPE, seeded by
``random_state``, unless a ``study`` is given) chooses the next candidate from the scores so far.

What a trial stores: its value is the mean test score; its user attrs hold ``split<k>_test_score``,
``mean_test_score``, ``std_test_score``, the fit and score times (``mean_fit_time`` ...) and, with
``return_train_score=True``, the train scores. ``cv_results_`` is built from those records, with
scikit-learn's keys, one row per finished trial of the study (a PRUNED or FAILED trial has NaN
test scores, ranked last), so it holds the same rows whether the trials ran here or in worker
processes (``n_jobs > 1`` runs trials in tunelab's worker processes).

A fit that raises follows ``error_score``: NaN (the default) ends that trial FAIL, naming the error,
and the search goes on; ``"raise"`` re-raises it from :meth:`TunelabSearchCV.fit`; a number is the
failed fold's score (with scikit-learn's ``FitFailedWarning``). When no trial completes, ``fit``
raises :class:`FitFailedError` quoting the first failure.

With ``enable_pruning=True`` the estimator must have ``partial_fit``: each trial trains one clone
per fold for ``max_iter`` rounds of ``partial_fit``, reports the mean test score over the folds
after each round, and stops as PRUNED when the study's pruner says so; the refit trains the same
way. Only a single metric is supported (``scoring`` a name, a callable or None).

>>> from sklearn.datasets import load_iris
>>> from sklearn.linear_model import LogisticRegression
>>> from tunelab.distributions import FloatDistribution
>>> search = TunelabSearchCV(LogisticRegression(max_iter=500), {"C": FloatDistribution(1e-3, 1e2, log=True)},
...                          n_trials=3, cv=3, random_state=0)
>>> X, y = load_iris(return_X_y=True)
>>> search.fit(X, y).best_score_ > 0.9, sorted(search.best_params_), len(search.cv_results_["params"])
(True, ['C'], 3)
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.stats import rankdata

from tunelab._constraints import AnyOf, Bool, InstanceOf, Integral, Options, Real, constrained
from tunelab._errors import TrialPruned, TunelabError, invalid, require_extra
from tunelab.space import BaseDistribution
from tunelab.study import Study, TrialState

sklearn = require_extra("sklearn", "sklearn")

from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier  # noqa: E402
from sklearn.exceptions import FitFailedWarning, NotFittedError  # noqa: E402
from sklearn.metrics import check_scoring  # noqa: E402
from sklearn.model_selection import check_cv, cross_validate  # noqa: E402
from sklearn.utils import _safe_indexing, get_tags  # noqa: E402
from sklearn.utils.validation import _num_samples, indexable  # noqa: E402

__all__ = ["FitFailedError", "TunelabSearchCV"]

_WHERE = "TunelabSearchCV"


class FitFailedError(TunelabError, ValueError):
    """A candidate's fit raised (its trial ends FAIL with this reason), or no trial of a search completed."""


@constrained({
    "n_trials": (None, Integral(min=1)),
    "timeout": (None, Real(0, None, min_open=True, what="a positive, finite number of seconds")),
    "refit": Bool(),
    "n_jobs": (None, AnyOf(Integral(min=1), Options(-1), what="a positive integer, or -1 for one job per CPU core")),
    "study": (None, InstanceOf(Study, "a tunelab Study")),
    "error_score": AnyOf(Options("raise"), Real(nan=True), what="'raise' or a number (NaN fails the trial)"),
    "return_train_score": Bool(),
    "random_state": (None, Integral(min=0), InstanceOf(np.random.RandomState, "a numpy RandomState")),
    "verbose": AnyOf(Integral(min=0), Bool(), what="an integer >= 0"),
    "enable_pruning": Bool(),
    "max_iter": Integral(min=1),
}, where=_WHERE)
def _checked(estimator: Any, param_distributions: Any, *, n_trials: int | None = 10, timeout: float | None = None,
             refit: bool = True, n_jobs: int | None = 1, study: Any = None, error_score: Any = np.nan,
             return_train_score: bool = False, random_state: Any = None, verbose: int = 0,
             enable_pruning: bool = False, max_iter: int = 1000) -> dict[str, Any]:
    """The search's arguments checked (the table above; the rules tying them together below), converted."""
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params")):
        raise invalid("estimator", estimator, "a scikit-learn estimator (with fit and get_params)", where=_WHERE)
    if not isinstance(param_distributions, Mapping) or not param_distributions:
        raise invalid("param_distributions", param_distributions,
                      "a non-empty dict of parameter names to tunelab distributions", where=_WHERE)
    valid = estimator.get_params(deep=True)
    for name, dist in param_distributions.items():
        if not isinstance(dist, BaseDistribution):
            raise invalid(f"param_distributions[{name!r}]", dist, "a tunelab distribution (FloatDistribution, "
                          "IntDistribution or CategoricalDistribution from tunelab.distributions)", where=_WHERE)
        if name not in valid:
            raise invalid("param_distributions", name, f"keys naming parameters of {type(estimator).__name__}: "
                          f"one of {sorted(valid)}", where=_WHERE)
    if n_trials is None and timeout is None:
        raise invalid("n_trials", None, "an integer >= 1 when timeout is None (else the search never ends)",
                      where=_WHERE)
    if study is not None and (len(study.directions) != 1 or study.direction.name != "MAXIMIZE"):
        raise invalid("study", study, "a single-objective study with direction='maximize' (scores are maximised)",
                      where=_WHERE)
    if enable_pruning and not hasattr(estimator, "partial_fit"):
        raise invalid("enable_pruning", True, f"False for {type(estimator).__name__}, which has no partial_fit",
                      where=_WHERE)
    return {"n_trials": n_trials, "timeout": timeout, "refit": refit, "n_jobs": 1 if n_jobs is None else n_jobs,
            "study": study, "error_score": error_score, "return_train_score": return_train_score,
            "random_state": random_state, "verbose": int(verbose), "enable_pruning": enable_pruning,
            "max_iter": max_iter}


def _scorer(estimator: Any, scoring: Any) -> Any:
    """``scoring`` as one scorer (scikit-learn's rules), or the error naming it."""
    if scoring is not None and not isinstance(scoring, str) and not callable(scoring):
        raise invalid("scoring", scoring, "None, a scorer name (sklearn.metrics.get_scorer_names()) or a callable "
                      "scorer(estimator, X, y); one metric only", where=_WHERE)
    try:
        return check_scoring(estimator, scoring=scoring)
    except (ValueError, TypeError) as exc:
        raise invalid("scoring", scoring, f"a valid scorer ({exc})", where=_WHERE) from None


def _exception_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


class _Objective:
    """One trial: draw the parameters, cross-validate, store the fold scores (picklable for worker processes)."""

    def __init__(self, estimator: Any, space: Mapping[str, BaseDistribution], X: Any, y: Any, groups: Any,
                 splits: list, scorer: Any, fit_params: dict, args: dict[str, Any]) -> None:
        self.estimator, self.space, self.X, self.y, self.groups = estimator, dict(space), X, y, groups
        self.splits, self.scorer, self.fit_params = splits, scorer, fit_params
        self.error_score, self.train = args["error_score"], args["return_train_score"]
        self.pruning, self.max_iter, self.verbose = args["enable_pruning"], args["max_iter"], args["verbose"]

    def __call__(self, trial: Any) -> float:
        params = {name: trial.suggest(name, dist) for name, dist in self.space.items()}
        estimator = clone(self.estimator).set_params(**params)
        folds = self._partial_fits(trial, estimator) if self.pruning else self._cross_validate(estimator)
        value = _store(trial, folds, self.train)
        if self.verbose > 1:
            print(f"[TunelabSearchCV] trial {trial.number}: mean test score {value:.5g} with {params}")
        return value

    def _failed(self, exc: Exception, fold: int | None) -> None:
        """Apply ``error_score`` to a fit's error: re-raise, fail the trial, or warn (a number stands in)."""
        if isinstance(self.error_score, str):
            raise exc
        if math.isnan(self.error_score):
            where = "" if fold is None else f" on fold {fold}"
            raise FitFailedError(f"the fit raised{where}: {_exception_line(exc)}") from exc
        warnings.warn(f"a fit failed on fold {fold}; its score is error_score={self.error_score}: "
                      f"{_exception_line(exc)}", FitFailedWarning, stacklevel=3)

    def _cross_validate(self, estimator: Any) -> dict[str, list[float]]:
        """Every fold with one ``cross_validate`` call; after an error with a numeric error_score, fold by fold."""
        try:
            out = cross_validate(estimator, self.X, self.y, groups=self.groups, cv=self.splits, scoring=self.scorer,
                                 params=self.fit_params, return_train_score=self.train, error_score="raise")
        except Exception as exc:  # noqa: BLE001 - error_score decides
            if isinstance(self.error_score, str) or math.isnan(self.error_score):
                self._failed(exc, None)  # raises
            return self._fold_by_fold(estimator)
        return {"test": list(out["test_score"]), "train": list(out.get("train_score", [])),
                "fit_time": list(out["fit_time"]), "score_time": list(out["score_time"])}

    def _fold_by_fold(self, estimator: Any) -> dict[str, list[float]]:
        folds: dict[str, list[float]] = {"test": [], "train": [], "fit_time": [], "score_time": []}
        for k, split in enumerate(self.splits):
            start = time.perf_counter()
            try:
                out = cross_validate(estimator, self.X, self.y, groups=self.groups, cv=[split], scoring=self.scorer,
                                     params=self.fit_params, return_train_score=self.train, error_score="raise")
            except Exception as exc:  # noqa: BLE001 - error_score decides
                self._failed(exc, k)
                out = {"test_score": [self.error_score], "train_score": [self.error_score],
                       "fit_time": [time.perf_counter() - start], "score_time": [0.0]}
            for key in ("test", "train", "fit_time", "score_time"):
                source = f"{key}_score" if key in ("test", "train") else key
                if source in out:
                    folds[key].append(float(out[source][0]))
        return folds

    def _partial_fits(self, trial: Any, estimator: Any) -> dict[str, list[float]]:
        """``max_iter`` rounds of partial_fit per fold; the mean test score reported after each round."""
        n = _num_samples(self.X)
        data = []
        for train, test in self.splits:
            params = {key: _safe_indexing(v, train) if _num_samples_or_none(v) == n else v
                      for key, v in self.fit_params.items()}
            data.append((_safe_indexing(self.X, train), None if self.y is None else _safe_indexing(self.y, train),
                         _safe_indexing(self.X, test), None if self.y is None else _safe_indexing(self.y, test),
                         params))
        models: list[Any] = [clone(estimator) for _ in self.splits]
        extra = {"classes": np.unique(self.y)} if is_classifier(estimator) and self.y is not None else {}
        k_folds = len(self.splits)
        folds = {"test": [math.nan] * k_folds, "train": [math.nan] * k_folds, "fit_time": [0.0] * k_folds,
                 "score_time": [0.0] * k_folds}
        for step in range(self.max_iter):
            for k, (X_tr, y_tr, X_te, y_te, params) in enumerate(data):
                if models[k] is None:
                    continue
                try:
                    start = time.perf_counter()
                    models[k].partial_fit(X_tr, y_tr, **(extra if step == 0 else {}), **params)
                    folds["fit_time"][k] += time.perf_counter() - start
                    start = time.perf_counter()
                    folds["test"][k] = float(self.scorer(models[k], X_te, y_te))
                    if self.train:
                        folds["train"][k] = float(self.scorer(models[k], X_tr, y_tr))
                    folds["score_time"][k] += time.perf_counter() - start
                except Exception as exc:  # noqa: BLE001 - error_score decides
                    self._failed(exc, k)
                    models[k] = None
                    folds["test"][k] = folds["train"][k] = float(self.error_score)
            trial.report(float(np.mean(folds["test"])), step)
            if trial.should_prune():
                _store(trial, folds, self.train)
                raise TrialPruned()
        return folds


def _num_samples_or_none(value: Any) -> int | None:
    try:
        return _num_samples(value)
    except TypeError:
        return None


def _store(trial: Any, folds: dict[str, list[float]], train: bool) -> float:
    """Write the fold scores and times as the trial's user attrs; the mean test score."""
    attrs: dict[str, float] = {}
    kinds = [("test", "test_score")] + ([("train", "train_score")] if train else [])
    for key, name in [*kinds, ("fit_time", "fit_time"), ("score_time", "score_time")]:
        values = np.asarray(folds[key], dtype=float)
        if key in ("test", "train"):
            attrs.update({f"split{k}_{name}": float(v) for k, v in enumerate(values)})
        attrs[f"mean_{name}"], attrs[f"std_{name}"] = float(np.mean(values)), float(np.std(values))
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
    return attrs["mean_test_score"]


def _cv_results(trials: list[Any], n_splits: int, train: bool, names: list[str]) -> dict[str, Any]:
    """scikit-learn's ``cv_results_`` (its keys, in its order) from the trials' records.

    A PRUNED or FAILED trial has NaN test (and train) scores, which rank last, as scikit-learn ranks
    a candidate whose fits failed; its times are those it recorded, else NaN."""
    done = np.array([t.state == TrialState.COMPLETE for t in trials])

    def column(key: str, scores: bool = False) -> np.ndarray:
        values = np.array([float(t.user_attrs.get(key, math.nan)) for t in trials], dtype=float)
        return np.where(done, values, math.nan) if scores else values

    results: dict[str, Any] = {}
    for name in ("fit_time", "score_time"):
        results[f"mean_{name}"], results[f"std_{name}"] = column(f"mean_{name}"), column(f"std_{name}")
    for name in names + sorted({p for t in trials for p in t.params} - set(names)):
        present = [t.params[name] for t in trials if name in t.params]
        try:
            inferred = np.array(present)
            dtype = inferred.dtype if inferred.dtype.kind != "U" and inferred.ndim == 1 else np.dtype(object)
        except ValueError:
            dtype = np.dtype(object)
        masked = np.ma.MaskedArray(np.empty(len(trials), dtype=dtype), mask=True)
        for i, t in enumerate(trials):
            if name in t.params:
                masked[i] = t.params[name]
        results[f"param_{name}"] = masked
    results["params"] = [dict(t.params) for t in trials]
    for kind in ["test"] + (["train"] if train else []):
        for k in range(n_splits):
            results[f"split{k}_{kind}_score"] = column(f"split{k}_{kind}_score", scores=True)
        results[f"mean_{kind}_score"] = column(f"mean_{kind}_score", scores=True)
        results[f"std_{kind}_score"] = column(f"std_{kind}_score", scores=True)
        if kind == "test":
            means = results["mean_test_score"]
            order = np.where(np.isnan(means), -np.inf, means)  # NaN: ranked last, all tied
            results["rank_test_score"] = rankdata(-order, method="min").astype(np.int32)
    return results


class _FromBest:
    """An attribute of the refitted best estimator (``predict``, ``classes_`` ...): before a refit,
    NotFittedError (an AttributeError, so ``hasattr`` is False) saying why."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.__doc__ = f"``best_estimator_.{name}`` (after a fit with refit=True)."

    def __get__(self, search: Any, owner: type | None = None) -> Any:
        if search is None:
            return self
        return getattr(search._refitted(self.name), self.name)


class TunelabSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Cross-validated search over ``param_distributions``, one tunelab trial per candidate.

    Args:
        estimator: a scikit-learn estimator (cloned for every fit; never fitted itself).
        param_distributions: ``{parameter name: tunelab distribution}``; names are the estimator's
            parameters (``"clf__C"`` inside a Pipeline).
        n_trials: candidates to try (>= 1), or None to search until ``timeout``.
        timeout: stop starting trials after this many seconds (> 0), or None.
        cv: scikit-learn's ``cv``: None (5 folds), an integer >= 2 (stratified for a classifier), a
            splitter, or an iterable of ``(train, test)`` index arrays.
        scoring: one metric: None (the estimator's ``score``), a scorer name or a callable scorer.
        refit: refit the best candidate on the whole data (``best_estimator_``, ``predict`` ...).
        n_jobs: trials run at once (tunelab's worker processes above 1; -1: one per CPU core).
        study: a single-objective ``direction="maximize"`` study to add the trials to (any storage,
            sampler and pruner); default: a new in-memory study with ``TPESampler(seed=random_state)``
            and ``MedianPruner()``. Like every parameter, it is deep-copied by ``sklearn.base.clone``:
            the clone of a search over an in-memory study fills a copy (``study_``), while a study
            on a file or server storage is the same study through its storage.
        error_score: NaN (a failing fit fails its trial, the search goes on), ``"raise"``, or a number
            (the failed fold's score).
        return_train_score: record the train scores too.
        random_state: seed of the default study's sampler: None, an integer >= 0 or a RandomState.
        verbose: 0 silent; 1 one line per search; 2 one line per trial.
        enable_pruning: train by ``partial_fit`` rounds and let the study's pruner stop poor trials.
        max_iter: ``partial_fit`` rounds per fold with ``enable_pruning`` (>= 1).

    Attributes after :meth:`fit`: ``study_``, ``trials_`` (the study's finished trials: the rows of
    ``cv_results_``), ``cv_results_``, ``best_index_``, ``best_params_``, ``best_score_``,
    ``best_trial_``, ``scorer_``, ``n_splits_``, ``multimetric_`` (False), and with ``refit=True``
    ``best_estimator_`` and ``refit_time_``; ``predict``, ``predict_proba``, ``decision_function``,
    ``transform``, ``classes_`` ... are the refitted best estimator's.
    """

    def __init__(self, estimator: Any, param_distributions: Mapping[str, BaseDistribution], *, n_trials: int | None = 10,
                 timeout: float | None = None, cv: Any = None, scoring: Any = None, refit: bool = True,
                 n_jobs: int | None = 1, study: Study | None = None, error_score: Any = np.nan,
                 return_train_score: bool = False, random_state: Any = None, verbose: int = 0,
                 enable_pruning: bool = False, max_iter: int = 1000) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.study = study
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.random_state = random_state
        self.verbose = verbose
        self.enable_pruning = enable_pruning
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> TunelabSearchCV:
        """Run the search (``n_trials`` trials added to ``study_``), then refit the best candidate.

        ``groups`` goes to the splitter, ``fit_params`` (``sample_weight`` ...) to every fit, cut to
        each fold's rows."""
        args = _checked(self.estimator, self.param_distributions, n_trials=self.n_trials, timeout=self.timeout,
                        refit=self.refit, n_jobs=self.n_jobs, study=self.study, error_score=self.error_score,
                        return_train_score=self.return_train_score, random_state=self.random_state,
                        verbose=self.verbose, enable_pruning=self.enable_pruning, max_iter=self.max_iter)
        scorer = _scorer(self.estimator, self.scoring)
        X, y, groups = indexable(X, y, groups)
        splits = self._splits(X, y, groups)
        study = args["study"] if args["study"] is not None else self._new_study(args["random_state"])
        for name in ("best_estimator_", "refit_time_"):
            self.__dict__.pop(name, None)
        objective = _Objective(self.estimator, self.param_distributions, X, y, groups, splits, scorer, fit_params,
                               args)
        if args["verbose"]:
            budget = [f"{args['n_trials']} trials"] if args["n_trials"] is not None else []
            budget += [f"{args['timeout']} s"] if args["timeout"] is not None else []
            print(f"[TunelabSearchCV] fitting {len(splits)} folds for each candidate, for {' or '.join(budget)}")
        study.optimize(objective, n_trials=args["n_trials"], timeout=args["timeout"], n_jobs=args["n_jobs"],
                       catch=(FitFailedError,))

        finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        trials = [t for t in study.get_trials(deepcopy=False) if t.state in finished]
        if not any(t.state == TrialState.COMPLETE for t in trials):
            reasons = [t.fail_reason for t in trials if t.state == TrialState.FAIL and t.fail_reason]
            raise FitFailedError(f"no trial of the search completed ({len(trials)} finished)"
                                 + (f"; the first failure: {reasons[0]}" if reasons else ""))
        best = study.best_trial
        self.study_, self.trials_ = study, trials
        self.cv_results_ = _cv_results(trials, len(splits), args["return_train_score"], list(self.param_distributions))
        self.best_index_ = next(i for i, t in enumerate(trials) if t.number == best.number)
        self.best_trial_, self.best_params_, self.best_score_ = best, dict(best.params), best.value
        self.scorer_, self.n_splits_, self.multimetric_ = scorer, len(splits), False
        if args["refit"]:
            start = time.perf_counter()
            self.best_estimator_ = self._fit_best(objective, X, y, fit_params)
            self.refit_time_ = time.perf_counter() - start
        return self

    def _splits(self, X: Any, y: Any, groups: Any) -> list:
        allowed = "None, an integer >= 2, a cross-validation splitter or an iterable of (train, test) index arrays"
        if isinstance(self.cv, (bool, np.bool_)) or (isinstance(self.cv, (int, np.integer)) and self.cv < 2):
            raise invalid("cv", self.cv, allowed, where=_WHERE)
        try:
            splits = list(check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(X, y, groups))
        except (TypeError, ValueError) as exc:
            raise invalid("cv", self.cv, f"{allowed} ({exc})", where=_WHERE) from None
        if not splits:
            raise invalid("cv", self.cv, f"{allowed}, giving at least one split", where=_WHERE)
        return splits

    @staticmethod
    def _new_study(random_state: Any) -> Study:
        from tunelab.pruners import MedianPruner
        from tunelab.samplers import TPESampler
        from tunelab.study import create_study

        seed = random_state.randint(2**31 - 1) if isinstance(random_state, np.random.RandomState) else random_state
        return create_study(direction="maximize", sampler=TPESampler(seed=seed), pruner=MedianPruner())

    def _fit_best(self, objective: _Objective, X: Any, y: Any, fit_params: dict[str, Any]) -> Any:
        estimator = clone(self.estimator).set_params(**self.best_params_)
        if not self.enable_pruning:
            return estimator.fit(X, y, **fit_params)
        extra = {"classes": np.unique(y)} if is_classifier(estimator) and y is not None else {}
        for step in range(objective.max_iter):
            estimator.partial_fit(X, y, **(extra if step == 0 else {}), **fit_params)
        return estimator

    def _refitted(self, name: str) -> Any:
        """The refitted best estimator, or NotFittedError saying why there is none to give ``name``."""
        if "best_estimator_" in self.__dict__:
            return self.best_estimator_
        cls = type(self).__name__
        if "study_" not in self.__dict__:
            raise NotFittedError(f"This {cls} instance is not fitted yet. Call 'fit' with appropriate arguments "
                                 f"before using {name}.")
        raise NotFittedError(f"This {cls} instance was fitted with refit=False, so {name} is not available: it "
                             "belongs to the best estimator refitted on the whole data. Fit with refit=True, or "
                             "fit the estimator with best_params_ yourself.")

    predict = _FromBest()
    predict_proba = _FromBest()
    predict_log_proba = _FromBest()
    decision_function = _FromBest()
    score_samples = _FromBest()
    transform = _FromBest()
    inverse_transform = _FromBest()
    classes_ = _FromBest()
    n_features_in_ = _FromBest()
    feature_names_in_ = _FromBest()

    def score(self, X: Any, y: Any = None, **params: Any) -> float:
        """The refitted best estimator's score on ``(X, y)`` by ``scorer_`` (the search's ``scoring``)."""
        return float(self.scorer_(self._refitted("score"), X, y, **params))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags
