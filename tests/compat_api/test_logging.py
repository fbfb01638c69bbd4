"""tunelab.logging: Optuna's verbosity controls and one line per finished trial, in Optuna's words."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest

import tunelab
import tunelab.logging as tlog
from tunelab.pruners import NopPruner
from tunelab.samplers import RandomSampler


@pytest.fixture(autouse=True)
def restore_logging():
    logger = logging.getLogger("tunelab")
    level, propagate = logger.level, logger.propagate
    yield
    logger.setLevel(level)
    logger.propagate = propagate
    tlog.enable_default_handler()


def _objective(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 1:
        trial.report(2.0, 0)
        raise tunelab.TrialPruned()
    if trial.number == 2:
        raise ValueError("boom")
    return x


def test_one_line_per_finished_trial_in_optunas_words(caplog):
    study = tunelab.create_study(sampler=RandomSampler(seed=0), pruner=NopPruner())
    with caplog.at_level(logging.INFO, logger="tunelab"):
        study.optimize(_objective, n_trials=4, catch=(ValueError,))
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.getMessage().startswith("Trial ")]
    x0, x3 = study.trials[0].params["x"], study.trials[3].params["x"]
    best = min((0, x0), (3, x3), key=lambda p: p[1])
    assert lines == [
        ("INFO", f"Trial 0 finished with value: {x0} and parameters: {{'x': {x0}}}. Best is trial 0 with value: {x0}."),
        ("INFO", "Trial 1 pruned."),
        ("WARNING", f"Trial 2 failed with parameters: {study.trials[2].params} because of the following error: "
                    "the objective raised ValueError: boom."),
        ("INFO", f"Trial 3 finished with value: {x3} and parameters: {{'x': {x3}}}. "
                 f"Best is trial {best[0]} with value: {best[1]}."),
    ]


def test_metric_names_and_several_objectives_are_shown_as_optuna_does(caplog):
    study = tunelab.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(seed=0))
    study.set_metric_names(["cost", "gain"])
    with caplog.at_level(logging.INFO, logger="tunelab"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=1)
    x = study.trials[0].params["x"]
    assert f"Trial 0 finished with values: {{'cost': {x}, 'gain': 2.0}} and parameters: {{'x': {x}}}." in [
        r.getMessage() for r in caplog.records]


def test_warning_verbosity_silences_the_trial_lines(caplog):
    tlog.set_verbosity(tlog.WARNING)
    assert tlog.get_verbosity() == tlog.WARNING == logging.WARNING
    with caplog.at_level(logging.DEBUG):  # the root level does not matter: the tunelab logger's does
        tunelab.create_study(pruner=NopPruner()).optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert not [r for r in caplog.records if r.name.startswith("tunelab") and r.levelno < logging.WARNING]
    with pytest.raises(tunelab.InvalidArgumentError, match=r"^verbosity=-1 is invalid for set_verbosity"):
        tlog.set_verbosity(-1)


def test_the_default_study_names_its_defaults_once_at_its_first_ask(caplog, tmp_path):
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with caplog.at_level(logging.INFO, logger="tunelab"):
        study = tunelab.create_study(study_name="defaults", storage=url)
        tunelab.load_study(study_name="defaults", storage=url)  # loaded to read it (tunelab best, tell): silent
        assert not [r for r in caplog.records if "given" in r.getMessage()]
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        tunelab.create_study(sampler=RandomSampler(), pruner=NopPruner()).ask()
        replaced = tunelab.create_study(study_name="replaced")
        replaced.sampler = RandomSampler()  # Optuna's scripts assign study.sampler
        replaced.ask()
    said = [r.getMessage() for r in caplog.records if "given" in r.getMessage()]
    assert said == ["Study 'defaults': no sampler given: AutoSampler (it picks GP, TPE or NSGA-II per trial and logs "
                    "each choice); no pruner given: MedianPruner() (Optuna's default; pass pruner=NopPruner() to "
                    "never prune)",
                    "Study 'replaced': no pruner given: MedianPruner() (Optuna's default; pass pruner=NopPruner() to "
                    "never prune)"]


def test_get_logger_reads_optunas_logger_name_as_tunelabs():
    assert tlog.get_logger("optuna") is logging.getLogger("tunelab")
    assert tlog.get_logger("optuna.study") is logging.getLogger("tunelab.study")
    assert tlog.get_logger("mine") is logging.getLogger("mine")


SCRIPT = """
import logging, sys
import tunelab
{setup}
study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
"""


def _stderr(setup: str) -> str:
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(setup=setup)], capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stderr


def test_a_plain_script_prints_each_line_once_on_stderr():
    lines = [line for line in _stderr("").splitlines() if "finished with value" in line]
    assert len(lines) == 2
    assert re.match(r"^\[I \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] Trial 0 finished with value: ", lines[0])


def test_an_application_that_configured_logging_sees_each_line_once_in_its_format():
    err = _stderr("logging.basicConfig(format='APP %(name)s %(message)s', level=logging.WARNING)")
    lines = [line for line in err.splitlines() if "finished with value" in line]
    assert len(lines) == 2 and all(line.startswith("APP tunelab Trial ") for line in lines), err


def test_without_propagation_the_default_handler_prints_as_optunas_does():
    err = _stderr("logging.basicConfig(format='APP %(message)s'); import tunelab.logging as l; l.disable_propagation()")
    lines = [line for line in err.splitlines() if "finished with value" in line]
    assert len(lines) == 2 and all(line.startswith("[I ") for line in lines), err


def test_the_default_handler_can_be_removed_and_the_level_set_before_use():
    assert "finished" not in _stderr("import tunelab.logging as l; l.disable_default_handler()")
    assert "finished" not in _stderr("logging.getLogger('tunelab').setLevel(logging.WARNING)")
