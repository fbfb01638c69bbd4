"""Tune a scikit-learn pipeline with TunelabSearchCV on the bundled breast-cancer data (no download).

    python examples/sklearn_search.py [--trials 30] [--storage sqlite:///sklearn_search.db]

The search is a scikit-learn estimator: each candidate is a tunelab trial (TPE-sampled from the
distributions below), cross-validated over 5 stratified folds; the best pipeline is refitted on the
training part and scored on a held-out test part. With ``--storage`` the trials are kept, so
``tunelab trials --study sklearn-search --storage ...`` lists them and a second run continues.
A second search trains an SGD classifier by ``partial_fit`` rounds and lets a median pruner stop
poor candidates early.
"""

import argparse

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tunelab
from tunelab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.integrations.sklearn import TunelabSearchCV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--storage", default=None, help="a storage URL to keep the trials (default: in memory)")
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)

    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    space = {
        "logisticregression__C": FloatDistribution(1e-3, 1e2, log=True),
        "logisticregression__class_weight": CategoricalDistribution([None, "balanced"]),
        "logisticregression__max_iter": IntDistribution(50, 500, log=True),
    }
    study = tunelab.create_study(direction="maximize", storage=args.storage, study_name="sklearn-search",
                                 sampler=tunelab.samplers.TPESampler(seed=0), load_if_exists=True)
    search = TunelabSearchCV(pipe, space, n_trials=args.trials, scoring="roc_auc", study=study, verbose=1)
    search.fit(X_train, y_train)
    print(f"best CV ROC AUC {search.best_score_:.4f} with {search.best_params_}")
    print(f"held-out ROC AUC {search.score(X_test, y_test):.4f}; {len(search.trials_)} trials in the study")

    # Pruning: partial_fit rounds, the mean fold score reported after each, a median pruner deciding.
    # (A Pipeline has no partial_fit, so the data is scaled once beforehand.)
    sgd_space = {"alpha": FloatDistribution(1e-6, 1e0, log=True), "eta0": FloatDistribution(1e-5, 1e0, log=True)}
    pruned_study = tunelab.create_study(direction="maximize", sampler=tunelab.samplers.TPESampler(seed=0),
                                        pruner=tunelab.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2))
    pruning = TunelabSearchCV(SGDClassifier(learning_rate="constant", random_state=0), sgd_space,
                              n_trials=args.trials, study=pruned_study, enable_pruning=True, max_iter=20)
    pruning.fit(StandardScaler().fit_transform(X_train), y_train)
    states = [t.state.name for t in pruning.trials_]
    print(f"pruning search: best CV accuracy {pruning.best_score_:.4f}; "
          f"{states.count('PRUNED')} of {len(states)} trials pruned")


if __name__ == "__main__":
    main()
