"""The journal-file storage: the shipped storage contract, several processes on one file, files it refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import tunelab
from tunelab import StorageError
from tunelab.storage import JournalStorage, get_storage
from tunelab.storage._journal_file import JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock
from tunelab.study import StudyDirection, TrialState
from tunelab.testing import NotApplicable, storage_checks

LOCKS = {"fcntl": None, "open-lock": JournalFileOpenLock, "symlink-lock": JournalFileSymlinkLock}


@pytest.mark.parametrize("lock", list(LOCKS))
@pytest.mark.parametrize("check", storage_checks(), ids=str)
def test_journal_passes_the_shipped_storage_checks(check, lock, tmp_path):
    path = str(tmp_path / "study.log")
    backend = path if LOCKS[lock] is None else JournalFileBackend(path, LOCKS[lock](path))
    made = []

    def make(**options):
        made.append(JournalStorage(backend, **options))
        return made[-1]

    try:
        check(make)
    except NotApplicable as reason:
        pytest.skip(str(reason))
    finally:
        for storage in made:
            storage.close()


WRITER = textwrap.dedent("""
    import sys
    from tunelab.space import FloatDistribution
    from tunelab.storage import JournalStorage
    from tunelab.storages.journal import JournalFileBackend, JournalFileOpenLock
    from tunelab.study import TrialState

    path = sys.argv[1]
    storage = JournalStorage(path if sys.argv[3] == "fcntl" else JournalFileBackend(path, JournalFileOpenLock(path)))
    sid = storage.get_study_id("shared")
    x = FloatDistribution(0.0, 1.0)
    for i in range(int(sys.argv[2])):
        trial = storage.start_trial(sid)
        storage.set_trial_intermediate_value(trial.trial_id, 0, float(i))
        storage.finish_trial(trial.trial_id, TrialState.COMPLETE, (float(i),), params={"x": (i / 100, x)})
