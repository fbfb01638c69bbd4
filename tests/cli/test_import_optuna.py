"""``tunelab import-optuna``: Optuna databases made by the installed Optuna, copied into tunelab storages."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

import tunelab
from tests.storage.postgres import pg_url, reset_pg  # noqa: F401 - pg_url is a fixture
from tests.storages.optuna_history import make_optuna_history, optuna_pg_url  # noqa: F401 - a fixture
from tunelab import StorageError
from tunelab.cli._main import main
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storages import RDBStorage, RetryFailedTrialCallback
from tunelab.study import StudyDirection, TrialState

pytest.importorskip("optuna", reason="the Optuna databases of these tests are made by Optuna")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def source(request, tmp_path):
    """An Optuna database (SQLite file or PostgreSQL) with its history, and that history as Optuna reads it."""
    url = f"sqlite:///{tmp_path / 'optuna.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("optuna_pg_url")
    return url, make_optuna_history(url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tunelab.db'}"
    url = request.getfixturevalue("pg_url")
    reset_pg(url)
    return url


def _close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and (a == b or math.isnan(a) and math.isnan(b)))


def test_every_trial_comes_over_with_its_fields(source, target, capsys):
    url, history = source
    assert main(["import-optuna", "--from", url, "--storage", target]) == 0
    out = capsys.readouterr().out
    assert "imported study 'single': 9 trials (4 COMPLETE, 3 FAIL, 1 PRUNED, 1 WAITING; 1 RUNNING there, " \
           "copied as FAIL)" in out
    assert "imported study 'multi': 3 trials (3 COMPLETE)" in out
    single = tunelab.load_study(study_name="single", storage=target)
    assert single.directions == [StudyDirection.MINIMIZE]
    assert single.user_attrs == {"dataset": {"name": "digits", "rows": 1797}}
    ours, theirs = single.trials, history["single"]
    assert [t.number for t in ours] == [t.number for t in theirs] == list(range(9))
    for mine, optuna_trial in zip(ours, theirs):
        expected_state = "FAIL" if optuna_trial.state.name == "RUNNING" else optuna_trial.state.name
        assert mine.state.name == expected_state, mine.number
        assert mine.values == (None if optuna_trial.values is None or expected_state == "FAIL" and
                               optuna_trial.state.name == "RUNNING" else tuple(optuna_trial.values))
        assert mine.user_attrs == optuna_trial.user_attrs
        assert list(mine.intermediate_values) == list(optuna_trial.intermediate_values)
        assert all(_close(mine.intermediate_values[s], v) for s, v in optuna_trial.intermediate_values.items())
        for ours_at, theirs_at in [(mine.datetime_start, optuna_trial.datetime_start),
                                   (mine.datetime_complete, optuna_trial.datetime_complete)]:
            if optuna_trial.state.name == "RUNNING" and theirs_at is None:
                continue  # it ends FAIL here; its end is the copy's time
            assert (ours_at is None) == (theirs_at is None), mine.number
            assert theirs_at is None or abs(ours_at - theirs_at).total_seconds() < 1e-3, mine.number
        if optuna_trial.state.name not in ("WAITING",) and optuna_trial.number != 5:
            assert mine.params == optuna_trial.params
    first = ours[0]
    assert first.distributions == {"x": FloatDistribution(0, 1), "lr": FloatDistribution(1e-4, 1e-1, log=True),
                                   "n": IntDistribution(1, 9, step=2), "act": CategoricalDistribution(["relu", None, 3])}
    assert first.constraints == (first.params["x"] - 0.5,) and "constraints" not in dict(first.system_attrs)
    assert ours[4].fail_reason is None and ours[3].state == TrialState.PRUNED
    # the retry series of RetryFailedTrialCallback: typed links, the series kept beside
    assert (ours[5].retry_of, ours[5].retry_count, ours[6].retry_of, ours[6].retry_count) == (0, 1, 5, 2)
    assert RetryFailedTrialCallback.retry_history(ours[6]) == [0, 5]
    assert RetryFailedTrialCallback.retried_trial_number(ours[6]) == 0
    assert ours[6].params == theirs[6].params and ours[6].values == (0.25,)
    # the trial a worker was running: FAIL, saying why; the enqueued one: WAITING with its values fixed
    assert ours[7].state == TrialState.FAIL and "RUNNING in" in ours[7].fail_reason
    assert ours[7].fixed_params == {"x": 0.75, "n": 3}
    assert ours[8].state == TrialState.WAITING and ours[8].fixed_params == {"x": 0.5}
    assert single.ask().params == {} and single.trials[9 - 1].state == TrialState.RUNNING  # the next ask runs it
    multi = tunelab.load_study(study_name="multi", storage=target)
    assert multi.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    assert [t.values for t in multi.trials] == [tuple(t.values) for t in history["multi"]]
    assert multi.trials[1].values[1] == math.inf
    assert multi.system_attrs.get("study:metric_names") == ["loss", "accuracy"]


def test_it_reads_optuna_files_without_optuna_installed(tmp_path):
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_optuna_history(source)
    target = f"sqlite:///{tmp_path / 'tunelab.db'}"
    code = ("import sys; sys.modules['optuna'] = None; sys.modules['optuna_integration'] = None\n"
            "from tunelab.cli._main import main\n"
            f"sys.exit(main(['import-optuna', '--from', {source!r}, '--storage', {target!r}, '--study', 'multi']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr
    assert "1 study copied" in done.stdout
    assert [s.study_name for s in tunelab.get_all_study_summaries(target)] == ["multi"]


def test_nothing_is_written_when_a_study_name_is_taken(tmp_path, capsys):
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_optuna_history(source)
    target = f"sqlite:///{tmp_path / 'tunelab.db'}"
    tunelab.create_study(storage=target, study_name="multi")
    assert main(["import-optuna", "--from", source, "--storage", target]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "already holds studies named ['multi']: nothing was copied" in err
    assert [s.study_name for s in tunelab.get_all_study_summaries(target)] == ["multi"]


def test_bad_sources_and_names_are_one_line_errors(tmp_path, capsys):
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_optuna_history(source)
    target = f"sqlite:///{tmp_path / 'tunelab.db'}"
    tunelab.create_study(storage=target, study_name="mine")
    cases = [
        (["--from", source, "--storage", target, "--study", "nope"],
         "--study='nope' is invalid: the Optuna database .* holds the studies \\['single', 'multi'\\]"),
        (["--from", target, "--storage", f"sqlite:///{tmp_path / 'x.db'}"], "is not an Optuna database"),
        (["--from", f"sqlite:///{tmp_path / 'missing.db'}", "--storage", target], "does not exist"),
        (["--from", "sqlite://", "--storage", target], "--from='sqlite://' is invalid: an in-memory SQLite"),
    ]
    import re

    for argv, pattern in cases:
        assert main(["import-optuna", *argv]) == 1, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and re.search(pattern, err), err
    assert not (tmp_path / "missing.db").exists()


def test_an_optuna_database_opened_as_a_storage_names_the_command(source):
    url, _ = source
    with pytest.raises(StorageError, match="is an Optuna database: .* tunelab import-optuna --from .* --storage"):
        RDBStorage(url)


def test_an_optuna_file_given_as_a_storage_url_names_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    make_optuna_history(url)
    with pytest.raises(StorageError, match="tunelab import-optuna"):
        tunelab.create_study(storage=url)
