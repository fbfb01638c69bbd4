"""Dask and Ray clusters as users start them, driving a study on PostgreSQL: a worker killed
mid-trial and a worker added mid-study lose, strand and duplicate nothing.

The study runs in a driver process (``executor=`` a scheduler address for Dask, ``"ray"`` with
``RAY_ADDRESS`` for Ray); the cluster is started beside it: a ``LocalCluster`` with separate worker
processes, or ``ray start --head`` joined by address. Each trial notes the process and worker that
ran it (``objectives.on_a_cluster``), so the test can kill the process running a trial and see
where the remaining trials went.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid

import pytest

import tunelab
from tests.execution.checks import assert_clean, completed
from tests.execution.drivers import kill_group, python, wait_for
from tests.faults.procs import child_env, group_gone

N_TRIALS = 10

DRIVER = """
    import sys, tunelab
    from tests.execution import objectives
    if __name__ == "__main__":
        url, name, executor, jobs = sys.argv[1:5]
        study = tunelab.load_study(study_name=name, storage=url)
        study.optimize(objectives.on_a_cluster, n_trials=int(sys.argv[5]), n_jobs=int(jobs), executor=executor)
"""


def _study(url: str, tmp_path) -> tuple[str, str]:
    """A new study on ``url`` whose trials leave their marks in a fresh directory: (name, directory)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    name = f"cluster-{uuid.uuid4().hex[:8]}"
    tunelab.create_study(study_name=name, storage=url).set_user_attr("marks", str(marks))
    return name, str(marks)


def _marks(marks: str) -> list[tuple[int, int]]:
    """(trial number, pid) of every trial started so far."""
    return [tuple(int(p) for p in name.split(".")) for name in os.listdir(marks)]


def _check(url: str, name: str, killed: tuple[int, int]) -> list:
    """No trial lost, stuck or duplicated; the study reached its count; the killed trial was run
    again (by the engine, as the same trial, or by tunelab, as its retry)."""
    trials = assert_clean(tunelab.load_study(study_name=name, storage=url))
    assert len(completed(trials)) == N_TRIALS, [(t.number, t.state.name, t.fail_reason) for t in trials]
    number, pid = killed
    victim = trials[number]
    if victim.state == tunelab.TrialState.COMPLETE:
        assert victim.user_attrs["pid"] != pid  # finished by another process than the one killed
    else:
        assert victim.state == tunelab.TrialState.FAIL
        assert any(t.retry_of == number and t.state == tunelab.TrialState.COMPLETE for t in trials)
    return trials


@pytest.mark.timeout(400)
def test_dask_local_cluster_by_address_survives_a_killed_worker_and_uses_an_added_one(pg_url, tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask is not installed (extra 'dask')")
    name, marks = _study(pg_url, tmp_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  worker_dashboard_address=None) as cluster:
        # 4 jobs on 2 single-thread workers: two trials wait at the scheduler for a free worker
        driver = python(DRIVER, pg_url, name, cluster.scheduler_address, "4", str(N_TRIALS))
        try:
            killed = wait_for(lambda: _marks(marks), 60, "a first trial", proc=driver)[0]
            os.kill(killed[1], signal.SIGKILL)  # its nanny starts a new worker process
            cluster.scale(3)  # the new worker (named 2) takes the trials waiting at the scheduler
            out, err = driver.communicate(timeout=240)
        finally:
            kill_group(driver.pid)
        assert driver.returncode == 0, err[-3000:]
    trials = _check(pg_url, name, killed)
    assert "2" in {t.user_attrs["worker"] for t in completed(trials)}


#: A cluster of this test only, on this machine: no token (Ray's token authentication is for shared networks).
RAY_ENV = {"RAY_AUTH_MODE": "disabled"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_node(ray_bin: str, *args: str) -> subprocess.Popen:
    """``ray start ... --block`` in its own process group (ended by killing the group)."""
    return subprocess.Popen([ray_bin, "start", "--block", "--disable-usage-stats", *args], env=child_env(**RAY_ENV),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stop(node: subprocess.Popen) -> None:
    """End a ``ray start --block`` node and every process it started."""
    if node.poll() is None:
        os.killpg(node.pid, signal.SIGTERM)  # ray start --block stops its processes on SIGTERM
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    kill_group(node.pid)
    wait_for(lambda: group_gone(node.pid), 30, "the Ray node's processes to end")


def _ray_ready(ray_bin: str, address: str, cpus: int) -> bool:
    status = subprocess.run([ray_bin, "status", f"--address={address}"], env=child_env(**RAY_ENV), capture_output=True,
                            text=True, timeout=60)
    return status.returncode == 0 and f"/{cpus}.0 CPU" in status.stdout


@pytest.mark.timeout(400)
def test_ray_cluster_started_by_address_survives_a_killed_worker_and_uses_an_added_node(pg_url, tmp_path):
    pytest.importorskip("ray", reason="ray is not installed (extra 'ray')")
    ray_bin = shutil.which("ray", path=os.path.dirname(sys.executable))
    assert ray_bin, "the ray extra is installed but its `ray` command is not beside this Python"
    name, marks = _study(pg_url, tmp_path)
    address = f"127.0.0.1:{_free_port()}"
    # the cluster's files (its address record included) in a folder of its own, gone after the test, so
    # a later ray.init() on this machine does not look for this cluster; short: Ray's sockets live there
    temp = tempfile.mkdtemp(prefix="tl-ray-", dir="/tmp")
    head = _ray_node(ray_bin, "--head", f"--port={address.split(':')[1]}", "--num-cpus=1",
                     "--include-dashboard=false", f"--temp-dir={temp}")
    nodes = [head]
    driver = None
    try:
        wait_for(lambda: _ray_ready(ray_bin, address, 1), 120, "the Ray head node", proc=head)
        driver = subprocess.Popen([sys.executable, "-c", textwrap.dedent(DRIVER), pg_url, name, "ray", "3", str(N_TRIALS)],
                                  env=child_env(RAY_ADDRESS=address, **RAY_ENV), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        killed = wait_for(lambda: _marks(marks), 120, "a first trial", proc=driver)[0]
        os.kill(killed[1], signal.SIGKILL)  # Ray runs the task again on a new worker process
        nodes.append(_ray_node(ray_bin, f"--address={address}", "--num-cpus=2"))
        wait_for(lambda: _ray_ready(ray_bin, address, 3), 120, "the added Ray node", proc=nodes[-1])
        out, err = driver.communicate(timeout=300)
        assert driver.returncode == 0, err[-3000:]
    finally:
        if driver is not None:
            kill_group(driver.pid)
        for node in reversed(nodes):
            _stop(node)
        shutil.rmtree(temp, ignore_errors=True)
    trials = _check(pg_url, name, killed)
    assert len({t.user_attrs["worker"] for t in completed(trials)}) == 2  # both nodes ran trials
