import json
import os
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
