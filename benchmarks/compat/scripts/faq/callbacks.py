"""Callbacks and optimize options: stop the study from a callback, MaxTrialsCallback, catch=, gc_after_trial=.

After optuna-examples faq/max_trials_callback.py and Optuna's FAQ "How can I stop the optimization
from a callback?" / "How to deal with failing trials?".

APIs: Study.optimize(callbacks=[f(study, frozen_trial)], catch=(ValueError,), gc_after_trial=True,
show_progress_bar=False), Study.stop, study.MaxTrialsCallback(n, states=(TrialState.COMPLETE,)),
create_study(storage="sqlite:///...", study_name=, load_if_exists=True), trial.TrialState,
trials_dataframe() "state" column
"""
# ruff: noqa: I001
import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState


def objective(trial):
    x = trial.suggest_float("x", 0, 10)
    if x > 9:
        raise ValueError(f"simulated failure at x={x:.2f}")
    return x


def stop_when_good(study, trial):
    if trial.value is not None and trial.value < 3.0:
        study.stop()


if __name__ == "__main__":
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=200, callbacks=[stop_when_good], catch=(ValueError,), gc_after_trial=True,
                   show_progress_bar=False)
    last = study.trials[-1]
    assert last.value is not None and last.value < 3.0, "the study went on after study.stop()"
    assert all(t.value >= 3.0 for t in study.trials[:-1] if t.state == TrialState.COMPLETE)

    failing = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    failing.enqueue_trial({"x": 9.5})
    failing.optimize(objective, n_trials=10, catch=(ValueError,))
    assert failing.trials[0].state == TrialState.FAIL
    assert len(failing.trials) == 10

    shared = optuna.create_study(study_name="capped", storage="sqlite:///capped.db", load_if_exists=True)
    shared.optimize(objective, n_trials=50, catch=(ValueError,),
                    callbacks=[MaxTrialsCallback(6, states=(TrialState.COMPLETE,))])
    frame = shared.trials_dataframe()
    complete = len(frame[frame.state == "COMPLETE"])
    print(f"stopped after {len(study.trials)} trials; capped study: {complete} complete of {len(frame)}")
    assert complete == 6, complete
