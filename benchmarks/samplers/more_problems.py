"""The problems added for the held-out split: multimodal, integer-only, categorical-heavy and
conditional synthetic functions with known optima, and scikit-learn model families on the bundled
data sets under 3-fold cross-validation, each with a loss or an accuracy-type metric. All minimised.

Optima of the synthetic functions are the published ones (Levy, Rastrigin, Schwefel: 0;
Michalewicz-5: -4.687658; Styblinski-Tang: -39.16617 per dimension; six-hump camel: -1.0316285;
Goldstein-Price: 3; Hartmann-3: -3.86278) or computed here exactly (integer, categorical tables).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np

from benchmarks.samplers.problems import Problem, _data, _vec
from benchmarks.samplers.spaces import C, F, I

# -- synthetic ----------------------------------------------------------------------------------------------


def _levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def _rastrigin(x: np.ndarray) -> float:
    return float(10 * len(x) + np.sum(x * x - 10 * np.cos(2 * math.pi * x)))


def _schwefel(x: np.ndarray) -> float:
    return float(418.9829 * len(x) - np.sum(x * np.sin(np.sqrt(np.abs(x)))))


def _michalewicz(x: np.ndarray) -> float:
    i = np.arange(1, len(x) + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x * x / math.pi) ** 20))


def _styblinski(x: np.ndarray) -> float:
    return float(0.5 * np.sum(x ** 4 - 16 * x ** 2 + 5 * x))


def _camel(x: float, y: float) -> float:
    return (4 - 2.1 * x * x + x ** 4 / 3) * x * x + x * y + (-4 + 4 * y * y) * y * y


def _goldstein(x: float, y: float) -> float:
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y)
    return a * b


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann3(x: np.ndarray) -> float:
    return float(-np.sum(_H3_ALPHA * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1))))


_STEP_CENTRES = (7, 22, 13, 3, 28, 17)
_CAT_SIZES = (3, 4, 5, 3, 6, 4, 3)


@functools.cache
def _cat_table() -> tuple[list[np.ndarray], dict[tuple[int, int], np.ndarray], float]:
    """Main effects and pairwise interactions of the categorical-heavy function, and its exact optimum."""
    rng = np.random.default_rng(123)
    main = [rng.normal(0, 1, k) for k in _CAT_SIZES]
    pairs = {(i, j): rng.normal(0, 0.6, (_CAT_SIZES[i], _CAT_SIZES[j]))
             for i, j in itertools.combinations(range(len(_CAT_SIZES)), 2) if rng.random() < 0.4}
    grid = np.array(list(itertools.product(*[range(k) for k in _CAT_SIZES])))
    total = sum(m[grid[:, i]] for i, m in enumerate(main))
    for (i, j), t in pairs.items():
        total = total + t[grid[:, i], grid[:, j]]
    return main, pairs, float(total.min())


def _cat_value(idx: list[int]) -> float:
    main, pairs, _ = _cat_table()
    return float(sum(m[k] for m, k in zip(main, idx)) + sum(t[idx[i], idx[j]] for (i, j), t in pairs.items()))


def _cat_heavy(p: dict[str, Any]) -> float:
    return _cat_value([int(p[f"c{i}"][1:]) for i in range(len(_CAT_SIZES))])


def _cat_mixed(p: dict[str, Any]) -> float:
    base = {"relu": 0.0, "tanh": 0.4, "gelu": 0.1, "sigmoid": 1.2}[p["act"]]
    opt = {"sgd": 0.8, "adam": 0.0, "rmsprop": 0.3}[p["opt"]]
    norm = 0.0 if p["norm"] == "batch" else 0.5
    # the best rate depends on the optimiser (as it does in training)
    lr_best = {"sgd": -1.0, "adam": -3.0, "rmsprop": -2.5}[p["opt"]]
    lr = (math.log10(p["lr"]) - lr_best) ** 2
    drop = 4 * (p["dropout"] - (0.1 if p["norm"] == "batch" else 0.3)) ** 2
    return base + opt + norm + lr + drop + (0.2 if p["init"] == "uniform" else 0.0)


def _cond_nested(p: dict[str, Any]) -> float:
    shared = (math.log10(p["wd"]) + 4) ** 2 / 4
    if p["opt"] == "sgd":
        lr = (math.log10(p["sgd_lr"]) + 1) ** 2
        mom = 0.0 if not p["nesterov"] == "yes" else -0.1
        return 0.3 + shared + lr + 2 * (p["sgd_momentum"] - 0.9) ** 2 + mom + 0.1
    if p["opt"] == "adam":
        lr = (math.log10(p["adam_lr"]) + 3) ** 2
        return shared + lr + 50 * (p["adam_beta2"] - 0.99) ** 2 + (0.0 if p["amsgrad"] == "no" else 0.05)
    sched = p["sched"]
    extra = ((p["cos_warmup"] - 10) / 10) ** 2 if sched == "cosine" else ((p["step_gamma"] - 0.3) ** 2) * 4 + 0.1
    return 0.2 + shared + (math.log10(p["lion_lr"]) + 4) ** 2 + extra


def more_synthetic() -> list[Problem]:
    nested = [F("wd", 1e-6, 1e-2, log=True), C("opt", ("sgd", "adam", "lion"), {
        "sgd": [F("sgd_lr", 1e-4, 1.0, log=True), F("sgd_momentum", 0.0, 0.99), C("nesterov", ("yes", "no"))],
        "adam": [F("adam_lr", 1e-5, 1e-1, log=True), F("adam_beta2", 0.9, 0.9999), C("amsgrad", ("yes", "no"))],
        "lion": [F("lion_lr", 1e-6, 1e-2, log=True), C("sched", ("cosine", "step"), {
            "cosine": [I("cos_warmup", 0, 50)], "step": [F("step_gamma", 0.05, 0.9)]})],
    })]
    return [
        Problem("levy5", [F(f"x{i}", -10, 10) for i in range(5)], lambda p: _levy(_vec(p, "x", 5)), 0.0),
        Problem("rastrigin4", [F(f"x{i}", -5.12, 5.12) for i in range(4)],
                lambda p: _rastrigin(_vec(p, "x", 4)), 0.0),
        Problem("schwefel4", [F(f"x{i}", -500, 500) for i in range(4)], lambda p: _schwefel(_vec(p, "x", 4)), 0.0),
        Problem("michalewicz5", [F(f"x{i}", 0, math.pi) for i in range(5)],
                lambda p: _michalewicz(_vec(p, "x", 5)), -4.687658),
        Problem("styblinski4", [F(f"x{i}", -5, 5) for i in range(4)], lambda p: _styblinski(_vec(p, "x", 4)),
                -39.16617 * 4),
        Problem("camel6hump", [F("x", -3, 3), F("y", -2, 2)], lambda p: _camel(p["x"], p["y"]), -1.0316285),
        Problem("goldstein_price", [F("x", -2, 2), F("y", -2, 2)], lambda p: _goldstein(p["x"], p["y"]), 3.0),
        Problem("hartmann3", [F(f"x{i}", 0, 1) for i in range(3)], lambda p: _hartmann3(_vec(p, "x", 3)),
                -3.86278),
        Problem("int_styblinski4", [I(f"x{i}", -5, 5) for i in range(4)],
                lambda p: _styblinski(_vec(p, "x", 4).astype(float)), -156.0),
        Problem("int_steps6", [I(f"x{i}", 0, 30) for i in range(6)],
                lambda p: float(sum(math.floor(((p[f"x{i}"] - c) / 4) ** 2) for i, c in enumerate(_STEP_CENTRES))),
                0.0),
        Problem("cat_heavy7", [C(f"c{i}", tuple(f"v{j}" for j in range(k))) for i, k in enumerate(_CAT_SIZES)],
                _cat_heavy, _cat_table()[2]),
        Problem("cat_mixed", [C("act", ("relu", "tanh", "gelu", "sigmoid")), C("opt", ("sgd", "adam", "rmsprop")),
                              C("norm", ("batch", "layer")), C("init", ("normal", "uniform")),
                              F("lr", 1e-5, 1.0, log=True), F("dropout", 0.0, 0.6)], _cat_mixed, 0.0),
        Problem("conditional_nested", nested, _cond_nested, 0.0),
    ]


# -- scikit-learn -------------------------------------------------------------------------------------------


@functools.cache
def _more_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    if name == "friedman":
        return datasets.make_friedman1(n_samples=300, noise=1.0, random_state=0)
    if name == "iris":
        return datasets.load_iris(return_X_y=True)
    if name == "digits600":  # a fixed stratified-by-order subsample keeps the slow models cheap
        x, y = _data("digits")
        keep = np.argsort(np.random.default_rng(0).random(len(y)))[:600]
        return x[keep], y[keep]
    return _data(name)


_SCORING = {"acc": "accuracy", "logloss": "neg_log_loss", "mse": "neg_mean_squared_error"}
_SCALE = {"diabetes": 1000.0}


def _cv(model: Any, data: str, metric: str) -> float:
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = _more_data(data)
    split = (KFold if metric == "mse" else StratifiedKFold)(3, shuffle=True, random_state=0)
    try:
        score = cross_val_score(make_pipeline(StandardScaler(), model), x, y, cv=split, scoring=_SCORING[metric],
                                n_jobs=1, error_score=np.nan)
    except ValueError:  # a diverged fit scikit-learn refuses to score (an MLP's non-finite weights)
        score = np.array([np.nan])
    value = -float(np.mean(score))
    if metric == "acc":
        value += 1.0  # error rate
    if not math.isfinite(value):
        return {"acc": 1.0, "logloss": 10.0}.get(metric, 1e3)
    return value / _SCALE.get(data, 1.0) if metric == "mse" else value


def _tree(p: dict[str, Any], clf: bool) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    kw = dict(max_depth=p["max_depth"], min_samples_split=p["min_samples_split"],
              min_samples_leaf=p["min_samples_leaf"], random_state=0)
    if clf:
        return DecisionTreeClassifier(criterion=p["criterion"], **kw)
    return DecisionTreeRegressor(**kw)


_TREE = [I("max_depth", 1, 20), I("min_samples_split", 2, 40), I("min_samples_leaf", 1, 20)]
_TREE_CLF = _TREE + [C("criterion", ("gini", "entropy"))]


def _rf(p: dict[str, Any], clf: bool) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    make = RandomForestClassifier if clf else RandomForestRegressor
    return make(n_estimators=p["n_estimators"], max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"],
                max_features=p["max_features"], bootstrap=p["bootstrap"] == "yes", random_state=0, n_jobs=1)


_RF = [I("n_estimators", 5, 40, log=True), I("max_depth", 1, 20), I("min_samples_leaf", 1, 30, log=True),
       F("max_features", 0.05, 1.0), C("bootstrap", ("yes", "no"))]


def _hgb(p: dict[str, Any], clf: bool) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    make = HistGradientBoostingClassifier if clf else HistGradientBoostingRegressor
    return make(learning_rate=p["learning_rate"], max_iter=p["max_iter"], max_leaf_nodes=p["max_leaf_nodes"],
                min_samples_leaf=p["min_samples_leaf"], l2_regularization=p["l2"], early_stopping=False,
                random_state=0)


_HGB = [F("learning_rate", 1e-3, 1.0, log=True), I("max_iter", 5, 100, log=True), I("max_leaf_nodes", 2, 64, log=True),
        I("min_samples_leaf", 1, 60, log=True), F("l2", 1e-6, 10.0, log=True)]


def _gb(p: dict[str, Any]) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(n_estimators=p["n_estimators"], learning_rate=p["learning_rate"],
                                      max_depth=p["max_depth"], subsample=p["subsample"], random_state=0)


def _ada(p: dict[str, Any]) -> Any:
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    return AdaBoostClassifier(DecisionTreeClassifier(max_depth=p["depth"]), n_estimators=p["n_estimators"],
                              learning_rate=p["learning_rate"], random_state=0)


def _knn(p: dict[str, Any], clf: bool) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    make = KNeighborsClassifier if clf else KNeighborsRegressor
    return make(n_neighbors=p["k"], weights=p["weights"], p=p["p"])


_KNN = [I("k", 1, 60), C("weights", ("uniform", "distance")), I("p", 1, 2)]


def _svc(p: dict[str, Any]) -> Any:
    from sklearn.svm import SVC

    return SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"])


def _svr(p: dict[str, Any]) -> Any:
    from sklearn.svm import SVR

    return SVR(C=p["C"], gamma=p["gamma"], epsilon=p["epsilon"])


def _logreg(p: dict[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=p["C"], class_weight=None if p["class_weight"] == "none" else "balanced",
                              fit_intercept=p["intercept"] == "yes", max_iter=300)


def _lasso(p: dict[str, Any]) -> Any:
    from sklearn.linear_model import Lasso

    return Lasso(alpha=p["alpha"], max_iter=3000)


def _enet(p: dict[str, Any]) -> Any:
    from sklearn.linear_model import ElasticNet

    return ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=3000)


def _kridge(p: dict[str, Any]) -> Any:
    from sklearn.kernel_ridge import KernelRidge

    return KernelRidge(alpha=p["alpha"], kernel=p["kernel"], gamma=p["gamma"])


def _sgd(p: dict[str, Any]) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss=p["loss"], penalty=p["penalty"], alpha=p["alpha"], l1_ratio=p["l1_ratio"],
                         learning_rate=p["schedule"], eta0=p["eta0"], max_iter=50, tol=None, random_state=0)


def _mlp(p: dict[str, Any], solver: str) -> Any:
    from sklearn.neural_network import MLPClassifier

    kw = dict(momentum=p["momentum"], nesterovs_momentum=True) if solver == "sgd" else {}
    return MLPClassifier(hidden_layer_sizes=(p["width"],) * p["layers"], alpha=p["alpha"], solver=solver,
                         learning_rate_init=p["lr"], batch_size=p["batch"], max_iter=15, random_state=0, **kw)


_MLP = [I("layers", 1, 3), I("width", 8, 64, log=True), F("alpha", 1e-6, 1e-1, log=True),
        F("lr", 1e-4, 1.0, log=True), I("batch", 16, 256, log=True)]


def _choice(p: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    if p["model"] == "logreg":
        return LogisticRegression(C=p["lr_C"], max_iter=300)
    if p["model"] == "rf":
        return RandomForestClassifier(n_estimators=30, max_depth=p["rf_depth"], max_features=p["rf_features"],
                                      random_state=0, n_jobs=1)
    return KNeighborsClassifier(n_neighbors=p["knn_k"], weights="distance")


def _task(name: str, space: list, make: Any, data: str, metric: str) -> Problem:
    return Problem(name, space, lambda p: _cv(make(p), data, metric), None)


def more_sklearn() -> list[Problem]:
    svc = [F("C", 1e-3, 1e3, log=True), F("gamma", 1e-5, 1.0, log=True), C("kernel", ("rbf", "sigmoid"))]
    return [
        _task("tree_cancer_acc", _TREE_CLF, lambda p: _tree(p, True), "cancer", "acc"),
        _task("tree_wine_logloss", _TREE_CLF, lambda p: _tree(p, True), "wine", "logloss"),
        _task("tree_diabetes_mse", _TREE, lambda p: _tree(p, False), "diabetes", "mse"),
        _task("tree_digits_acc", _TREE_CLF, lambda p: _tree(p, True), "digits600", "acc"),
        _task("rf_cancer_logloss", _RF, lambda p: _rf(p, True), "cancer", "logloss"),
        _task("rf_wine_acc", _RF, lambda p: _rf(p, True), "wine", "acc"),
        _task("hgb_cancer_logloss", _HGB, lambda p: _hgb(p, True), "cancer", "logloss"),
        _task("hgb_diabetes_mse", _HGB, lambda p: _hgb(p, False), "diabetes", "mse"),
        _task("gb_wine_acc", [I("n_estimators", 5, 80, log=True), F("learning_rate", 1e-3, 1.0, log=True),
                              I("max_depth", 1, 6), F("subsample", 0.3, 1.0)], _gb, "wine", "acc"),
        _task("ada_cancer_acc", [I("n_estimators", 5, 50, log=True), F("learning_rate", 1e-3, 3.0, log=True),
                                 I("depth", 1, 4)], _ada, "cancer", "acc"),
        _task("ada_iris_logloss", [I("n_estimators", 5, 50, log=True), F("learning_rate", 1e-3, 3.0, log=True),
                                   I("depth", 1, 4)], _ada, "iris", "logloss"),
        _task("knn_wine_acc", _KNN, lambda p: _knn(p, True), "wine", "acc"),
        _task("knn_digits_logloss", _KNN, lambda p: _knn(p, True), "digits600", "logloss"),
        _task("knn_diabetes_mse", _KNN, lambda p: _knn(p, False), "diabetes", "mse"),
        _task("svc_digits_acc", svc, _svc, "digits600", "acc"),
        _task("svr_diabetes_mse", [F("C", 1e-2, 1e3, log=True), F("gamma", 1e-4, 1.0, log=True),
                                   F("epsilon", 1e-3, 1.0, log=True)], _svr, "diabetes", "mse"),
        _task("logreg_cancer_logloss", [F("C", 1e-4, 1e3, log=True), C("class_weight", ("none", "balanced")),
                                        C("intercept", ("yes", "no"))], _logreg, "cancer", "logloss"),
        _task("logreg_digits_acc", [F("C", 1e-4, 1e3, log=True), C("class_weight", ("none", "balanced")),
                                    C("intercept", ("yes", "no"))], _logreg, "digits600", "acc"),
        _task("lasso_friedman_mse", [F("alpha", 1e-4, 10, log=True)], _lasso, "friedman", "mse"),
        _task("enet_friedman_mse", [F("alpha", 1e-4, 10, log=True), F("l1_ratio", 0.0, 1.0)], _enet, "friedman",
              "mse"),
        _task("kridge_friedman_mse", [F("alpha", 1e-4, 10, log=True), C("kernel", ("rbf", "laplacian", "poly")),
                                      F("gamma", 1e-3, 1.0, log=True)], _kridge, "friedman", "mse"),
        _task("sgd_cancer_acc", [C("loss", ("hinge", "log_loss", "modified_huber", "perceptron")),
                                 C("penalty", ("l2", "l1", "elasticnet")), F("alpha", 1e-6, 1.0, log=True),
                                 F("l1_ratio", 0.0, 1.0), C("schedule", ("optimal", "constant", "invscaling")),
                                 F("eta0", 1e-4, 1.0, log=True)], _sgd, "cancer", "acc"),
        _task("mlp_adam_cancer_logloss", _MLP, lambda p: _mlp(p, "adam"), "cancer", "logloss"),
        _task("mlp_sgd_digits_acc", _MLP + [F("momentum", 0.0, 0.99)], lambda p: _mlp(p, "sgd"), "digits600", "acc"),
        _task("model_choice_cancer_logloss", [C("model", ("logreg", "rf", "knn"), {
            "logreg": [F("lr_C", 1e-4, 1e2, log=True)],
            "rf": [I("rf_depth", 1, 12), F("rf_features", 0.05, 1.0)],
            "knn": [I("knn_k", 1, 60)],
        })], _choice, "cancer", "logloss"),
    ]
