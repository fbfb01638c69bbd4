"""The storage contract, run on every backend: in memory, SQLite file, SQLite in memory, PostgreSQL."""

from __future__ import annotations

import math
import threading
import time

import pytest

from tunelab import DuplicatedStudyError, InvalidArgumentError, InvalidTypeError, StudyNotFoundError, TrialFinishedError
from tunelab._records import StudyDirection, TrialState
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storage import Finish

MIN = [StudyDirection.MINIMIZE]
X = FloatDistribution(-1.0, 1.0)
N = IntDistribution(1, 9)
C = CategoricalDistribution(["a", "b"])


def in_threads(target, args_per_thread) -> None:
    """Run ``target`` once per argument tuple, all at once, and wait for every thread."""
    threads = [threading.Thread(target=target, args=args) for args in args_per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_studies_are_created_listed_refused_twice_and_deleted(make_storage):
    s = make_storage()
    a = s.create_study("a", MIN)
    b = s.create_study("b", [StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE])
    assert s.get_study_id("a") == a and s.get_study_name(b) == "b"
    assert s.get_study_directions(b) == (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE)
    with pytest.raises(DuplicatedStudyError, match="'a' already exists"):
        s.create_study("a", MIN)
    s.create_trial(a)
    assert [(x.study_name, x.n_trials) for x in s.get_all_studies()] == [("a", 1), ("b", 0)]
    s.delete_study(a)
    assert [x.study_name for x in s.get_all_studies()] == ["b"]
    with pytest.raises(StudyNotFoundError, match="no study named 'a'"):
        s.get_study_id("a")
    with pytest.raises(StudyNotFoundError, match=f"no study with id {a}"):
        s.delete_study(a)
    again = s.create_study("a", MIN)  # the name is free again
    assert again != b and s.get_study_id("a") == again and s.get_study_directions(again) == tuple(MIN)


def test_study_attrs_round_trip_as_json_and_bad_values_name_the_key(make_storage):
    s = make_storage()
    sid = s.create_study("s", MIN)
    s.set_study_attr(sid, "user", "cfg", {"layers": [1, 2], "lr": 0.1, "name": None})
    s.set_study_attr(sid, "user", "cfg", {"layers": [3]})  # overwrite
    s.set_study_attr(sid, "system", "k", 1)
    assert s.get_study_attrs(sid, "user") == {"cfg": {"layers": [3]}}
    assert s.get_study_attrs(sid, "system") == {"k": 1}
    with pytest.raises(InvalidArgumentError, match=r"attribute 'bad'=.* must be JSON-serialisable"):
        s.set_study_attr(sid, "user", "bad", object())
    with pytest.raises(InvalidArgumentError, match="kind='other' is invalid"):
        s.set_study_attr(sid, "other", "k", 1)
    assert s.get_all_studies()[0].user_attrs == {"cfg": {"layers": [3]}}


def test_trial_numbers_count_up_per_study_under_concurrent_writers(make_storage):
    first = make_storage()
    a = first.create_study("a", MIN)
    b = first.create_study("b", MIN)
    numbers: list[int] = []
    lock = threading.Lock()

    def writer() -> None:
        storage = make_storage()  # another object, as another process would have
        for _ in range(15):
            number = storage.create_trial(a).number
            with lock:
                numbers.append(number)

    in_threads(writer, [()] * 4)
    assert sorted(numbers) == list(range(60))
    assert first.create_trial(b).number == 0
    assert [t.number for t in first.get_all_trials(a)] == list(range(60))


def _running_with_everything(s):
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid).trial_id
    s.set_trial_params(tid, {"x": (0.5, X)})
    s.set_trial_intermediate_value(tid, 0, 1.0)
    s.set_trial_attr(tid, "user", "u", [1])
    return sid, tid


