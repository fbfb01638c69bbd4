"""n_jobs > 1 as Optuna users write it: lambdas and closures as objectives (sent by cloudpickle), and
in-memory studies whose trials run in worker processes served by the study process's relay."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import types

import pytest

import tunelab
from tests.execution import objectives
from tests.execution.checks import assert_clean
from tests.execution.drivers import group_gone, kill_group, python, wait_for
from tests.faults.procs import child_env
from tunelab import InvalidArgumentError
from tunelab._records import TrialState
from tunelab.samplers import RandomSampler
from tunelab.storage import InMemoryStorage
from tunelab.testing import NotApplicable, storage_checks


def _storage(kind: str, tmp_path) -> str | None:
    return f"sqlite:///{tmp_path / 'study.db'}" if kind == "sqlite" else None


def scaled(trial, scale, offsets):
    x = trial.suggest_float("x", -1, 1)
    k = trial.suggest_int("k", 0, len(offsets) - 1)
    trial.set_user_attr("pid", os.getpid())
    return scale * x * x + offsets[k]


def _closure(scale, offsets):
    def objective(trial):  # a nested function over local variables: pickle cannot send it
        return scaled(trial, scale, offsets)

    return objective


@pytest.mark.parametrize("storage", ["sqlite", "memory"])
@pytest.mark.parametrize("shape", ["lambda", "closure"])
def test_a_lambda_or_a_closure_runs_in_worker_processes(tmp_path, storage, shape):
    offsets = [0.5, 10.0, 20.0]
    objective = (lambda t: scaled(t, 3.0, offsets)) if shape == "lambda" else _closure(3.0, offsets)
    study = tunelab.create_study(storage=_storage(storage, tmp_path), sampler=RandomSampler(seed=3))
    study.optimize(objective, n_trials=8, n_jobs=2)
    trials = study.trials
    assert [t.number for t in trials] == list(range(8))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 8
    for t in trials:
        assert -1 <= t.params["x"] <= 1 and t.params["k"] in (0, 1, 2)
        assert t.value == pytest.approx(3.0 * t.params["x"] ** 2 + offsets[t.params["k"]])
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}


def test_an_in_memory_study_runs_its_trials_in_worker_processes(caplog):
    study = tunelab.create_study(sampler=RandomSampler(seed=1))
    with caplog.at_level("WARNING", logger="tunelab"):
        study.optimize(objectives.quadratic, n_trials=10, n_jobs=2)
    assert "runs in threads" not in caplog.text
    trials = study.trials
    assert [t.number for t in trials] == list(range(10))
    assert all(t.state == TrialState.COMPLETE and t.value == t.params["x"] ** 2 for t in trials)
    pids = {t.user_attrs["pid"] for t in trials}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert len({t.params["x"] for t in trials}) == 10  # the workers' reseeded samplers do not repeat each other
    wait_for(lambda: not [t for t in threading.enumerate() if t.name.startswith("tunelab-relay")], timeout=5,
             what="the relay's threads to end with the pool")


def reports_attrs_and_pruning(trial):
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("x twice", 2 * x)
    for step in range(5):
        trial.report(x + step, step)
        if trial.should_prune():
            trial.set_user_attr("pruned at", step)
            raise tunelab.TrialPruned()
    return x


def test_worker_reports_attributes_and_pruning_land_in_the_in_memory_study():
    study = tunelab.create_study(pruner=objectives.AboveTwoPruner(), sampler=RandomSampler(seed=2))
    study.optimize(reports_attrs_and_pruning, n_trials=6, n_jobs=2)
    trials = study.trials
    assert [t.number for t in trials] == list(range(6))
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    for t in trials:
        x = t.params["x"]
        expected = [0, 1, 2] if x > 0 else [0, 1, 2, 3]  # the pruner read the reports through the relay
        assert t.state == TrialState.PRUNED
        assert t.intermediate_values == {step: x + step for step in expected}
        assert t.user_attrs["x twice"] == 2 * x and t.user_attrs["pruned at"] == expected[-1]


def test_a_worker_killed_mid_trial_on_an_in_memory_study_loses_only_that_trial():
    study = tunelab.create_study(sampler=RandomSampler(seed=4))
    study.optimize(objectives.killed_on_two, n_trials=6, n_jobs=2)
    trials = assert_clean(study)
    assert len(trials) == 6
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [2]
    assert "its worker died" in trials[2].fail_reason and "SIGKILL" in trials[2].fail_reason
    assert [t.state for t in trials if t.number != 2] == [TrialState.COMPLETE] * 5
    study.optimize(objectives.quadratic, n_trials=2, n_jobs=2)  # the study goes on in new workers
    assert [t.state for t in study.trials[6:]] == [TrialState.COMPLETE] * 2


INTERACTIVE = """
    import json, os, tunelab

    def objective(trial):  # top level of a `python -c` session: no file for a worker to import it from
        trial.set_user_attr("pid", os.getpid())
        return trial.suggest_float("x", 0, 1)

    if __name__ == "__main__":
        study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=6))
        study.optimize(objective, n_trials=4, n_jobs=2)
        print(json.dumps([[t.state.name, t.user_attrs["pid"] != os.getpid()] for t in study.trials]), flush=True)
