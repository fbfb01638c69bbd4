"""Choose a classifier and its hyperparameters by 3-fold cross-validation on iris (a conditional space).

After optuna-examples sklearn/sklearn_simple.py.

APIs: create_study(direction="maximize"), Study.optimize, Trial.suggest_categorical,
Trial.suggest_float(log=True), Trial.suggest_int(log=True), Study.best_trial (printed),
FrozenTrial.params, FrozenTrial.value
"""
# ruff: noqa: I001
import optuna
import sklearn.datasets
import sklearn.ensemble
import sklearn.model_selection
import sklearn.svm


def objective(trial):
    X, y = sklearn.datasets.load_iris(return_X_y=True)
    kind = trial.suggest_categorical("classifier", ["SVC", "RandomForest"])
    if kind == "SVC":
        c = trial.suggest_float("svc_c", 1e-6, 1e6, log=True)
        model = sklearn.svm.SVC(C=c, gamma="auto")
    else:
        depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
        model = sklearn.ensemble.RandomForestClassifier(max_depth=depth, n_estimators=10)
    return sklearn.model_selection.cross_val_score(model, X, y, n_jobs=-1, cv=3).mean()


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=8)
    print(study.best_trial)
    best = study.best_trial
    assert 0.3 < best.value <= 1.0
    assert best.params["classifier"] in ("SVC", "RandomForest")
    assert ("svc_c" in best.params) == (best.params["classifier"] == "SVC")
