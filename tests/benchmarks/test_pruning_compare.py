"""The pruning benchmark's study replay: epochs counted as a real run spends them, and the fixed split."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.pruning import compare, suite
from benchmarks.pruning.studies import trial_order


def _pool(n: int = 81) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        base = rng.uniform(0.05, 2.0)
        full = {e: base + 1.0 / e for e in range(1, 28)}
        row = {"full": full, "probe": {e: full[e] - 0.1 for e in (1, 3, 9)},
               "rescaled": {e: full[e] - 0.2 for e in (1, 3, 9)}, "probe_epochs": {1: 0.25, 3: 0.75, 9: 2.25}}
        if i % 3 == 0:
            row["branch"] = {e: full[e] - 0.3 for e in (1, 3, 9)}
            row["branch_epochs"] = {1: 0.5, 3: 1.5, 9: 4.5}
        rows.append(row)
    return rows


def _method(name: str) -> compare.Method:
    return next(m for m in compare.METHODS if m.name == name)


def test_no_pruning_trains_every_configuration_fully():
    rows = _pool()
    log = compare.study(_method("no pruning"), rows, trial_order(0, 0, 81), "t-none")
    assert compare.scores(log, rows) == (81 * 27, 0.0, 1.0)


def test_a_completed_wsd_branch_trial_counts_its_shared_run_once():
    rows = _pool()
    pruner = _method("tunelab RescaledSH (compress_below=1) + WSD branch").pruner()

    class Trial:  # a trial that is never stopped: budgets 1, 3, 9, 27 of configuration 0
        number = 0

        def report(self, value, step):
            pass

    pruner.budgets = lambda trial: iter([1, 3, 9, 27])
    log: list = []
    compare.wsd_branch(pruner, rows, np.array([0]), log)(Trial())
    # the full run to 27 once, plus the three branches
    assert log == [(27 + 0.5 + 1.5 + 4.5, 0, rows[0]["full"][27])]
    log.clear()
    compare.rescaled(pruner, rows, np.array([0]), log)(Trial())
    assert log == [(1 + 3 + 9 + 27, 0, rows[0]["full"][27])]


@pytest.mark.parametrize("half", ["tuning", "held-out"])
def test_each_half_has_both_models_an_adam_and_a_noisy_problem(half):
    names = suite.problems(half)
    assert any("cnn" in p for p in names) and any("mlp" in p for p in names)
    assert any("adam" in p for p in names) and any("noisy" in p for p in names)
    assert sum(p.startswith("wide-") for p in names) == 3
    assert set(names).isdisjoint(suite.problems("held-out" if half == "tuning" else "tuning"))
