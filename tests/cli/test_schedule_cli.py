"""tunelab schedule show|plot: safe parsing, table and PNG output (the handler is called directly)."""

from __future__ import annotations

import argparse

import pytest

from tunelab.cli.schedule import add_parser, cmd_schedule, parse_schedule
from tunelab.schedules import (
    CosineAnnealingLR,
    ExponentialDecay,
    LinearLR,
    ScheduleError,
    SequentialLR,
)


def run(*argv):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["schedule", *argv])
    return args.handler(args)


def test_parses_calls_with_keywords_nested_families_and_lists():
    assert parse_schedule("ExponentialDecay(0.1, 1000, 0.96, staircase=True)") == ExponentialDecay(
        0.1, 1000, 0.96, staircase=True)
    text = "SequentialLR([LinearLR(0.1, 0.01, total_iters=10), CosineAnnealingLR(0.1, T_max=90, eta_min=-0.0)], [10])"
    assert parse_schedule(text) == SequentialLR([LinearLR(0.1, 0.01, total_iters=10), CosineAnnealingLR(0.1, 90)], [10])


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('echo hacked')", r"is not allowed"),
    ("ExponentialDecay(0.1, 10**3, 0.96)", r"'10\*\*3' is not allowed"),
    ("ExponentialDecay(0.1, x, 0.96)", r"'x' is not allowed"),
    ("(lambda: 1)()", r"is not allowed"),
    ("ExponentialDecay.__init__(0.1)", r"is not allowed"),
    ("Evil(0.1)", r"family='Evil' is invalid in expression="),
    ("ExponentialDecay(*[0.1, 10, 0.9])", r"must not unpack arguments"),
    ("ExponentialDecay(0.1, 10, 0.9", r"expression='ExponentialDecay\(0.1, 10, 0.9' is invalid"),
    ("[StepLR(0.1, 3)]", r"is invalid: must be a call of a schedule family"),
    ("StepLR(0.1, 3, gama=0.5)", r"unexpected keyword argument 'gama'"),
    ("StepLR(0.1, 0)", r"step_size=0 is invalid for StepLR"),
])
def test_refuses_anything_but_literal_family_calls(text, message):
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(text)


def test_show_prints_the_table(capsys):
    assert run("show", "StepLR(1.0, 2, gamma=0.5)", "--steps", "7", "--every", "3") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["StepLR(base_lr=1.0, step_size=2, gamma=0.5)", "step  learning_rate",
                   "   0  1.0", "   3  0.5", "   6  0.125"]


def test_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (extra 'plot')")
    path = tmp_path / "lr.png"
    namespace = argparse.Namespace(action="plot", expression="OneCycleLR(0.1, 100)", steps=101, every=1,
                                   output=str(path))
    assert cmd_schedule(namespace) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.strip() == f"wrote {path}"


def test_bad_step_options():
    with pytest.raises(ScheduleError, match=r"--steps=0 is invalid: must be an integer >= 1"):
        run("show", "StepLR(0.1, 3)", "--steps", "0")
    with pytest.raises(ScheduleError, match=r"--every=0 is invalid: must be an integer >= 1"):
        run("show", "StepLR(0.1, 3)", "--every", "0")
