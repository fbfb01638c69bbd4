"""OptunaSearchCV: a scikit-learn search estimator over Optuna distributions, on iris.

After optuna-examples sklearn/sklearn_optuna_search_cv_simple.py.

APIs: integration.OptunaSearchCV(estimator, param_distributions, n_trials=, timeout=, cv=, random_state=,
verbose=), distributions.FloatDistribution(log=True), distributions.IntDistribution, .fit, .best_params_,
.best_score_, .study_.best_trial, .predict
"""
# ruff: noqa: I001
import optuna
from sklearn.datasets import load_iris
from sklearn.svm import SVC

if __name__ == "__main__":
    space = {
        "C": optuna.distributions.FloatDistribution(1e-6, 1e6, log=True),
        "degree": optuna.distributions.IntDistribution(1, 5),
    }
    search = optuna.integration.OptunaSearchCV(SVC(gamma="auto"), space, n_trials=10, timeout=60, cv=3,
                                               random_state=0, verbose=0)
    X, y = load_iris(return_X_y=True)
    search.fit(X, y)
    print(f"best {search.best_score_:.3f} {search.best_params_}")
    assert set(search.best_params_) == {"C", "degree"}
    assert search.study_.best_trial.params == search.best_params_
    assert (search.predict(X) == y).mean() > 0.5
