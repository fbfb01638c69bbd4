"""Save and resume: an SQLite study resumed by name, an in-memory study pickled, a study copied to another storage.

After Optuna's FAQ "How can I save and resume studies?" and the RDB tutorial.

APIs: create_study(study_name=, storage="sqlite:///...", load_if_exists=True), load_study(study_name=, storage=),
get_all_study_names(storage=), get_all_study_summaries(storage=), pickle.dump(study) / pickle.load,
copy_study(from_study_name=, from_storage=, to_storage=, to_study_name=), delete_study(study_name=, storage=)
"""
# ruff: noqa: I001
import optuna
import pickle


def objective(trial):
    return trial.suggest_float("x", -1, 1) ** 2


if __name__ == "__main__":
    url = "sqlite:///resume.db"
    optuna.create_study(study_name="resume", storage=url, load_if_exists=True).optimize(objective, n_trials=3)
    optuna.create_study(study_name="resume", storage=url, load_if_exists=True).optimize(objective, n_trials=3)
    study = optuna.load_study(study_name="resume", storage=url)
    assert len(study.trials) == 6
    assert "resume" in optuna.get_all_study_names(storage=url)
    assert [s.study_name for s in optuna.get_all_study_summaries(storage=url)] == ["resume"]

    memory = optuna.create_study()
    memory.optimize(objective, n_trials=3)
    with open("study.pkl", "wb") as f:
        pickle.dump(memory, f)
    with open("study.pkl", "rb") as f:
        restored = pickle.load(f)
    restored.optimize(objective, n_trials=2)
    assert len(restored.trials) == 5

    optuna.copy_study(from_study_name="resume", from_storage=url, to_storage="sqlite:///copy.db",
                      to_study_name="copied")
    copied = optuna.load_study(study_name="copied", storage="sqlite:///copy.db")
    assert [t.params for t in copied.trials] == [t.params for t in study.trials]
    optuna.delete_study(study_name="resume", storage=url)
    assert optuna.get_all_study_names(storage=url) == []
    print("resumed, pickled, copied and deleted")
