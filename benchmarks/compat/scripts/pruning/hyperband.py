"""Hyperband (max_resource="auto") over SGD epochs on breast-cancer data.

After the Hyperband section of Optuna's tutorial and basic/pruning.py.

APIs: pruners.HyperbandPruner(min_resource=, max_resource="auto", reduction_factor=), TPESampler(seed=),
Trial.report(value, step), Trial.should_prune, optuna.TrialPruned, Study.get_trials(states=),
trial.TrialState, Study.best_params
"""
# ruff: noqa: I001
import optuna
import numpy as np
import sklearn.datasets
import sklearn.linear_model
import sklearn.model_selection
import sklearn.preprocessing

X, y = sklearn.datasets.load_breast_cancer(return_X_y=True)
X = sklearn.preprocessing.StandardScaler().fit_transform(X)
X_train, X_valid, y_train, y_valid = sklearn.model_selection.train_test_split(X, y, random_state=0)


def objective(trial):
    alpha = trial.suggest_float("alpha", 1e-6, 10.0, log=True)
    loss = trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"])
    model = sklearn.linear_model.SGDClassifier(alpha=alpha, loss=loss, random_state=0)
    for epoch in range(9):
        model.partial_fit(X_train, y_train, classes=np.unique(y))
        error = 1.0 - model.score(X_valid, y_valid)
        trial.report(error, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return error


if __name__ == "__main__":
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=3)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=2), pruner=pruner)
    study.optimize(objective, n_trials=24)
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    print(f"{len(study.trials)} trials, {len(pruned)} pruned; best {study.best_value:.3f} {study.best_params}")
    assert pruned, "Hyperband pruned nothing"
    assert study.best_value < 0.2
