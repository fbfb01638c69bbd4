"""optuna.exceptions, optuna.distributions and optuna.search_space used directly, as plug-in code does.

After Optuna's API reference pages for these modules and samplers/simulated_annealing_sampler.py.

APIs: exceptions.TrialPruned (is optuna.TrialPruned), exceptions.DuplicatedStudyError, distributions.FloatDistribution,
IntDistribution(step=), CategoricalDistribution, distribution_to_json / json_to_distribution, FrozenTrial.distributions,
search_space.intersection_search_space(trials), search_space.IntersectionSearchSpace().calculate(study)
"""
# ruff: noqa: I001
import optuna
from optuna import distributions


def objective(trial):
    kind = trial.suggest_categorical("kind", ["a", "b"])
    x = trial.suggest_float("x", 0.0, 1.0)
    if kind == "a":
        trial.suggest_int("n", 2, 10, step=2)
    if x > 0.8:
        raise optuna.exceptions.TrialPruned()
    return x


if __name__ == "__main__":
    assert optuna.TrialPruned is optuna.exceptions.TrialPruned
    study = optuna.create_study(study_name="plugins", storage="sqlite:///plugins.db")
    try:
        optuna.create_study(study_name="plugins", storage="sqlite:///plugins.db")
    except optuna.exceptions.DuplicatedStudyError:
        pass
    else:
        raise AssertionError("a second study of the same name was created")
    study.optimize(objective, n_trials=12)
    assert any(t.state == optuna.trial.TrialState.PRUNED for t in study.trials) or max(
        t.params["x"] for t in study.trials) <= 0.8

    expected = {"kind": distributions.CategoricalDistribution(["a", "b"]),
                "x": distributions.FloatDistribution(0.0, 1.0)}
    common = optuna.search_space.intersection_search_space(study.trials)
    assert {k: common[k] for k in ("kind", "x")} == expected, common
    assert optuna.search_space.IntersectionSearchSpace().calculate(study).keys() == common.keys()
    with_n = [t for t in study.trials if "n" in t.params]
    if with_n:
        assert with_n[0].distributions["n"] == distributions.IntDistribution(2, 10, step=2)
    for dist in (*expected.values(), distributions.IntDistribution(1, 100, log=True)):
        assert distributions.json_to_distribution(distributions.distribution_to_json(dist)) == dist
    print("common search space:", sorted(common))
