"""tunelab schedule show|plot: safe parsing, table and PNG output (the handler is called directly)."""

from __future__ import annotations

import argparse
import re

import pytest

import tunelab
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


@pytest.mark.parametrize("option, value, allowed", [
    ("--steps", "0", r"1\.\.1000000000000"), ("--every", "0", r"1\.\.1000000000000"),
    ("--steps", "1e3", r"1\.\.1000000000000"), ("--every", str(10**30), r"1\.\.1000000000000"),
])
def test_bad_step_options_are_usage_errors(capsys, option, value, allowed):
    with pytest.raises(SystemExit) as exit_:
        run("show", "StepLR(0.1, 3)", option, value)
    assert exit_.value.code == 2
    assert re.search(rf"argument {option}: '{value}' is invalid: must be an integer in {allowed}",
                     capsys.readouterr().err)


def test_bad_step_options_given_directly_to_the_handler():
    for steps, every, message in ((0, 1, r"--steps=0 is invalid: must be an integer >= 1"),
                                  (3, 0, r"--every=0 is invalid: must be an integer >= 1")):
        namespace = argparse.Namespace(action="show", expression="StepLR(0.1, 3)", steps=steps, every=every,
                                       output="unused.png")
        with pytest.raises(ScheduleError, match=message):
            cmd_schedule(namespace)


def test_too_many_steps_to_evaluate_is_refused_before_any_work(tmp_path):
    with pytest.raises(ScheduleError, match=r"--steps=1000000000000 --every=1 is invalid: 1000000000000 steps to "
                       r"evaluate; must be at most 1000000 \(raise --every to 1000000\)"):
        run("plot", "StepLR(0.1, 3)", "--steps", str(10**12), "--output", str(tmp_path / "x.png"))
    assert list(tmp_path.iterdir()) == []


def test_plot_refuses_an_output_it_cannot_write_before_drawing(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(tunelab.InvalidArgumentError, match=r"--output='.*taken' is invalid: it names a directory"):
        run("plot", "StepLR(0.1, 3)", "--output", str(tmp_path / "taken"))
    (tmp_path / "file").write_text("")
    with pytest.raises(tunelab.InvalidArgumentError, match=r"--output='.*file/x.png' is invalid: '.*file' is a file, "
                       r"not a directory"):
        run("plot", "StepLR(0.1, 3)", "--output", str(tmp_path / "file" / "x.png"))
