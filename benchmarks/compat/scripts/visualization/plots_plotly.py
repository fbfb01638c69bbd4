"""Every plotly figure of optuna.visualization from a study with pruned trials, saved as HTML, then a Pareto front.

After optuna-examples visualization/plot_study.py and plot_pareto_front.py (the figures written to
files instead of shown).

APIs: visualization.plot_optimization_history, plot_intermediate_values, plot_parallel_coordinate(params=),
plot_contour(params=), plot_slice(params=), plot_param_importances, plot_edf, plot_rank, plot_timeline,
plot_pareto_front(target_names=), visualization.is_available, figure.write_html, pruners.MedianPruner
"""
# ruff: noqa: I001
import optuna
import os


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", 0, 10)
    z = trial.suggest_categorical("z", ["a", "b"])
    value = 0.0
    for step in range(5):
        value = (x - 1) ** 2 + (y - 3) ** 2 / 10 + (z == "b") + 1.0 / (step + 1)
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


def two_objectives(trial):
    x = trial.suggest_float("x", 0, 5)
    y = trial.suggest_float("y", 0, 3)
    return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2


if __name__ == "__main__":
    assert optuna.visualization.is_available()
    study = optuna.create_study(pruner=optuna.pruners.MedianPruner(n_startup_trials=3))
    study.optimize(objective, n_trials=15)
    v = optuna.visualization
    figures = {
        "history": v.plot_optimization_history(study),
        "intermediate": v.plot_intermediate_values(study),
        "parallel": v.plot_parallel_coordinate(study, params=["x", "y"]),
        "contour": v.plot_contour(study, params=["x", "y"]),
        "slice": v.plot_slice(study, params=["x", "z"]),
        "importances": v.plot_param_importances(study),
        "edf": v.plot_edf(study),
        "rank": v.plot_rank(study),
        "timeline": v.plot_timeline(study),
    }
    mo = optuna.create_study(directions=["minimize", "minimize"])
    mo.optimize(two_objectives, n_trials=20)
    figures["pareto"] = v.plot_pareto_front(mo, target_names=["f0", "f1"])
    for name, figure in figures.items():
        figure.write_html(f"{name}.html", include_plotlyjs="cdn")
        assert os.path.getsize(f"{name}.html") > 1000, name
    print(f"{len(figures)} figures written")
