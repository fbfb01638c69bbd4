"""DaskStorage: one storage in a Dask actor that every worker's study.optimize writes to."""

from __future__ import annotations

import pickle

import pytest

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (extra 'dask')")

import tunelab  # noqa: E402
from tunelab import DuplicatedStudyError  # noqa: E402
from tunelab.integration.dask import DaskStorage  # noqa: E402
from tunelab.study import StudyDirection, TrialState  # noqa: E402
from tunelab.testing import check_storage  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.Client(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as client:
        yield client


def _objective(trial):
    return trial.suggest_float("x", -1, 1) ** 2


def test_optunas_dask_pattern_runs_unchanged(client):
    storage = tunelab.integration.DaskStorage()
    study = tunelab.create_study(storage=storage, sampler=tunelab.samplers.RandomSampler(seed=0))
    futures = [client.submit(study.optimize, _objective, n_trials=3, pure=False) for _ in range(2)]
    distributed.wait(futures)
    for future in futures:
        future.result()
    assert [t.number for t in study.trials] == list(range(6))
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}


def test_a_name_reaches_the_same_storage_and_errors_come_back_as_they_are(client):
    first = DaskStorage(name="shared-test")
    first.create_study("s", [StudyDirection.MINIMIZE])
    again = DaskStorage(name="shared-test", client=client)
    assert again.get_study_id("s") == 0
    with pytest.raises(DuplicatedStudyError, match="'s' already exists"):
        again.create_study("s", [StudyDirection.MINIMIZE])
    copy = pickle.loads(pickle.dumps(first))
    assert copy.get_study_name(0) == "s" and repr(copy) == "DaskStorage(name='shared-test')"


def test_a_storage_url_is_held_by_the_actor(client, tmp_path):
    storage = DaskStorage(f"sqlite:///{tmp_path / 'held.db'}")
    storage.create_study("on-disk", [StudyDirection.MAXIMIZE])
    assert [s.study_name for s in tunelab.get_all_study_summaries(f"sqlite:///{tmp_path / 'held.db'}")] == ["on-disk"]


def test_dask_storage_passes_the_shipped_storage_checks(client):
    check_storage(lambda: (lambda shared: lambda **options: shared)(DaskStorage()))


def test_arguments_are_refused_by_name(client):
    with pytest.raises(tunelab.InvalidTypeError, match="storage=3 .* is invalid for DaskStorage"):
        DaskStorage(3)
    with pytest.raises(tunelab.InvalidArgumentError, match="name='' is invalid for DaskStorage"):
        DaskStorage(name="")
