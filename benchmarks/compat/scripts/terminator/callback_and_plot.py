"""The Terminator stops a random-forest search on wine once little improvement is left; then its plot.

After optuna-examples terminator/terminator_simple.py and terminator_improvement_plot.py.

APIs: terminator.TerminatorCallback(), terminator.report_cross_validation_scores(trial, scores),
Study.optimize(callbacks=[...]), visualization.plot_terminator_improvement(study, plot_error=True),
Trial.suggest_float(0, 1) for min_samples_split
"""
# ruff: noqa: I001
import optuna
from optuna.terminator import TerminatorCallback, report_cross_validation_scores
from optuna.visualization import plot_terminator_improvement
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import KFold, cross_val_score

X, y = load_wine(return_X_y=True)


def objective(trial):
    model = RandomForestClassifier(
        max_depth=trial.suggest_int("max_depth", 2, 32),
        min_samples_split=trial.suggest_float("min_samples_split", 0, 1),
        criterion=trial.suggest_categorical("criterion", ("gini", "entropy")),
        n_estimators=10, random_state=0)
    scores = cross_val_score(model, X, y, cv=KFold(n_splits=5, shuffle=True, random_state=0))
    report_cross_validation_scores(trial, scores)
    return scores.mean()


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=14, callbacks=[TerminatorCallback()])
    print(f"{len(study.trials)} trials; best {study.best_value:.3f} {study.best_params}")
    figure = plot_terminator_improvement(study, plot_error=True)
    figure.write_html("terminator.html", include_plotlyjs="cdn")
