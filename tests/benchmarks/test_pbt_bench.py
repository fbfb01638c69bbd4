"""The PBT benchmark runs end to end on chosen seeds and states its goal checks."""

from __future__ import annotations

import re
import sys

import pytest

pytest.importorskip("torch")

from benchmarks.pbt import run  # noqa: E402
from tunelab.pbt import _pbt  # noqa: E402


def test_the_benchmark_reports_the_seeds_asked_and_its_goal_checks(tmp_path, monkeypatch):
    queue = _pbt._Tickets._queue
    out = tmp_path / "RESULTS.md"
    monkeypatch.setattr(sys, "argv", ["run.py", "--seeds", "2", "--first-seed", "7", "--replays", "1",
                                      "--problems", "mlp", "--out", str(out)])
    run.main()
    assert _pbt._Tickets._queue is queue  # the planning timer wraps it only while a population trains
    text = out.read_text()
    rows = re.findall(r"^\| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, flags=re.M)
    assert [r[0] for r in rows] == ["7", "8"]
    pbt = [float(r[1]) for r in rows]
    match = re.search(r"paired difference PBT - (.+?) ([+-][\d.]+) ± ([\d.]+) \(SE\)", text)
    assert match is not None
    column = ["static, Median (default)", "static, Hyperband", "static schedule, Hyperband"].index(match.group(1))
    static = [float(r[2 + column]) for r in rows]
    # each printed value is rounded to 4 decimals: the mean of two rounded differences, itself
    # rounded, can be off by 1.5e-4
    assert float(match.group(2)) == pytest.approx(sum(p - s for p, s in zip(pbt, static)) / 2, abs=2e-4)
    assert re.search(r"The replays' mean is (within|outside) the winners' mean ± one standard deviation", text)
    replayed = re.search(r"the configuration each static search chose, trained again .*?: (.+)\.$", text, flags=re.M)
    assert replayed is not None and [part.split(" 0.")[0] for part in replayed.group(1).split("; ")] == [
        "static, Median (default)", "static, Hyperband", "static schedule, Hyperband"]
    assert "Winner's learning rate per 2-epoch interval, seed 7:" in text


def test_the_floor_trains_each_configuration_as_a_replay_does():
    from benchmarks.pbt import attainable, problems

    total = problems.EPOCHS * problems.STEPS_PER_EPOCH
    for shape, last in (("constant", 0.3), ("cosine", 0.0), ("linear", 0.0)):
        rate = attainable.rate_of(shape, 0.3)
        assert float(rate(0)) == pytest.approx(0.3)
        assert float(rate(total)) == pytest.approx(last, abs=1e-12)
    one = attainable.final_loss(("mlp", "linear", 0.25, 1e-3, 1000))
    assert one == attainable.final_loss(("mlp", "linear", 0.25, 1e-3, 1000))  # a seed fixes the run
    assert one != attainable.final_loss(("mlp", "linear", 0.25, 1e-3, 1001))
    assert 0.0 < one < 0.5  # a good configuration learns digits
