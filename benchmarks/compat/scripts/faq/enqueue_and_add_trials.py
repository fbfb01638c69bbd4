"""Seed a study: enqueue known-good parameters, add finished trials made elsewhere, test with FixedTrial.

After optuna-examples faq/enqueue_trial.py and Optuna's FAQ on add_trial / create_trial / FixedTrial.

APIs: Study.enqueue_trial(params), Study.enqueue_trial(partial params), Study.enqueue_trial(skip_if_exists=True),
trial.create_trial(params=, distributions=, value=), distributions.FloatDistribution,
distributions.CategoricalDistribution, Study.add_trial, Study.add_trials, trial.FixedTrial,
FrozenTrial.params, Study.best_trial
"""
# ruff: noqa: I001
import optuna


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return x**2 + (kind == "b")


if __name__ == "__main__":
    study = optuna.create_study()
    study.enqueue_trial({"x": 1.0, "kind": "a"})
    study.enqueue_trial({"x": 1.0, "kind": "a"}, skip_if_exists=True)  # already queued: dropped
    study.enqueue_trial({"x": -2.0})  # "kind" left to the sampler
    study.optimize(objective, n_trials=4)
    assert study.trials[0].params == {"x": 1.0, "kind": "a"}
    assert study.trials[1].params["x"] == -2.0, study.trials[1].params

    distributions = {"x": optuna.distributions.FloatDistribution(-10, 10),
                     "kind": optuna.distributions.CategoricalDistribution(["a", "b"])}
    made = optuna.trial.create_trial(params={"x": 0.0, "kind": "a"}, distributions=distributions, value=0.0)
    study.add_trial(made)
    other = optuna.create_study()
    other.add_trials(study.trials)
    assert len(other.trials) == len(study.trials) == 5
    assert other.best_value == 0.0 and other.best_params == {"x": 0.0, "kind": "a"}

    assert objective(optuna.trial.FixedTrial({"x": 3.0, "kind": "b"})) == 10.0
    print("enqueued, added and fixed trials behave as in Optuna")