def test_a_finished_trial_never_changes(make_storage):
    s = make_storage()
    sid, tid = _running_with_everything(s)
    s.finish_trial(tid, TrialState.COMPLETE, (0.25,), params={"n": (3, N)}, system_attrs={"why": "done"})
    before = s.get_trial(tid)
    writes = [
        lambda: s.set_trial_params(tid, {"x": (0.1, X)}),
        lambda: s.set_trial_intermediate_value(tid, 1, 2.0),
        lambda: s.set_trial_attr(tid, "user", "u", [2]),
        lambda: s.set_trial_attr(tid, "system", "k", 1),
        lambda: s.finish_trial(tid, TrialState.FAIL),
        lambda: s.finish_trial(tid, TrialState.COMPLETE, (9.0,), params={"x": (0.9, X)}),
    ]
    for write in writes:
        with pytest.raises(TrialFinishedError, match="trial 0 is already COMPLETE"):
            write()
    assert make_storage().get_trial(tid) == before
    assert before.params == {"x": 0.5, "n": 3} and before.values == (0.25,)
    assert before.system_attrs == {"why": "done"} and before.user_attrs == {"u": [1]}


class _Unstorable(FloatDistribution):
    """A distribution that fails when the storage converts it."""

    def __init__(self):
        super().__init__(0.0, 1.0)

    def to_external(self, value):
        raise RuntimeError("cannot convert")

    def to_json(self):
        raise RuntimeError("cannot convert")


def test_finish_trial_writes_everything_or_nothing(make_storage):
    s = make_storage()
    sid, tid = _running_with_everything(s)
    before = s.get_trial(tid)
    with pytest.raises(RuntimeError, match="cannot convert"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N), "z": (0.0, _Unstorable())},
                       system_attrs={"why": "x"})
    with pytest.raises(InvalidTypeError, match="distribution of 'z'=1 .* must be a tunelab.space distribution"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N), "z": (0.0, 1)})
    with pytest.raises(InvalidArgumentError, match="attribute 'bad'"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N)}, system_attrs={"bad": {1, 2}})
    assert make_storage().get_trial(tid) == before  # still RUNNING, nothing half-written
    s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N), "c": (1, C)}, system_attrs={"why": "x"})
    after = make_storage().get_trial(tid)
    assert (after.state, after.values, after.params) == (TrialState.COMPLETE, (1.0,), {"x": 0.5, "n": 3, "c": "b"})
    assert after.system_attrs == {"why": "x"} and after.datetime_complete is not None


def test_finish_and_start_finishes_one_trial_then_starts_the_next_or_neither(make_storage):
    s = make_storage()
    sid, tid = _running_with_everything(s)
    s.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"x": 0.1}})  # number 1
    [nxt] = s.finish_and_start_many([Finish(tid, TrialState.COMPLETE, (0.5,), params={"n": (3, N)},
                                            system_attrs={"why": "ok"})], study_id=sid)
    done = make_storage().get_trial(tid)
    assert (done.state, done.values, done.params, done.system_attrs) == (
        TrialState.COMPLETE, (0.5,), {"x": 0.5, "n": 3}, {"why": "ok"})
    # the enqueued trial is claimed first, read whole; then new trials are numbered on
    assert (nxt.number, nxt.state, nxt.fixed_params, nxt.system_attrs) == (1, TrialState.RUNNING, {"x": 0.1}, {})
    [third] = s.finish_and_start_many([Finish(nxt.trial_id, TrialState.PRUNED)], study_id=sid)
    assert (third.number, third.state) == (2, TrialState.RUNNING)
    assert make_storage().get_trial(nxt.trial_id).state == TrialState.PRUNED
    assert s.finish_and_start_many([Finish(tid, TrialState.FAIL)], study_id=sid) == [None]  # refused
    assert make_storage().get_trial(tid) == done
    trials = make_storage().get_all_trials(sid)
    assert [(t.number, t.state) for t in trials] == [
        (0, TrialState.COMPLETE), (1, TrialState.PRUNED), (2, TrialState.RUNNING)]  # nothing started by the refusal


def test_finish_and_start_numbers_stay_unique_under_concurrent_writers(make_storage):
    s = make_storage()
    sid = s.create_study("s", MIN)
    firsts = [s.create_trial(sid).trial_id for _ in range(4)]
    numbers: list[int] = []

    def chain(trial_id: int) -> None:
        storage = make_storage()
        for _ in range(10):
            [started] = storage.finish_and_start_many([Finish(trial_id, TrialState.COMPLETE, (1.0,))], study_id=sid)
            trial_id = started.trial_id
            numbers.append(storage.get_trial(trial_id).number)

    in_threads(chain, [(t,) for t in firsts])
    trials = make_storage().get_all_trials(sid)
    assert sorted(numbers) == list(range(4, 44))
    assert [t.number for t in trials] == list(range(44))
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 40


