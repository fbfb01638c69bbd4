"""Several storages on one SQLite file in one process must not break each other's locks."""

import subprocess
import sys

import tunelab


def test_a_second_storage_on_the_same_file_keeps_the_first_one_working(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = tunelab.create_study(storage=url, study_name="a")
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(first.trials) == 3
    second = tunelab.create_study(storage=url, study_name="a", load_if_exists=True)
    reader = tunelab.storage.get_storage(url)
    second.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    reader.close()
    trial = first.ask()
    trial.suggest_float("x", 0, 1)
    first.tell(trial, 0.5)
    count = subprocess.run(
        [sys.executable, "-c",
         f"import tunelab; print(len(tunelab.load_study(study_name='a', storage='{url}').trials))"],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()
    assert count == "7"
