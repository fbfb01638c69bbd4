"""Search estimators at equal fits: TunelabSearchCV, scikit-learn's RandomizedSearchCV, Optuna's OptunaSearchCV.

    .venv/bin/python benchmarks/sklearn_search.py [--trials 20] [--cv 5] [--seeds 0 1 2 3 4] [--problems digits ...]

Each library gets the same estimator, the same continuous space (log where it is log), the same
number of candidates (``n_trials`` / ``n_iter``), the same folds (``cv`` an integer: unshuffled
stratified folds for a classifier, plain ones for a regressor, identical for all three) and the
same seed, one fit after another, sequentially (``n_jobs=1``), with ``refit=True``. Reported per
data set: the best cross-validated score (``best_score_``; the mean and the spread over seeds) and
the wall time of ``fit``, with the ratios to tunelab. scikit-learn samples at random; tunelab and
Optuna both run TPE seeded by ``random_state``. Optuna's OptunaSearchCV is skipped with a line
saying so when ``optuna_integration`` is not installed.

Data sets (bundled with scikit-learn, no download):

- ``digits``: SVC(C in [1e-2, 1e3] log, gamma in [1e-5, 1e-1] log), accuracy;
- ``breast_cancer``: StandardScaler + LogisticRegression(C in [1e-4, 1e2] log), accuracy;
- ``diabetes``: StandardScaler + ElasticNet(alpha in [1e-4, 1e1] log, l1_ratio in [0, 1]), R².
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import loguniform, uniform
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import ElasticNet, LogisticRegression
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tunelab
from tunelab.distributions import FloatDistribution
from tunelab.integrations.sklearn import TunelabSearchCV

#: name -> (load, estimator, {param: (low, high, log)})
PROBLEMS: dict[str, tuple[Callable[..., Any], Callable[[], Any], dict[str, tuple[float, float, bool]]]] = {
    "digits": (load_digits, lambda: SVC(), {"C": (1e-2, 1e3, True), "gamma": (1e-5, 1e-1, True)}),
    "breast_cancer": (load_breast_cancer, lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                      {"logisticregression__C": (1e-4, 1e2, True)}),
    "diabetes": (load_diabetes, lambda: make_pipeline(StandardScaler(), ElasticNet(max_iter=5000)),
                 {"elasticnet__alpha": (1e-4, 1e1, True), "elasticnet__l1_ratio": (0.0, 1.0, False)}),
}


def _tunelab(estimator: Any, space: dict, n: int, cv: int, seed: int) -> Any:
    dists = {k: FloatDistribution(lo, hi, log=log) for k, (lo, hi, log) in space.items()}
    return TunelabSearchCV(estimator, dists, n_trials=n, cv=cv, random_state=seed)


def _sklearn(estimator: Any, space: dict, n: int, cv: int, seed: int) -> Any:
    dists = {k: loguniform(lo, hi) if log else uniform(lo, hi - lo) for k, (lo, hi, log) in space.items()}
    return RandomizedSearchCV(estimator, dists, n_iter=n, cv=cv, random_state=seed)


def _optuna(estimator: Any, space: dict, n: int, cv: int, seed: int) -> Any:
    import optuna
    from optuna_integration import OptunaSearchCV

    dists = {k: optuna.distributions.FloatDistribution(lo, hi, log=log) for k, (lo, hi, log) in space.items()}
    return OptunaSearchCV(estimator, dists, n_trials=n, cv=cv, random_state=seed, verbose=0)


def _quiet() -> bool:
    """Silence the per-trial logs; True when Optuna's OptunaSearchCV can run."""
    tunelab.logging.set_verbosity(tunelab.logging.WARNING)
    warnings.filterwarnings("ignore")
    try:
        import optuna
        import optuna_integration  # noqa: F401
    except ImportError:
        return False
    optuna.logging.set_verbosity(logging.WARNING)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=list(PROBLEMS))
    args = parser.parse_args()

    builders = {"tunelab": _tunelab, "sklearn": _sklearn}
    if _quiet():
        builders["optuna"] = _optuna
    else:
        print("Optuna's OptunaSearchCV skipped: optuna_integration is not installed (pip install optuna-integration)")
    load1 = os.getloadavg()[0]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python {platform.python_version()}; "
          f"{os.cpu_count()} CPUs, load average {load1:.1f} at the start; {args.trials} candidates x {args.cv} folds, "
          f"seeds {args.seeds}")

    rows = []
    for problem in args.problems:
        load, make, space = PROBLEMS[problem]
        X, y = load(return_X_y=True)
        scores: dict[str, list[float]] = {name: [] for name in builders}
        walls: dict[str, list[float]] = {name: [] for name in builders}
        for seed in args.seeds:
            for name, build in builders.items():  # one library after another, the same seed
                search = build(make(), space, args.trials, args.cv, seed)
                start = time.perf_counter()
                search.fit(X, y)
                walls[name].append(time.perf_counter() - start)
                scores[name].append(float(search.best_score_))
        rows.append((problem, scores, walls))
        _print_row(problem, scores, walls)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print()
    print(_table(rows, list(builders)))


def _print_row(problem: str, scores: dict, walls: dict) -> None:
    parts = [f"{name} {np.mean(scores[name]):.4f} in {np.mean(walls[name]):.2f} s" for name in scores]
    print(f"{problem}: " + "; ".join(parts))


def _table(rows: list, names: list[str]) -> str:
    head = ["data set"] + [f"{n} best CV" for n in names] + [f"{n} wall s" for n in names]
    head += [f"wall {n}/tunelab" for n in names if n != "tunelab"]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for problem, scores, walls in rows:
        cells = [problem]
        for n in names:
            spread = statistics.pstdev(scores[n]) if len(scores[n]) > 1 else 0.0
            cells.append(f"{np.mean(scores[n]):.4f} ± {spread:.4f}")
        cells += [f"{np.mean(walls[n]):.2f}" for n in names]
        cells += [f"{np.mean(walls[n]) / np.mean(walls['tunelab']):.2f}" for n in names if n != "tunelab"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
