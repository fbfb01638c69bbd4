"""SQLite files: a study outlives its process, bad files are refused untouched, many processes share one."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest

import tunelab
from tunelab import StorageError
from tunelab._records import TrialState

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_python(code: str, *args: str, timeout: float = 60) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def test_a_study_outlives_its_process_and_resumes_with_load_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    finish(run_python("""
        import sys, tunelab
        study = tunelab.create_study(storage=sys.argv[1], study_name="kept", direction="maximize")
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        study.set_user_attr("note", "first run")
    """, url))
    study = tunelab.load_study(study_name="kept", storage=url)
    assert [t.number for t in study.trials] == [0, 1, 2] and study.user_attrs == {"note": "first run"}
    best = study.best_value
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert study.best_value >= best and study.direction == tunelab.StudyDirection.MAXIMIZE


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tunelab_db(path, *, version: int | None = None) -> None:
    storage = tunelab.storage.SQLStorage(f"sqlite:///{path}")
    tunelab.create_study(storage=storage, study_name="s").optimize(lambda t: t.suggest_int("i", 0, 9), n_trials=40)
    storage.close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in, leave one self-contained file
    if version is not None:
        con.execute("UPDATE tunelab_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        con.commit()
    con.close()


def _foreign(path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO users (name) VALUES ('ada')")
    con.commit()
    con.close()


def _truncated(path) -> None:
    _tunelab_db(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _corrupt(path) -> None:
    _tunelab_db(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # schema page overwritten, header intact
    path.write_bytes(bytes(data))


def _text(path) -> None:
    path.write_text("name,value\na,1\n")


@pytest.mark.parametrize(("make", "message"), [
    (_text, "is not an SQLite database"),
    (_foreign, "is an SQLite database of another program"),
    (_truncated, "is truncated"),
    (_corrupt, "is a corrupt SQLite database"),
    (lambda p: _tunelab_db(p, version=99), r"written by a newer tunelab \(schema version 99"),
], ids=["text", "foreign", "truncated", "corrupt", "newer"])
def test_a_file_that_is_not_ours_is_refused_and_left_byte_for_byte_untouched(tmp_path, make, message):
    path = tmp_path / "data.db"
    make(path)
    before = _digest(path)
    for attempt in (lambda: tunelab.create_study(storage=f"sqlite:///{path}"),
                    lambda: tunelab.load_study(storage=str(path), study_name="s")):
        with pytest.raises(StorageError, match=message):
            attempt()
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.db"]  # no -wal / -shm left behind


def test_a_missing_folder_is_named():
    with pytest.raises(StorageError, match="the folder '/no/such/folder' does not exist"):
        tunelab.create_study(storage="sqlite:////no/such/folder/x.db")


WRITER = """
    import sys, tunelab
    study = tunelab.load_study(study_name="shared", storage=sys.argv[1])
    for _ in range(int(sys.argv[2])):
        trial = study.ask()
        x = trial.suggest_float("x", -1, 1)
        for step in range(3):
            trial.report(x + step, step)
        trial.set_user_attr("pid", 1)
        study.tell(trial, x * x)
    print("done")
"""


def test_processes_and_a_reader_share_one_file_without_locking_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    tunelab.create_study(storage=url, study_name="shared")
    procs = [run_python(WRITER, url, "25") for _ in range(4)]
    problems: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:  # a report or dashboard polling while the trials are written
        reader = tunelab.load_study(study_name="shared", storage=url)
        while not stop.wait(0.01):
            try:
                for trial in reader.trials:
                    assert trial.state != TrialState.COMPLETE or len(trial.intermediate_values) == 3
                tunelab.get_all_study_summaries(url)
            except BaseException as exc:  # noqa: BLE001 - collected and reported below
                problems.append(exc)
                return

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for proc in procs:
            assert finish(proc, timeout=120).strip() == "done"
    finally:
        stop.set()
        thread.join()
    assert problems == []
    trials = tunelab.load_study(study_name="shared", storage=url).trials
    assert [t.number for t in trials] == list(range(100))
    assert all(t.state == TrialState.COMPLETE and len(t.intermediate_values) == 3 for t in trials)
