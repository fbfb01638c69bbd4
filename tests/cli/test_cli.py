import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

import tunelab
from tunelab.cli import main


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    study = tunelab.create_study(storage=url, study_name="demo", sampler=tunelab.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=5)
    study.optimize(lambda t: float("nan"), n_trials=1)
    return url


def test_studies_lists_counts_and_best(url, capsys):
    assert main(["studies", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "demo" in out and "minimize" in out
    assert main(["studies", "--storage", url, "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["trials"] == 6 and row["complete"] == 5 and row["fail"] == 1


def test_trials_in_three_formats(url, capsys):
    study = tunelab.load_study(study_name="demo", storage=url)
    assert main(["trials", "--storage", url, "--study", "demo", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["number"] for r in rows] == list(range(6))
    assert rows[0]["params.x"] == study.trials[0].params["x"]
    assert "NaN" in rows[5]["fail_reason"]
    assert main(["trials", "--storage", url, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("number,state,value") and len(lines) == 7
    assert main(["trials", "--storage", url]) == 0
    assert "COMPLETE" in capsys.readouterr().out


def test_best_prints_the_best_trial(url, capsys):
    best = tunelab.load_study(study_name="demo", storage=url).best_trial
    assert main(["best", "--storage", url, "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["number"] == best.number and row["value"] == best.value


def test_storage_from_the_environment(url, capsys, monkeypatch):
    monkeypatch.setenv("TUNELAB_STORAGE", url)
    assert main(["studies"]) == 0
    assert "demo" in capsys.readouterr().out
    monkeypatch.delenv("TUNELAB_STORAGE")
    assert main(["studies"]) == 1
    assert "--storage is missing" in capsys.readouterr().err


def test_ask_tell_from_the_shell(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'at.db'}"
    space = json.dumps({"x": {"type": "float", "low": 0, "high": 1},
                        "act": {"type": "categorical", "choices": ["relu", "tanh"]}})
    for _ in range(3):
        assert main(["ask", "--storage", url, "--study", "shell", "--search-space", space]) == 0
        asked = json.loads(capsys.readouterr().out)
        assert 0 <= asked["params"]["x"] <= 1 and asked["params"]["act"] in ("relu", "tanh")
        assert main(["tell", "--storage", url, "--study", "shell", "--trial", str(asked["number"]),
                     "--values", str(asked["params"]["x"])]) == 0
        assert json.loads(capsys.readouterr().out)["state"] == "COMPLETE"
    study = tunelab.load_study(study_name="shell", storage=url)
    assert len(study.trials) == 3 and study.best_value == min(t.params["x"] for t in study.trials)
    assert main(["tell", "--storage", url, "--study", "shell", "--trial", "0", "--values", "1"]) == 1
    assert "already COMPLETE" in capsys.readouterr().err


def test_bad_search_space_names_the_parameter(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    assert main(["ask", "--storage", url, "--study", "s", "--search-space", '{"x": {"type": "normal"}}']) == 1
    assert "--search-space['x']" in capsys.readouterr().err
    assert main(["ask", "--storage", url, "--study", "s", "--search-space",
                 '{"x": {"type": "float", "low": 2, "high": 1}}']) == 1
    assert "low=2.0 is invalid" in capsys.readouterr().err


def test_delete_needs_yes_without_a_terminal(url, capsys):
    proc = subprocess.run([sys.executable, "-m", "tunelab.cli._main", "delete", "--storage", url, "--study", "demo"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, env={**os.environ})
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert main(["delete", "--storage", url, "--study", "demo", "--yes"]) == 0
    assert main(["studies", "--storage", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1]) == []


def test_unknown_study_is_a_clear_error(url, capsys):
    assert main(["trials", "--storage", url, "--study", "nope"]) == 1
    assert "no study named 'nope'" in capsys.readouterr().err


def one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("storage, message", [
    ("sqlite://x.db", r"--storage='sqlite://x.db' is invalid: names no file \(two slashes make 'x.db' a host"),
    ("sqlite://", r"--storage='sqlite://' is invalid: it is an in-memory database"),
    ("sqlite:///:memory:", r"--storage='sqlite:///:memory:' is invalid: it is an in-memory database"),
    ("mysql://u:pw1234@h/db", r"--storage='mysql://u:\*\*\*@h/db' is invalid: the scheme 'mysql://' is not supported"),
    ("sqlite:x.db", r"--storage='sqlite:x.db' is invalid: sqlite: is not followed by //"),
    ("", r"--storage='' is invalid: it is empty; must be sqlite:///PATH"),
])
def test_storage_urls_that_name_no_database_are_refused(tmp_path, monkeypatch, capsys, storage, message):
    monkeypatch.chdir(tmp_path)
    assert main(["studies", "--storage", storage]) == 1
    assert re.search(message, one_line(capsys.readouterr().err))
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_a_trial_number_too_large_for_any_storage_is_a_usage_error(url, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["tell", "--storage", url, "--study", "demo", "--trial", str(10**30), "--values", "1"])
    assert exit_.value.code == 2
    assert re.search(r"^tunelab tell: error: argument --trial: '1000000000000000000000000000000' is invalid: must be "
                     r"an integer in 0\.\.9223372036854775807", one_line(capsys.readouterr().err))


def garbled_copy(url, path, *, first_page=2):
    """A copy of the database at ``url`` whose pages from ``first_page`` on are garbage (page 1, the
    header and the schema, intact; with ``first_page=5`` the tables' own pages are garbled)."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    dst.close()
    data = bytearray(path.read_bytes())
    start = 4096 * (first_page - 1)
    data[start:] = bytes((i * 7919) % 251 for i in range(len(data) - start))
    path.write_bytes(bytes(data))
    return f"sqlite:///{path}"


@pytest.mark.parametrize("first_page", [2, 5])
def test_garbled_database_pages_are_one_clear_line(url, tmp_path, capsys, first_page):
    garbled = garbled_copy(url, tmp_path / "garbled.db", first_page=first_page)
    for command in (["studies"], ["trials", "--study", "demo"], ["best"], ["report", "-o", str(tmp_path / "r.html")]):
        assert main([*command, "--storage", garbled]) == 1
        assert re.search(r"garbled\.db", one_line(capsys.readouterr().err))
    assert not (tmp_path / "r.html").exists()


def test_an_unexpected_error_is_one_line_with_a_hint_and_debug_shows_the_traceback(url, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise OverflowError("something tunelab did not foresee")

    monkeypatch.setattr(tunelab.storage, "get_storage", boom)
    assert main(["studies", "--storage", url]) == 1
    line = one_line(capsys.readouterr().err)
    assert re.fullmatch(r"tunelab: error: studies failed with --storage='sqlite:///.*cli\.db': OverflowError: something "
                        r"tunelab did not foresee \(unexpected; rerun with --debug or TUNELAB_DEBUG=1 for the "
                        r"traceback\)", line)
    assert main(["studies", "--storage", url, "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("TUNELAB_DEBUG", "1")
    assert main(["studies", "--storage", url]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_password_is_never_printed(capsys, monkeypatch):
    secret = "postgresql://alice:s3cret-pw@127.0.0.1:1/tuning"

    def refuse(*args, **kwargs):
        raise tunelab.StorageError(f"storage {secret!r} failed: connection refused\n\tIs the server running?")

    monkeypatch.setattr(tunelab.storage, "get_storage", refuse)
    assert main(["studies", "--storage", secret]) == 1
    line = one_line(capsys.readouterr().err)
    assert "s3cret-pw" not in line
    assert line == ("tunelab: error: storage 'postgresql://alice:***@127.0.0.1:1/tuning' failed: connection refused "
                    "Is the server running?")


DISK_FULL = [sqlite3.OperationalError("database or disk is full"),
             tunelab.StorageError("storage 'sqlite:///x.db' failed: database or disk is full")]


@pytest.mark.parametrize("error", DISK_FULL, ids=["sqlite3", "StorageError"])
def test_disk_full_while_ask_saves_parameters_leaves_no_trial_running(tmp_path, capsys, monkeypatch, error):
    from tunelab.storage import SQLStorage

    url = f"sqlite:///{tmp_path / 'full.db'}"
    tunelab.create_study(storage=url, study_name="s")

    def full(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(SQLStorage, "set_trial_params", full)
    space = json.dumps({"x": {"type": "float", "low": 0, "high": 1}})
    assert main(["ask", "--storage", url, "--study", "s", "--search-space", space]) == 1
    line = one_line(capsys.readouterr().err)
    assert re.search(r"database or disk is full \(trial 0 is marked FAIL\)$", line)
    monkeypatch.undo()
    (trial,) = tunelab.load_study(study_name="s", storage=url).trials
    assert trial.state == tunelab.TrialState.FAIL
    assert "could not save the parameters" in trial.fail_reason


def test_disk_full_at_tell_changes_nothing_and_says_so(url, capsys, monkeypatch):
    from tunelab.storage import SQLStorage

    study = tunelab.load_study(study_name="demo", storage=url)
    number = study.ask().number

    def full(self, *args, **kwargs):
        raise tunelab.StorageError("storage failed: database or disk is full")

    monkeypatch.setattr(SQLStorage, "finish_trial", full)
    assert main(["tell", "--storage", url, "--study", "demo", "--trial", str(number), "--values", "1"]) == 1
    assert re.search(rf"database or disk is full \(trial {number} was not changed: tell again when the storage can be "
                     r"written\)$", one_line(capsys.readouterr().err))
    monkeypatch.undo()
    assert main(["tell", "--storage", url, "--study", "demo", "--trial", str(number), "--values", "1"]) == 0


FORMULAS = ["=HYPERLINK(\"https://evil.example\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_csv_neutralises_spreadsheet_formulas_like_the_dashboard(tmp_path, capsys):
    import csv
    import io

    url = f"sqlite:///{tmp_path / 'f.db'}"
    study = tunelab.create_study(storage=url, study_name="=cmd|' /C calc'!A0")
    for formula in FORMULAS:
        study.enqueue_trial({"c": formula})

    def objective(trial):
        trial.set_user_attr("note", trial.suggest_categorical("c", FORMULAS))
        return -0.5 - trial.number

    study.optimize(objective, n_trials=len(FORMULAS))
    assert main(["trials", "--storage", url, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline="")))
    assert [r["params.c"] for r in rows] == ["'" + f for f in FORMULAS]
    assert [r["user_attrs.note"] for r in rows] == ["'" + f for f in FORMULAS]
    assert [r["value"] for r in rows] == [str(-0.5 - i) for i in range(len(FORMULAS))]  # numbers stay numbers
    assert main(["studies", "--storage", url, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("'=cmd|' /C calc'!A0,minimize,")

    from tunelab.dashboard._server import Dashboard

    app = Dashboard(url)
    try:
        dashboard = list(csv.DictReader(io.StringIO(app.api_csv({}, "1").body.decode(), newline="")))
    finally:
        app.source.close()
    assert [r["params.c"] for r in dashboard] == [r["params.c"] for r in rows]  # one rule, both outputs