def test_finish_and_start_many_starts_one_trial_per_finish_and_none_for_a_refused_one(make_storage):
    s = make_storage()
    sid = s.create_study("s", MIN)
    a, b, c = (s.create_trial(sid).trial_id for _ in range(3))
    s.finish_trial(b, TrialState.COMPLETE, (0.0,))  # told by someone else first
    started = s.finish_and_start_many([
        Finish(a, TrialState.COMPLETE, (1.0,), params={"n": (3, N)}),
        Finish(b, TrialState.FAIL, system_attrs={"why": "late"}),
        Finish(c, TrialState.PRUNED, (2.0,)),
    ], study_id=sid)
    assert [None if t is None else (t.number, t.state) for t in started] == [
        (3, TrialState.RUNNING), None, (4, TrialState.RUNNING)]
    got = {t.number: t for t in make_storage().get_all_trials(sid)}
    assert (got[0].state, got[0].values, got[0].params) == (TrialState.COMPLETE, (1.0,), {"n": 3})
    assert (got[1].state, got[1].values, got[1].system_attrs) == (TrialState.COMPLETE, (0.0,), {})  # left as it was
    assert (got[2].state, got[2].values) == (TrialState.PRUNED, (2.0,))
    assert sorted(got) == [0, 1, 2, 3, 4]


def test_intermediate_values_keep_nan_and_infinities_and_steps_overwrite(make_storage):
    s = make_storage()
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid).trial_id
    for step, value in [(0, 1.5), (1, math.nan), (2, math.inf), (3, -math.inf), (0, 0.5)]:
        s.set_trial_intermediate_value(tid, step, value)
    got = make_storage().get_trial(tid).intermediate_values
    assert got[0] == 0.5 and math.isnan(got[1]) and got[2] == math.inf and got[3] == -math.inf
    assert list(got) == [0, 1, 2, 3]


def test_trial_attrs_are_json_and_bad_ones_refused_naming_the_key(make_storage):
    s = make_storage()
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid, user_attrs={"a": {"b": [1, 2.5, None]}}).trial_id
    s.set_trial_attr(tid, "user", "a", "replaced")
    s.set_trial_attr(tid, "system", "cfg", {"k": True})
    with pytest.raises(InvalidArgumentError, match=r"attribute 'fn'=.* must be JSON-serialisable"):
        s.set_trial_attr(tid, "user", "fn", print)
    with pytest.raises(InvalidArgumentError, match="attribute 'when'"):
        s.create_trial(sid, user_attrs={"when": time})
    trial = make_storage().get_trial(tid)
    assert (trial.user_attrs, trial.system_attrs) == ({"a": "replaced"}, {"cfg": {"k": True}})
    assert [t.number for t in s.get_all_trials(sid)] == [0]  # the refused create wrote nothing


def test_waiting_trials_are_claimed_oldest_first_and_once(make_storage):
    s = make_storage()
    sid = s.create_study("s", MIN)
    s.create_trial(sid)  # RUNNING, not claimable
    for i in range(3):
        s.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"i": i}})
    other = make_storage()
    claimed = [s.claim_waiting_trial(sid), other.claim_waiting_trial(sid), s.claim_waiting_trial(sid)]
    assert [t.fixed_params["i"] for t in claimed] == [0, 1, 2]
    assert all(t.state == TrialState.RUNNING and t.datetime_start is not None for t in claimed)
    assert s.claim_waiting_trial(sid) is None


def test_cached_trial_lists_follow_changes_made_by_another_storage_object(make_storage):
    reader, writer = make_storage(), make_storage()
    sid = reader.create_study("s", MIN)
    first = writer.create_trial(sid)
    writer.create_trial(sid, state=TrialState.WAITING)
    assert [t.state for t in reader.get_all_trials(sid)] == [TrialState.RUNNING, TrialState.WAITING]
    writer.set_trial_intermediate_value(first.trial_id, 0, 3.0)
    writer.finish_trial(first.trial_id, TrialState.COMPLETE, (3.0,), params={"x": (0.0, X)})
    writer.claim_waiting_trial(sid)
    writer.create_trial(sid)
    trials = reader.get_all_trials(sid)
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.RUNNING, TrialState.RUNNING]
    assert trials[0].params == {"x": 0.0} and trials[0].intermediate_values == {0: 3.0}
    assert [t.number for t in reader.get_all_trials(sid, states=[TrialState.RUNNING])] == [1, 2]
    assert reader.get_n_trials(sid, states=[TrialState.COMPLETE]) == 1


