"""The sampler benchmark's suite: the fixed tuning / held-out split, the optima its scores rest on,
and the scoring of batch runs beside their sequential counterparts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.samplers.more_problems import more_sklearn, more_synthetic
from benchmarks.samplers.problems import FIRST_SUITE, all_problems, half


def _by_name() -> dict:
    return {p.name: p for p in all_problems()}


def test_the_split_is_fixed_complete_and_keeps_the_first_suite_for_tuning() -> None:
    names = [p.name for p in all_problems()]
    assert len(names) == len(set(names)) >= 40
    halves = {name: half(name) for name in names}
    assert set(halves.values()) == {"tuning", "held-out"}
    assert all(halves[name] == "tuning" for name in FIRST_SUITE)
    held = [n for n, h in halves.items() if h == "held-out"]
    assert len(held) >= 19
    # within each added group, alphabetical ranks alternate, starting with held-out
    for group in (more_synthetic(), more_sklearn()):
        ordered = sorted(p.name for p in group)
        assert [halves[n] for n in ordered[:4]] == ["held-out", "tuning", "held-out", "tuning"]
    with pytest.raises(KeyError, match="no benchmark problem named 'nope'"):
        half("nope")


@pytest.mark.parametrize(("name", "point"), [
    ("levy5", {f"x{i}": 1.0 for i in range(5)}),
    ("rastrigin4", {f"x{i}": 0.0 for i in range(4)}),
    ("schwefel4", {f"x{i}": 420.9687 for i in range(4)}),
    ("styblinski4", {f"x{i}": -2.903534 for i in range(4)}),
    ("camel6hump", {"x": 0.0898, "y": -0.7126}),
    ("goldstein_price", {"x": 0.0, "y": -1.0}),
    ("hartmann3", {"x0": 0.114614, "x1": 0.555649, "x2": 0.852547}),
    ("int_styblinski4", {f"x{i}": -3 for i in range(4)}),
    ("int_steps6", {f"x{i}": c for i, c in enumerate((7, 22, 13, 3, 28, 17))}),
    ("cat_mixed", {"act": "relu", "opt": "adam", "norm": "batch", "init": "normal", "lr": 1e-3, "dropout": 0.1}),
    ("conditional_nested", {"wd": 1e-4, "opt": "adam", "adam_lr": 1e-3, "adam_beta2": 0.99, "amsgrad": "no"}),
])
def test_synthetic_optima_are_reached_at_their_known_minimisers(name: str, point: dict) -> None:
    problem = _by_name()[name]
    assert problem.evaluate(point) == pytest.approx(problem.optimum, abs=1e-3)


def test_no_sampled_point_beats_a_known_optimum() -> None:
    from benchmarks.samplers.spaces import C, F, I

    rng = np.random.default_rng(0)

    def draw(space: list) -> dict:
        out = {}
        for p in space:
            if isinstance(p, F):
                out[p.name] = float(math.exp(rng.uniform(math.log(p.low), math.log(p.high))) if p.log
                                    else rng.uniform(p.low, p.high))
            elif isinstance(p, I):
                out[p.name] = int(rng.integers(p.low, p.high + 1))
            else:
                assert isinstance(p, C)
                out[p.name] = p.choices[int(rng.integers(len(p.choices)))]
                out.update(draw(p.branches.get(out[p.name], [])))
        return out

    for problem in more_synthetic():
        values = [problem.evaluate(draw(problem.space)) for _ in range(300)]
        assert min(values) >= problem.optimum - 1e-6, problem.name


def test_the_categorical_table_optimum_is_attained() -> None:
    import itertools

    from benchmarks.samplers.more_problems import _CAT_SIZES, _cat_table, _cat_value

    best = min(_cat_value(list(idx)) for idx in itertools.product(*[range(k) for k in _CAT_SIZES]))
    assert best == pytest.approx(_cat_table()[2])


def test_scikit_learn_problems_return_finite_losses() -> None:
    pytest.importorskip("sklearn")
    problems = _by_name()
    config = {"max_depth": 3, "min_samples_split": 4, "min_samples_leaf": 2, "criterion": "gini"}
    error = problems["tree_cancer_acc"].evaluate(config)
    assert 0.0 <= error < 0.2  # an error rate: a depth-3 tree on breast cancer is right 9 times in 10 or more
    loss = problems["logreg_cancer_logloss"].evaluate({"C": 1.0, "class_weight": "none", "intercept": "yes"})
    assert 0.0 < loss < 0.3


def test_batch_runs_are_scored_beside_their_sequential_runs() -> None:
    from benchmarks.samplers.run import _scores

    def run(label: str, best: float) -> tuple:
        return (label, "camel6hump", 0, [5.0, best], 0.0)

    raw = [run("random", 1.0), run("tunelab default (Auto)", -1.0316285), run("optuna TPE (default)", 0.0),
           run("tunelab default (Auto), batch 4", 0.0)]
    res = _scores(raw, 2)
    assert res["summary"]["tunelab default (Auto)"]["mean"] == pytest.approx(100.0)
    assert "tunelab default (Auto), batch 4" not in [lab for lab, v in res["summary"].items() if v["rank"] is not None]
    mean, _, sequential, _ = res["batch"]["tunelab default (Auto), batch 4"]
    assert sequential == pytest.approx(100.0) and mean == pytest.approx(100.0 / 2.0316285)
    assert res["best_peer"] == "optuna TPE (default)" and res["diff_mean"] == pytest.approx(100.0 - mean)


def test_a_later_merged_file_replaces_an_earlier_files_run_of_the_same_sampler_problem_and_seed(tmp_path) -> None:
    import json

    from benchmarks.samplers.run import merge_runs

    def write(name: str, runs: list) -> str:
        path = tmp_path / name
        path.write_text(json.dumps({"runs": runs, "overhead": []}))
        return str(path)

    default = "tunelab default (Auto)"
    old = write("old.json", [["random", "camel6hump", 0, [5.0, 1.0], 0.0], [default, "camel6hump", 0, [5.0, 0.5], 0.0],
                             [default, "camel6hump", 1, [5.0, 0.7], 0.0]])
    new = write("new.json", [[default, "camel6hump", 0, [5.0, -1.0316285], 0.0]])
    runs, _ = merge_runs([old, new], ["camel6hump"], range(2))
    mine = sorted(r for r in runs if r[0] == default)
    assert [(r[2], r[3]) for r in mine] == [(0, [5.0, -1.0316285]), (1, [5.0, 0.7])]
    assert len(merge_runs([old, new], ["camel6hump"], range(1))[0]) == 2  # seed 1 left out


def test_a_run_without_random_search_is_written_unscored() -> None:
    from benchmarks.samplers.run import markdown, scores

    raw = [["tunelab default (Auto)", "levy5", seed, [3.0, 2.0, 1.0], 0.1] for seed in (0, 1)]
    result = scores(raw, [2, 3])
    assert result["held-out"][3]["problems"] == [] and result["held-out"][3]["summary"] == {}
    text = markdown(result, {}, "cmd", 1.0)
    assert "No random-search runs of these problems and seeds" in text and "| sampler |" not in text
