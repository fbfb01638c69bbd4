"""The end-of-run summary reads at a glance: rounded numbers, short schedules; its code stays exact."""

import logging
import textwrap

import pytest

import tunelab
from tunelab import schedules
from tunelab.cli.run import summary
from tunelab.reporting import plain_params


@pytest.fixture(scope="module")
def study():
    logging.disable(logging.INFO)
    try:
        study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
        space = schedules.space(["wsd", "one_cycle", "cosine"], initial=(1e-4, 3e-1), total_steps=345)

        def objective(trial):
            trial.suggest_categorical("optimizer", ["sgd", "adam"])
            momentum = trial.suggest_float("momentum", 0.5, 0.99)
            trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
            trial.suggest_schedule("lr", space)
            return momentum / 3

        study.optimize(objective, n_trials=8)
    finally:
        logging.disable(logging.NOTSET)
    return study


def _sections(text):
    table = text.split("best trials:\n", 1)[1].split("\n\n", 1)[0]
    listed = text.split("their schedules:\n", 1)[1].split("\n\n", 1)[0]
    code = text.split("best configuration, PyTorch:\n", 1)[1].split("\n\nbest configuration, Keras:", 1)[0]
    return table, listed, textwrap.dedent(code)


def test_the_table_rounds_numbers_and_shortens_schedules(study):
    table, listed, _ = _sections(summary(study))
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 110, table  # a 300-character row before
    best = study.best_trial
    row = next(line for line in lines if line.startswith(f"{best.number} "))
    momentum = best.params["momentum"]
    assert f"{momentum:.5g}" in row and repr(momentum) not in row
    assert f"{best.value:.5g}" in row and repr(best.value) not in table
    assert "…)" in row and repr(best.schedule("lr")) not in table
    assert listed.startswith(f"  trial {best.number} lr: {type(best.schedule('lr')).__name__}(")
    assert max(len(line) for line in listed.splitlines()) <= 100
    assert "=None" not in listed


def test_the_code_keeps_every_digit_and_rebuilds_the_best_trial(study):
    torch = pytest.importorskip("torch")
    _, _, code = _sections(summary(study))
    best = study.best_trial
    assert repr(best.params["momentum"]) in code
    namespace = {"model": torch.nn.Linear(2, 1)}
    exec(code, namespace)
    assert namespace["params"] == plain_params(best)
    assert namespace["lr"] == best.schedule("lr")