def test_a_lost_trial_is_failed_once_and_requeued_with_its_parameters(make_storage):
    if make_storage.kind == "memory":
        s = make_storage()
        sid = s.create_study("s", MIN)
        tid = s.create_trial(sid, params={"x": (0.5, X)}).trial_id
        assert s.fail_stale_trials(sid, 0.0) == []  # no heartbeats in one process's memory
        assert s.get_trial(tid).state == TrialState.RUNNING
        return
    s, other = make_storage(retries=1, heartbeat_interval=1), make_storage(retries=1, heartbeat_interval=1)
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid, params={"x": (0.5, X), "c": (1, C)}, user_attrs={"u": 1}).trial_id
    assert s.fail_lost_trial(tid, "its worker died") == (0, 1)
    assert other.fail_lost_trial(tid, "its worker died") is None  # failed once only
    failed, retry = other.get_all_trials(sid)
    assert (failed.state, failed.fail_reason) == (TrialState.FAIL, "its worker died")
    assert retry.state == TrialState.WAITING and retry.user_attrs == {"u": 1}
    assert (retry.fixed_params, retry.retry_of, retry.retry_count, retry.system_attrs) == ({"x": 0.5, "c": "b"}, 0, 1, {})
    again = other.claim_waiting_trial(sid)
    assert other.fail_lost_trial(again.trial_id, "died again") == (1, None)  # retries spent


def test_trials_without_heartbeat_are_failed_after_the_grace_period(make_storage):
    if make_storage.kind == "memory":
        pytest.skip("in-memory storages live and die with their one process: no heartbeats")
    alive = make_storage(heartbeat_interval=0.1, grace_period=1.0, retries=1)
    dead = make_storage(heartbeat_interval=0.1, grace_period=1.0)
    sid = alive.create_study("s", MIN)
    kept = alive.create_trial(sid)
    lost = dead.create_trial(sid, params={"x": (0.25, X)})
    dead.stop_heartbeat(lost.trial_id)  # as if its process had been killed
    assert alive.fail_stale_trials(sid) == []
    time.sleep(1.5)
    claimed = alive.claim_waiting_trial(sid)  # every ask sweeps first, then claims the retry
    assert claimed is not None and claimed.retry_of == lost.number
    assert claimed.params == {} and claimed.fixed_params == {"x": 0.25}
    states = {t.number: t.state for t in alive.get_all_trials(sid)}
    assert states == {kept.number: TrialState.RUNNING, lost.number: TrialState.FAIL, 2: TrialState.RUNNING}
    assert "no heartbeat for more than 1 s" in alive.get_trial(lost.trial_id).fail_reason


def test_heartbeat_options_are_validated():
    from tunelab.storage import SQLStorage

    with pytest.raises(InvalidArgumentError, match="heartbeat_interval=0 is invalid"):
        SQLStorage("sqlite://", heartbeat_interval=0)
    with pytest.raises(InvalidArgumentError, match="grace_period=1 is invalid: must be longer than"):
        SQLStorage("sqlite://", heartbeat_interval=2, grace_period=1)
    with pytest.raises(InvalidArgumentError, match="retries=-1 is invalid"):
        SQLStorage("sqlite://", heartbeat_interval=1, retries=-1)
    with pytest.raises(InvalidArgumentError, match="need heartbeats: give heartbeat_interval"):
        SQLStorage("sqlite://", retries=2)


def test_concurrent_writers_of_one_study_attribute_do_not_collide(make_storage):
    sid = make_storage().create_study("s", MIN)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        storage = make_storage()
        try:
            for j in range(15):
                storage.set_study_attr(sid, "system", "shared", [i, j])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    in_threads(writer, [(i,) for i in range(4)])
    assert errors == []
    assert make_storage().get_study_attrs(sid, "system")["shared"][1] == 14


