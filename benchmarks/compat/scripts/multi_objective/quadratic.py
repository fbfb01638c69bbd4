"""Two objectives in opposite directions with named metrics: the Pareto front from best_trials.

After optuna-examples multi_objective/quadratic_simple.py and Optuna's multi-objective tutorial
(set_metric_names).

APIs: create_study(directions=["minimize", "maximize"]), Study.set_metric_names, Study.metric_names,
Study.best_trials, FrozenTrial.values, Study.directions, study.StudyDirection, Study.optimize(timeout=),
trials_dataframe() value columns named by metric
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_categorical("y", [-1, 0, 1])
    return x**2 + y, -((x - 2) ** 2 + y)


if __name__ == "__main__":
    study = optuna.create_study(directions=["minimize", "maximize"])
    study.set_metric_names(["cost", "gain"])
    study.optimize(objective, n_trials=40, timeout=30)
    assert study.directions == [optuna.study.StudyDirection.MINIMIZE, optuna.study.StudyDirection.MAXIMIZE]
    assert study.metric_names == ["cost", "gain"]
    front = study.best_trials
    for i, t in enumerate(front):
        cost, gain = t.values
        print(f"Pareto solution {i}: trial #{t.number} {t.params} cost={cost:.3f} gain={gain:.3f}")
    assert front and all(len(t.values) == 2 for t in front)
    columns = set(study.trials_dataframe().columns)
    assert {"values_cost", "values_gain"} <= columns, sorted(columns)
