"""An objective that is a callable class holding its data set (wine), so each trial does not reload it.

After optuna-examples sklearn/sklearn_additional_args.py.

APIs: Study.optimize(callable object), create_study(direction="maximize"), Trial.suggest_categorical,
Trial.suggest_int, Trial.suggest_float(log=True), Study.best_trial, FrozenTrial.user_attrs,
Trial.set_user_attr
"""
# ruff: noqa: I001
import optuna
import sklearn.datasets
import sklearn.ensemble
import sklearn.linear_model
import sklearn.model_selection
import sklearn.pipeline
import sklearn.preprocessing


class Objective:
    def __init__(self, X, y):
        self.X, self.y = X, y
        self.calls = 0

    def __call__(self, trial):
        self.calls += 1
        name = trial.suggest_categorical("model", ["logistic", "forest"])
        if name == "logistic":
            c = trial.suggest_float("C", 1e-3, 1e3, log=True)
            model = sklearn.pipeline.make_pipeline(sklearn.preprocessing.StandardScaler(),
                                                   sklearn.linear_model.LogisticRegression(C=c, max_iter=500))
        else:
            model = sklearn.ensemble.RandomForestClassifier(n_estimators=trial.suggest_int("n_estimators", 5, 30),
                                                            random_state=0)
        scores = sklearn.model_selection.cross_val_score(model, self.X, self.y, cv=3)
        trial.set_user_attr("fold_scores", [float(s) for s in scores])
        return scores.mean()


if __name__ == "__main__":
    objective = Objective(*sklearn.datasets.load_wine(return_X_y=True))
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=8)
    print(study.best_trial.params, study.best_value)
    assert objective.calls == 8, "the objective ran in another process: the caller's object saw no calls"
    assert len(study.best_trial.user_attrs["fold_scores"]) == 3
    assert study.best_value > 0.8