@pytest.mark.parametrize("bad", ["x" * 513, "a\x00b", ""], ids=["513 characters", "NUL", "empty"])
def test_names_no_backend_could_store_are_refused_before_anything_is_written(make_storage, bad):
    # PostgreSQL refused these at tell time only (after the trial had run), SQLite stored them
    s = make_storage()
    with pytest.raises(InvalidArgumentError, match="study_name=.* is invalid: must be a string of 1 to 512"):
        s.create_study(bad, [StudyDirection.MINIMIZE])
    sid = s.create_study("s", [StudyDirection.MINIMIZE])
    tid = s.start_trial(sid).trial_id
    with pytest.raises(InvalidArgumentError, match="name=.* is invalid: must be a string of 1 to 512"):
        s.set_trial_params(tid, {bad: (0.5, FloatDistribution(0, 1))})
    with pytest.raises(InvalidArgumentError, match="key=.* is invalid: must be a string of 1 to 512"):
        s.set_trial_attr(tid, "user", bad, 1)
    with pytest.raises(InvalidArgumentError, match="key=.* is invalid"):
        s.set_study_attr(sid, "user", bad, 1)
    with pytest.raises(InvalidArgumentError, match="name=.* is invalid"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={bad: (0.5, FloatDistribution(0, 1))})
    assert make_storage().get_trial(tid).state == TrialState.RUNNING  # nothing written: it can still finish
    s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"x" * 512: (0.5, FloatDistribution(0, 1))})
    assert list(make_storage().get_trial(tid).params) == ["x" * 512]


def test_values_and_reports_a_backend_cannot_hold_are_refused(make_storage):
    s = make_storage()
    sid = s.create_study("s", [StudyDirection.MINIMIZE])
    tid = s.start_trial(sid).trial_id
    with pytest.raises(InvalidArgumentError, match="step=-1 is invalid: must be an integer from 0 to"):
        s.set_trial_intermediate_value(tid, -1, 1.0)
    with pytest.raises(InvalidArgumentError, match=r"step=9223372036854775808 is invalid"):
        s.set_trial_intermediate_value(tid, 2**63, 1.0)
    with pytest.raises(InvalidArgumentError, match="value=.* is invalid: must be a real number within the float"):
        s.set_trial_intermediate_value(tid, 0, 10**400)
    with pytest.raises(InvalidArgumentError, match=r"values=\(nan,\) is invalid: must be real numbers \(not NaN\)"):
        s.finish_trial(tid, TrialState.COMPLETE, (math.nan,))
    with pytest.raises(InvalidArgumentError, match="internal value of 'x'=inf is invalid: must be a finite number"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"x": (math.inf, FloatDistribution(0, 1))})
    with pytest.raises(InvalidArgumentError, match="state=TrialState.RUNNING is invalid: must be COMPLETE"):
        s.finish_trial(tid, TrialState.RUNNING)
    s.set_trial_intermediate_value(tid, 2**63 - 1, math.inf)
    s.finish_trial(tid, TrialState.COMPLETE, (-math.inf,))
    done = make_storage().get_trial(tid)
    assert (done.values, done.intermediate_values) == ((-math.inf,), {2**63 - 1: math.inf})


def test_an_interrupted_trial_is_failed_and_requeued_whatever_its_retries(make_storage):
    s = make_storage()
    sid = s.create_study("s", [StudyDirection.MINIMIZE])
    s.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"y": 2}})
    trial = s.start_trial(sid)
    s.set_trial_params(trial.trial_id, {"x": (0.5, FloatDistribution(0, 1))})
    s.set_trial_attr(trial.trial_id, "user", "note", "kept")
    assert s.fail_trial(trial.trial_id, "interrupted (Ctrl-C)", max_retries=None) == (0, 1)
    assert s.fail_trial(trial.trial_id, "interrupted again", max_retries=None) is None  # finished: untouched
    retry = s.start_trial(sid)
    assert (retry.number, retry.fixed_params, retry.retry_of, retry.retry_count, retry.user_attrs) == (
        1, {"y": 2, "x": 0.5}, 0, 1, {"note": "kept"})
    assert s.fail_trial(retry.trial_id, "interrupted", max_retries=1) == (1, None)  # re-queued once already
    failed = make_storage().get_trial(trial.trial_id)
    assert (failed.state, failed.fail_reason) == (TrialState.FAIL, "interrupted (Ctrl-C)")
