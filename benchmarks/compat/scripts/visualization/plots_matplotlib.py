"""The matplotlib flavour of optuna.visualization: each function returns Axes saved to PNG.

After the optuna.visualization.matplotlib section of Optuna's docs.

APIs: visualization.matplotlib.plot_optimization_history, plot_param_importances, plot_slice, plot_contour,
plot_intermediate_values, visualization.matplotlib.is_available, Axes.figure.savefig
"""
# ruff: noqa: I001
import optuna
import optuna.visualization.matplotlib as vm
import matplotlib

matplotlib.use("Agg")


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    for step in range(3):
        trial.report((x - 1) ** 2 + y**2 + 1.0 / (step + 1), step)
    return (x - 1) ** 2 + y**2


if __name__ == "__main__":
    assert vm.is_available()
    study = optuna.create_study()
    study.optimize(objective, n_trials=12)
    plots = [vm.plot_optimization_history(study), vm.plot_param_importances(study), vm.plot_slice(study),
             vm.plot_contour(study, params=["x", "y"]), vm.plot_intermediate_values(study)]
    for i, ax in enumerate(plots):
        ax = ax.flat[0] if hasattr(ax, "flat") else ax
        ax.figure.savefig(f"plot{i}.png")
    print(f"{len(plots)} figures saved")
