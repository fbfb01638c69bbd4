"""Optuna's logging controls: one INFO line per finished trial by default, silenced by set_verbosity(WARNING).

After Optuna's FAQ "How to suppress log messages of Optuna?" (the records are caught through
propagation to the root logger).

APIs: logging.set_verbosity, logging.get_verbosity, logging.INFO, logging.WARNING, logging.disable_default_handler,
logging.enable_default_handler, logging.enable_propagation, logging.disable_propagation
"""
# ruff: noqa: I001
import optuna
import logging


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def objective(trial):
    return trial.suggest_float("x", 0, 1)


if __name__ == "__main__":
    collect = Collect()
    logging.getLogger().addHandler(collect)
    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()
    optuna.logging.set_verbosity(optuna.logging.INFO)
    assert optuna.logging.get_verbosity() == optuna.logging.INFO
    optuna.create_study().optimize(objective, n_trials=4)
    finished = [r for r in collect.records if r.levelno == logging.INFO and "finished" in r.getMessage()]
    assert len(finished) == 4, [r.getMessage() for r in collect.records]

    collect.records.clear()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    assert optuna.logging.get_verbosity() == optuna.logging.WARNING
    optuna.create_study().optimize(objective, n_trials=4)
    assert not [r for r in collect.records if r.levelno < logging.WARNING]
    optuna.logging.disable_propagation()
    optuna.logging.enable_default_handler()
    print("logging controls behave as in Optuna")