"""


def test_a_function_of_an_interactive_session_runs_in_worker_processes():
    session = python(INTERACTIVE)
    try:
        out, err = session.communicate(timeout=120)
    finally:
        kill_group(session.pid)
    assert session.returncode == 0, err[-3000:]
    assert json.loads(out.strip().splitlines()[-1]) == [["COMPLETE", True]] * 4


def test_an_objective_the_workers_cannot_import_gets_a_clear_error(monkeypatch):
    ghost = types.ModuleType("tunelab_test_ghost")  # exists in this process only
    exec("def objective(trial):\n    return trial.suggest_float('x', 0, 1)\n", ghost.__dict__)
    monkeypatch.setitem(sys.modules, "tunelab_test_ghost", ghost)
    study = tunelab.create_study()
    with pytest.raises(InvalidArgumentError, match=r"the worker process could not load the objective "
                                                   r"\(ModuleNotFoundError: No module named 'tunelab_test_ghost'\): .*"
                                                   r"define it in a file on the import path, or pass executor='thread'"):
        study.optimize(ghost.objective, n_trials=2, n_jobs=2)
    assert study.trials == []


class HoldsALock:
    """An objective that cannot be pickled, not even by cloudpickle."""

    def __init__(self):
        self.lock = threading.Lock()

    def __call__(self, trial):
        with self.lock:
            return trial.suggest_float("x", 0, 1)

    def __repr__(self):
        return "HoldsALock()"


@pytest.mark.parametrize("storage", ["sqlite", "memory"])
def test_an_objective_that_cannot_be_sent_gets_a_clear_error(tmp_path, storage):
    study = tunelab.create_study(storage=_storage(storage, tmp_path))
    with pytest.raises(InvalidArgumentError, match=(
            r"^objective=HoldsALock\(\) cannot be sent to process workers: it cannot be pickled, not even by "
            r"cloudpickle \(TypeError: cannot pickle '_thread.lock' object\)\. Locks, open files, sockets.*"
            r"let the objective create them where it runs .*or pass executor='thread'")):
        study.optimize(HoldsALock(), n_trials=2, n_jobs=2)
    assert study.trials == []  # refused before any trial was asked: nothing left RUNNING
    assert not [t for t in threading.enumerate() if t.name.startswith("tunelab-relay")]  # the relay is closed
    study.optimize(HoldsALock(), n_trials=2, n_jobs=2, executor="thread")  # threads share it as it is
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


def test_a_sampler_that_cannot_be_sent_is_named():
    sampler = RandomSampler(seed=0)
    sampler.lock = threading.Lock()
    study = tunelab.create_study(sampler=sampler)
    with pytest.raises(InvalidArgumentError, match=r"^sampler=.* cannot be sent to process workers: .*'_thread.lock'"):
        study.optimize(objectives.quadratic, n_trials=2, n_jobs=2)
    assert study.trials == []


STARTED = """
    import json, os, sys, tunelab
    from tests.execution import objectives

    def signalling(folder):
        def objective(trial):
            x = trial.suggest_float("x", -1, 1)
            trial.report(x, 0)
            open(os.path.join(folder, str(os.getpid())), "w").close()  # this worker runs a trial
            return objectives.long_with_reports(trial)

        return objective

    if __name__ == "__main__":
        study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=5))
        try:
            study.optimize(signalling(sys.argv[1]), n_trials=20, n_jobs=2)
        finally:
            print(json.dumps([[t.number, t.state.name, t.fail_reason, t.retry_of, sorted(t.params)]
                              for t in study.trials]), flush=True)
