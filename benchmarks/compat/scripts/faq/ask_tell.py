"""The ask-and-tell interface: define-by-run and define-and-run, told by trial or by number, pruned and failed.

After Optuna's tutorial "Ask-and-Tell Interface".

APIs: Study.ask(), Study.ask(fixed_distributions), Study.tell(trial, value), Study.tell(trial.number, value),
Study.tell(trial, state=TrialState.PRUNED), Study.tell(trial, state=TrialState.FAIL), Trial.report,
Trial.should_prune, distributions.FloatDistribution, distributions.IntDistribution, FrozenTrial.state
"""
# ruff: noqa: I001
import optuna
from optuna.trial import TrialState

if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    for _ in range(6):
        trial = study.ask()
        x = trial.suggest_float("x", -3, 3)
        study.tell(trial, -(x**2))
    fixed = {"x": optuna.distributions.FloatDistribution(-3, 3), "n": optuna.distributions.IntDistribution(1, 4)}
    trial = study.ask(fixed)
    assert set(trial.params) == {"x", "n"}
    study.tell(trial.number, -(trial.params["x"] ** 2) - trial.params["n"])
    trial = study.ask()
    trial.suggest_float("x", -3, 3)
    trial.report(-5.0, 0)
    study.tell(trial, state=TrialState.PRUNED)
    trial = study.ask()
    study.tell(trial, state=TrialState.FAIL)
    states = [t.state for t in study.trials]
    print([s.name for s in states], study.best_params)
    assert states[:7] == [TrialState.COMPLETE] * 7
    assert states[7:] == [TrialState.PRUNED, TrialState.FAIL]
    assert study.trials[7].value == -5.0  # a pruned trial told without a value keeps its last report
