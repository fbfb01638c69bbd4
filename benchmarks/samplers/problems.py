"""Benchmark problems: synthetic functions with known optima, scikit-learn models under
cross-validation, and a PyTorch MLP whose learning-rate schedule is searched. All minimised."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.samplers.spaces import C, F, I


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    space: list
    evaluate: Callable[[dict[str, Any]], float]
    optimum: float | None  # None: the best value any run found stands in


def _branin(x: float, y: float) -> float:
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                 [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(x: np.ndarray) -> float:
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))))


def _rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(x * x) / d))
                 - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e)


def _vec(p: dict[str, Any], prefix: str, d: int) -> np.ndarray:
    return np.array([p[f"{prefix}{i}"] for i in range(d)])


def synthetic() -> list[Problem]:
    mixed_penalty = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 0.5}
    conditional = [C("branch", ("quad", "branin", "rosen"), {
        "quad": [F("q0", -5, 5), F("q1", -5, 5)],
        "branin": [F("bx", -5, 10), F("by", 0, 15)],
        "rosen": [F("r0", -2, 2), F("r1", -2, 2), F("r2", -2, 2)],
    })]

    def cond_eval(p: dict[str, Any]) -> float:
        if p["branch"] == "quad":
            return (p["q0"] - 2) ** 2 + (p["q1"] - 1) ** 2 + 1.0
        if p["branch"] == "branin":
            return _branin(p["bx"], p["by"]) - 0.397887
        return _rosenbrock(_vec(p, "r", 3)) + 0.5

    return [
        Problem("branin", [F("x", -5, 10), F("y", 0, 15)], lambda p: _branin(p["x"], p["y"]), 0.397887),
        Problem("hartmann6", [F(f"x{i}", 0, 1) for i in range(6)], lambda p: _hartmann6(_vec(p, "x", 6)),
                -3.32237),
        Problem("rosenbrock4", [F(f"x{i}", -2.048, 2.048) for i in range(4)],
                lambda p: _rosenbrock(_vec(p, "x", 4)), 0.0),
        Problem("ackley5", [F(f"x{i}", -32.768, 32.768) for i in range(5)], lambda p: _ackley(_vec(p, "x", 5)), 0.0),
        Problem("mixed_int_cat", [F("x0", -5, 5), F("x1", -5, 5), I("n", 0, 20), I("k", 1, 1000, log=True),
                                  C("c", ("a", "b", "c", "d"))],
                lambda p: ((p["x0"] - 1) ** 2 + (p["x1"] + 1) ** 2 + 0.1 * (p["n"] - 13) ** 2
                           + (math.log10(p["k"]) - 2) ** 2 + mixed_penalty[p["c"]]), 0.0),
        Problem("conditional", conditional, cond_eval, 0.0),
    ]


@functools.cache
def _data(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loader = {"cancer": datasets.load_breast_cancer, "wine": datasets.load_wine,
              "diabetes": datasets.load_diabetes, "digits": datasets.load_digits}[name]
    x, y = loader(return_X_y=True)
    return x, y


def _cv(model: Any, data: str, scoring: str) -> float:
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = _data(data)
    cv = KFold(3, shuffle=True, random_state=0)
    return -float(np.mean(cross_val_score(make_pipeline(StandardScaler(), model), x, y, cv=cv, scoring=scoring,
                                          n_jobs=1)))


def _svc(p: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    return _cv(SVC(C=p["C"], gamma=p["gamma"]), "cancer", "accuracy")


def _rf(p: dict[str, Any]) -> float:
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=10, max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"],
                                  max_features=p["max_features"], random_state=0, n_jobs=1)
    return _cv(model, "diabetes", "neg_mean_squared_error") / 1000.0


def _enet(p: dict[str, Any]) -> float:
    from sklearn.linear_model import ElasticNet

    return _cv(ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=2000), "diabetes",
               "neg_mean_squared_error") / 1000.0


def _model_choice(p: dict[str, Any]) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    if p["model"] == "logreg":
        model = LogisticRegression(C=p["lr_C"], max_iter=500)
    elif p["model"] == "svc":
        model = SVC(C=p["svc_C"], gamma=p["svc_gamma"])
    else:
        model = KNeighborsClassifier(n_neighbors=p["knn_k"], weights=p["knn_weights"])
    return _cv(model, "wine", "accuracy")


def sklearn_problems() -> list[Problem]:
    return [
        Problem("svc_cancer", [F("C", 1e-3, 1e3, log=True), F("gamma", 1e-5, 1e1, log=True)], _svc, None),
        Problem("rf_diabetes", [I("max_depth", 2, 20), I("min_samples_leaf", 1, 40, log=True),
                                F("max_features", 0.1, 1.0)], _rf, None),
        Problem("enet_diabetes", [F("alpha", 1e-4, 10, log=True), F("l1_ratio", 0.0, 1.0)], _enet, None),
        Problem("model_choice_wine", [C("model", ("logreg", "svc", "knn"), {
            "logreg": [F("lr_C", 1e-4, 1e2, log=True)],
            "svc": [F("svc_C", 1e-3, 1e3, log=True), F("svc_gamma", 1e-5, 1e1, log=True)],
            "knn": [I("knn_k", 1, 40), C("knn_weights", ("uniform", "distance"))],
        })], _model_choice, None),
    ]


_MLP_STEPS = 60


def _schedule(p: dict[str, Any]) -> Any:
    from tunelab import schedules

    fam = p["family"]
    if fam == "exponential":
        return schedules.ExponentialDecay(p["exp_lr"], decay_steps=_MLP_STEPS, decay_rate=p["exp_rate"])
    if fam == "cosine":
        return schedules.CosineDecay(p["cos_lr"], decay_steps=_MLP_STEPS, alpha=p["cos_alpha"],
                                     warmup_target=None, warmup_steps=0)
    return schedules.PolynomialDecay(p["poly_lr"], decay_steps=_MLP_STEPS, end_learning_rate=p["poly_end"],
                                     power=p["poly_power"])


def _mlp(p: dict[str, Any]) -> float:
    import torch

    torch.set_num_threads(1)
    x, y = _data("digits")
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=gen)
    train, valid = perm[:1200], perm[1200:]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=p["momentum"])
    schedule = _schedule(p)
    loss_fn = torch.nn.functional.cross_entropy
    for step in range(_MLP_STEPS):
        for group in opt.param_groups:
            group["lr"] = float(schedule(step))
        batch = train[(step * 200) % 1200:(step * 200) % 1200 + 200]
        opt.zero_grad()
        loss = loss_fn(model(x[batch]), y[batch])
        loss.backward()
        opt.step()
    with torch.no_grad():
        value = float(loss_fn(model(x[valid]), y[valid]))
    return value if math.isfinite(value) else 10.0


def torch_problems() -> list[Problem]:
    space = [F("momentum", 0.0, 0.95), C("family", ("exponential", "cosine", "polynomial"), {
        "exponential": [F("exp_lr", 1e-3, 3.0, log=True), F("exp_rate", 0.01, 1.0, log=True)],
        "cosine": [F("cos_lr", 1e-3, 3.0, log=True), F("cos_alpha", 0.0, 0.5)],
        "polynomial": [F("poly_lr", 1e-3, 3.0, log=True), F("poly_end", 1e-5, 1e-2, log=True),
                       F("poly_power", 0.5, 3.0)],
    })]
    return [Problem("mlp_lr_schedule", space, _mlp, None)]


def all_problems() -> list[Problem]:
    from benchmarks.samplers.more_problems import more_sklearn, more_synthetic

    return synthetic() + sklearn_problems() + torch_problems() + more_synthetic() + more_sklearn()


#: The problems the samplers were tuned on before the held-out split existed (issue 4's suite).
#: They all stay in the tuning half.
FIRST_SUITE = ("branin", "hartmann6", "rosenbrock4", "ackley5", "mixed_int_cat", "conditional", "svc_cancer",
               "rf_diabetes", "enet_diabetes", "model_choice_wine", "mlp_lr_schedule")


@functools.cache
def half(name: str) -> str:
    """``"tuning"`` or ``"held-out"``: the fixed rule that splits the suite, decided once.

    The first suite's problems are tuning problems (samplers were already tuned on them). Every
    other problem is placed by its rank in alphabetical order within its group (synthetic, or
    scikit-learn): ranks 0, 2, 4, ... are held-out, ranks 1, 3, 5, ... tuning. Sampler changes
    are judged on the tuning half only; the held-out half is what gets reported.
    """
    from benchmarks.samplers.more_problems import more_sklearn, more_synthetic

    if name in FIRST_SUITE:
        return "tuning"
    for group in (more_synthetic(), more_sklearn()):
        names = sorted(p.name for p in group)
        if name in names:
            return "held-out" if names.index(name) % 2 == 0 else "tuning"
    raise KeyError(f"no benchmark problem named {name!r}")