"""


@pytest.mark.parametrize("target", ["driver", "group"])
def test_ctrl_c_on_an_in_memory_study_ends_the_running_trials_interrupted(tmp_path, target):
    driver = python(STARTED, str(tmp_path))
    try:
        wait_for(lambda: len(os.listdir(tmp_path)) >= 2, timeout=60, what="two workers to run trials", proc=driver)
        os.kill(driver.pid, signal.SIGINT) if target == "driver" else os.killpg(driver.pid, signal.SIGINT)
        out, err = driver.communicate(timeout=30)
        assert err.rstrip().endswith("KeyboardInterrupt"), err[-3000:]
        wait_for(lambda: group_gone(driver.pid), timeout=10, what="the workers to end")
    finally:
        kill_group(driver.pid)
        driver.communicate()
    rows = json.loads(out.strip().splitlines()[-1])
    assert [r[0] for r in rows] == list(range(len(rows)))
    assert "RUNNING" not in {r[1] for r in rows} and "COMPLETE" not in {r[1] for r in rows}
    stopped = [r for r in rows if r[1] == "FAIL"]
    assert stopped and all(r[2] == "interrupted (KeyboardInterrupt)" for r in stopped)
    assert len([r for r in stopped if r[4] == ["x"]]) >= 2  # the two running ones, with what they drew
    assert sorted(r[3] for r in rows if r[1] == "WAITING") == [r[0] for r in stopped]  # queued again


def test_workers_of_a_killed_in_memory_study_end(tmp_path):
    driver = python(STARTED, str(tmp_path))
    try:
        wait_for(lambda: len(os.listdir(tmp_path)) >= 2, timeout=60, what="two workers to run trials", proc=driver)
        workers = [int(name) for name in os.listdir(tmp_path)]
        os.kill(driver.pid, signal.SIGKILL)
        wait_for(lambda: group_gone(driver.pid), timeout=10, what="the workers to end")
    finally:
        kill_group(driver.pid)
        driver.communicate()
    assert len(workers) >= 2


def test_a_worker_whose_relay_is_gone_ends_rather_than_waits():
    """The relay's process killed: the worker's next storage call ends it with RELAY_LOST_EXIT."""
    from tunelab.execution._relay import RELAY_LOST_EXIT

    server = python("""
        import base64, pickle, time
        from tunelab._records import StudyDirection
        from tunelab.execution._relay import Relay
        from tunelab.storage import InMemoryStorage
        storage = InMemoryStorage()
        storage.create_study("served", [StudyDirection.MINIMIZE])
        relay = Relay(storage)
        print(base64.b64encode(pickle.dumps(relay.client())).decode(), flush=True)
        time.sleep(60)
    """)
    try:
        client = server.stdout.readline().strip()
        worker = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
            import base64, pickle, sys, time
            storage = pickle.loads(base64.b64decode(sys.argv[1]))
            print(storage.get_study_id("served"), repr(storage), flush=True)
            sys.stdin.readline()
            storage.get_study_id("served")
            print("still here", flush=True)
        """), client], env=child_env(), text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        assert worker.stdout.readline().strip() == "0 InMemoryStorage()"  # answered by the relay
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        out, err = worker.communicate("go\n", timeout=10)
    finally:
        kill_group(server.pid)
        server.communicate()
    assert worker.returncode == RELAY_LOST_EXIT and "still here" not in out
    assert "the study process's storage relay is gone" in err


def test_a_relayed_storage_answers_errors_and_refuses_a_stranger():
    from multiprocessing import connection

    from tunelab.execution._relay import Relay

    storage = InMemoryStorage()
    relay = Relay(storage)
    try:
        client = pickle.loads(pickle.dumps(relay.client()))  # as a worker gets it
        with pytest.raises(tunelab.StudyNotFoundError):
            client.get_study_id("nowhere")
        stranger = relay.client()
        stranger._key = b"not the key"
        with pytest.raises(connection.AuthenticationError):
            connection.Client(stranger._address, authkey=stranger._key)
        with pytest.raises(InvalidArgumentError, match=r"attribute 'f'=.* must be JSON-serialisable"):
            client.set_study_attr(0, "user", "f", lambda: 1)  # sent, and refused by the storage itself
        with pytest.raises(InvalidArgumentError, match=r"set_study_attr: an argument cannot be sent to the study "
                                                       r"process, where the storage lives \(TypeError: cannot pickle"):
            client.set_study_attr(0, "user", "lock", threading.Lock())
        assert client.get_all_studies() == storage.get_all_studies() == []
        ghost = types.ModuleType("tunelab_test_ghost_value")  # a value whose class the relay cannot import
        exec("class Value:\n    pass\n", ghost.__dict__)
        ghost.Value.__module__ = "tunelab_test_ghost_value"
        sys.modules["tunelab_test_ghost_value"] = ghost
        try:
            request = pickle.dumps(("set_study_attr", (0, "user", "v", ghost.Value()), {}))
        finally:
            del sys.modules["tunelab_test_ghost_value"]
        raw = connection.Client(client._address, authkey=client._key)
        raw.send_bytes(request)
        assert raw.poll(10), "the relay left the request unanswered"
        ok, error = pickle.loads(raw.recv_bytes())  # answered, not left waiting
        assert not ok and isinstance(error, ModuleNotFoundError) and "tunelab_test_ghost_value" in str(error)
        raw.close()
        assert client.get_all_studies() == []  # and the relay serves on
    finally:
        relay.close()


@pytest.mark.parametrize("check", storage_checks(), ids=str)
def test_a_relayed_in_memory_storage_passes_the_shipped_storage_checks(check):
    """What a worker sees through the relay behaves as the storage itself: same answers, same errors."""
    from tunelab.execution._relay import Relay

    relay = Relay(InMemoryStorage())

    def make(**options):
        if options:
            raise NotApplicable("the relay serves a storage with the heartbeat policy it was made with")
        return pickle.loads(pickle.dumps(relay.client()))  # another worker's view of the same storage

    try:
        check(make)
    except NotApplicable as reason:
        pytest.skip(str(reason))
    finally:
        relay.close()
