"""Random and Sobol (QMC) samplers reproduce with a seed; a grid study stops once every point is tried.

After the samplers list of Optuna's docs and its FAQ on reproducible results.

APIs: samplers.RandomSampler(seed=), samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=),
samplers.GridSampler(search_space, seed=), Study.optimize(n_trials=) ending early on an exhausted grid,
FrozenTrial.params
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    n = trial.suggest_int("n", 0, 4)
    return x**2 + n


def params_of(sampler, n_trials):
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return [t.params for t in study.trials]


if __name__ == "__main__":
    assert params_of(optuna.samplers.RandomSampler(seed=11), 6) == params_of(optuna.samplers.RandomSampler(seed=11), 6)
    qmc = params_of(optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=11), 8)
    assert qmc == params_of(optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=11), 8)
    assert len({p["x"] for p in qmc}) == 8
    grid = {"x": [-0.5, 0.0, 0.5], "n": [0, 2]}
    study = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
    study.optimize(objective, n_trials=50)
    seen = sorted((t.params["x"], t.params["n"]) for t in study.trials)
    print(f"grid study ran {len(study.trials)} trials: {seen}")
    assert seen == sorted((x, n) for x in grid["x"] for n in grid["n"]), "the grid study did not stop when exhausted"
