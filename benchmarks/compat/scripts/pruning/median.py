"""SGD classifier trained step by step on digits, reporting accuracy: MedianPruner, then the default pruner.

After optuna-examples basic/pruning.py and visualization/plot_study.py. Optuna's default pruner
is the median rule, so the same loop prunes without naming a pruner.

APIs: pruners.MedianPruner(n_startup_trials=, n_warmup_steps=, interval_steps=), Trial.report(value, step),
Trial.should_prune, raise optuna.TrialPruned(), from optuna.trial import TrialState,
Study.get_trials(deepcopy=False, states=[...]), TPESampler(seed=), FrozenTrial.intermediate_values,
FrozenTrial.last_step, create_study() without pruner= (default pruner)
"""
# ruff: noqa: I001
import optuna
from optuna.trial import TrialState
import numpy as np
import sklearn.datasets
import sklearn.linear_model
import sklearn.model_selection

X, y = sklearn.datasets.load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = sklearn.model_selection.train_test_split(X / 16.0, y, test_size=0.3,
                                                                              random_state=0)


def objective(trial):
    alpha = trial.suggest_float("alpha", 1e-6, 1.0, log=True)
    model = sklearn.linear_model.SGDClassifier(alpha=alpha, random_state=0)
    for step in range(12):
        model.partial_fit(X_train, y_train, classes=np.unique(y))
        accuracy = model.score(X_valid, y_valid)
        trial.report(accuracy, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


def summary(study):
    pruned = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
    print(f"{len(study.trials)} trials: {len(pruned)} pruned, {len(complete)} complete, best {study.best_value:.3f}")
    return pruned, complete


if __name__ == "__main__":
    pruner = optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2, interval_steps=1)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0), pruner=pruner)
    study.optimize(objective, n_trials=16)
    pruned, complete = summary(study)
    assert pruned, "MedianPruner pruned nothing"
    assert all(len(t.intermediate_values) < 12 for t in pruned)
    assert all(t.last_step >= 2 for t in pruned)  # n_warmup_steps=2: no decision before step 2

    default = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    default.optimize(objective, n_trials=16)
    pruned, _ = summary(default)
    assert pruned, "the default pruner pruned nothing (Optuna's default is the median rule)"