""")


@pytest.mark.parametrize("lock", ["fcntl", "open-lock"])
def test_processes_appending_at_once_number_every_trial_once(tmp_path, lock):
    path = str(tmp_path / "shared.log")
    storage = JournalStorage(path if lock == "fcntl" else JournalFileBackend(path, JournalFileOpenLock(path)))
    sid = storage.create_study("shared", [StudyDirection.MINIMIZE])
    for i in range(5):  # enqueued trials are claimed once each, whoever asks first
        storage.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"i": i}})
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, "25", lock], env=env) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    trials = storage.get_all_trials(sid)
    assert [t.number for t in trials] == list(range(75))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    assert sorted(t.fixed_params["i"] for t in trials if t.fixed_params) == [0, 1, 2, 3, 4]
    assert all(t.params["x"] == t.values[0] / 100 and t.intermediate_values == {0: t.values[0]} for t in trials)
    # a process that opens the file afresh replays the same history
    replay = subprocess.run([sys.executable, "-c", "import sys; from tunelab.storage import JournalStorage; "
                             "s = JournalStorage(sys.argv[1]); "
                             "print([(t.number, t.state.name, t.values) for t in s.get_all_trials(0)])", path],
                            env=env, capture_output=True, text=True, check=True)
    assert replay.stdout.strip() == str([(t.number, t.state.name, t.values) for t in trials])


def test_a_line_left_unfinished_by_a_killed_writer_is_skipped_and_ended(tmp_path, caplog):
    path = tmp_path / "study.log"
    storage = JournalStorage(str(path))
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    done = storage.start_trial(sid)
    storage.finish_trial(done.trial_id, TrialState.COMPLETE, (1.0,))
    with open(path, "ab") as fh:  # a writer killed half-way through its record
        fh.write(b'{"op":"trial","id":9,"stu')
    other = JournalStorage(str(path))
    assert [t.state for t in other.get_all_trials(sid)] == [TrialState.COMPLETE]
    started = other.start_trial(sid)  # the next write ends the broken line first
    assert started.number == 1
    assert path.read_bytes().count(b"\n") == len(path.read_bytes().splitlines())
    fresh = subprocess.run([sys.executable, "-c", "import sys; from tunelab.storage import JournalStorage; "
                            "print([t.number for t in JournalStorage(sys.argv[1]).get_all_trials(0)])", str(path)],
                           env={**os.environ, "PYTHONPATH": os.getcwd()}, capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "[0, 1]"
    assert "is not a whole record" in fresh.stderr


def test_a_failed_append_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    import errno

    from tunelab.storage import _journal_file

    path = tmp_path / "study.log"
    storage = JournalStorage(str(path))
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    before = path.read_bytes()
    real_write = os.write

    def full_disk(fd, data):
        real_write(fd, data[:5])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_journal_file.os, "write", full_disk)
    with pytest.raises(StorageError, match="the disk is full; nothing was written"):
        storage.create_trial(sid)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert storage.create_trial(sid).number == 0


@pytest.mark.parametrize("content, message", [
    (b"SQLite format 3\x00" + bytes(200), "is not a tunelab journal"),
    (b'{"op_code": 0, "worker_id": "x", "study_name": "s", "directions": [1]}\n', "is an Optuna journal file"),
    (b'{"tunelab_journal": 7}\n', r"newer tunelab \(journal format 7"),
    (b"hello\n", "is not a tunelab journal"),
])
def test_a_file_that_is_no_tunelab_journal_is_refused_untouched(tmp_path, content, message):
    path = tmp_path / "other.log"
    path.write_bytes(content)
    with pytest.raises(StorageError, match=message):
        JournalStorage(str(path))
    assert path.read_bytes() == content


def test_bad_arguments_are_refused_naming_them(tmp_path):
    with pytest.raises(tunelab.InvalidTypeError, match="log_storage=3 .* must be a path to the journal file or a "
                                                       "JournalFileBackend"):
        JournalStorage(3)
    with pytest.raises(tunelab.InvalidArgumentError, match="log_storage=.* must be a path to a journal file"):
        JournalStorage(str(tmp_path))
    with pytest.raises(StorageError, match="the folder .* does not exist"):
        JournalStorage(str(tmp_path / "missing" / "s.log"))
    with pytest.raises(tunelab.InvalidArgumentError, match="grace_period=0 is invalid for JournalFileOpenLock"):
        JournalFileOpenLock(str(tmp_path / "s.log"), grace_period=0)
    with pytest.raises(tunelab.InvalidArgumentError, match="storage='journal://s.log' is invalid: must be "
                                                           "journal:///relative/path"):
        get_storage("journal://s.log")


def test_a_stale_lock_file_is_broken_after_its_grace_period(tmp_path):
    path = str(tmp_path / "s.log")
    lock = JournalFileOpenLock(path, grace_period=0.2)
    (tmp_path / "s.log.lock").write_text("")  # left by a process that died holding it
    storage = JournalStorage(JournalFileBackend(path, lock))
    storage.create_study("s", [StudyDirection.MINIMIZE])  # waits out the grace period, then goes on
    assert not (tmp_path / "s.log.lock").exists()


def test_studies_run_on_a_journal_url_in_worker_processes(tmp_path):
    url = f"journal:///{tmp_path / 'study.log'}"
    study = tunelab.create_study(storage=url, study_name="pool", sampler=tunelab.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=6, n_jobs=2)
    again = tunelab.load_study(study_name="pool", storage=url)
    assert len(again.trials) == 6 and {t.state for t in again.trials} == {TrialState.COMPLETE}
    assert isinstance(again.storage, JournalStorage)
    assert get_storage(url, read_only=True).get_study_id("pool") == 0
    with pytest.raises(StorageError, match="does not exist"):
        get_storage(f"journal:///{tmp_path / 'nothing.log'}", read_only=True)


def _objective(trial):
    return trial.suggest_float("x", -1, 1) ** 2


def test_records_are_json_lines(tmp_path):
    path = tmp_path / "study.log"
    storage = JournalStorage(str(path))
    sid = storage.create_study("s", [StudyDirection.MAXIMIZE])
    storage.create_trial(sid, state=TrialState.COMPLETE, values=(float("inf"),))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0] == {"tunelab_journal": 1}
    assert [r["op"] for r in lines[1:]] == ["study", "trial"]
    assert storage.get_all_trials(sid)[0].values == (float("inf"),)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_writes_through_its_own_handle(tmp_path):
    storage = JournalStorage(str(tmp_path / "study.log"))
    sid = storage.create_study("s", [StudyDirection.MINIMIZE])
    pid = os.fork()
    if pid == 0:  # the child: the parent's storage object, used after the fork
        try:
            trial = storage.start_trial(sid)
            storage.finish_trial(trial.trial_id, TrialState.COMPLETE, (1.0,))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert [(t.number, t.state) for t in storage.get_all_trials(sid)] == [(0, TrialState.COMPLETE)]


def test_the_file_is_closed_when_no_storage_holds_it(tmp_path):
    import gc

    from tunelab.storage import _journal_file

    storage = JournalStorage(str(tmp_path / "closed.log"))
    storage.create_study("s", [StudyDirection.MINIMIZE])
    real = os.path.realpath(tmp_path / "closed.log")
    assert real in _journal_file._OPEN
    del storage
    gc.collect()
    assert real not in _journal_file._OPEN


DYING = textwrap.dedent("""
    import os, sys
    import tunelab
    from tunelab.storage import JournalStorage

    storage = JournalStorage(sys.argv[1], heartbeat_interval=0.2, grace_period=1.0, retries=1)
    study = tunelab.load_study(study_name="s", storage=storage)

    def dying(trial):
        trial.suggest_float("x", 0, 1)
        os._exit(3)  # killed mid-trial: no chance to tell the storage

    study.optimize(dying, n_trials=1)
""")


def test_a_killed_workers_trial_is_failed_and_retried_by_its_missing_heartbeats(tmp_path):
    import time

    path = str(tmp_path / "study.log")
    storage = JournalStorage(path, heartbeat_interval=0.2, grace_period=1.0, retries=1)
    study = tunelab.create_study(storage=storage, study_name="s")
    done = subprocess.run([sys.executable, "-c", DYING, path], env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 3
    assert [t.state for t in study.trials] == [TrialState.RUNNING]
    time.sleep(1.5)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    lost, retry = study.trials
    assert lost.state == TrialState.FAIL and "no heartbeat" in lost.fail_reason
    assert (retry.state, retry.retry_of, retry.params) == (TrialState.COMPLETE, 0, lost.params)
