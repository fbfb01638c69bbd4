"""The storage checks: the contract every :class:`~tunelab.storage.Storage` backend keeps.

Each check gets ``make_storage``, a factory of storage objects on one fresh, empty database:
every call returns an object on the same data (another process would hold another object), and
keyword options of the heartbeat policy (``heartbeat_interval``, ``grace_period``, ``retries``)
are passed on to it. A backend without heartbeats (one that lives in one process's memory)
skips the liveness checks: they raise :class:`~tunelab.testing.NotApplicable` for it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from tunelab import DuplicatedStudyError, InvalidArgumentError, InvalidTypeError, StudyNotFoundError, TrialFinishedError
from tunelab._records import StudyDirection, TrialState
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storage import Finish
from tunelab.testing._checks import Check, NotApplicable, equal, expect, raises

MakeStorage = Callable[..., Any]

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


def _with_heartbeats(make_storage: MakeStorage, **options: Any) -> Any:
    """``make_storage(**options)``; the check does not apply to a storage without heartbeats."""
    storage = make_storage(**options)
    if storage.liveness is None:
        raise NotApplicable("this storage has no heartbeats (it lives and dies with one process)")
    return storage


def check_studies_are_created_listed_refused_twice_and_deleted(make_storage: MakeStorage) -> None:
    """Studies are created listed refused twice and deleted."""
    s = make_storage()
    a = s.create_study("a", MIN)
    b = s.create_study("b", [StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE])
    expect(
        s.get_study_id("a") == a and s.get_study_name(b) == "b",
        "s.get_study_id('a') == a and s.get_study_name(b) == 'b'",
    )
    equal(s.get_study_directions(b), (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE), "s.get_study_directions(b)")
    with raises(DuplicatedStudyError, match="'a' already exists"):
        s.create_study("a", MIN)
    s.create_trial(a)
    equal(
        [(x.study_name, x.n_trials) for x in s.get_all_studies()],
        [("a", 1), ("b", 0)],
        "[(x.study_name, x.n_trials) for x in s.get_all_studies()]",
    )
    s.delete_study(a)
    equal([x.study_name for x in s.get_all_studies()], ["b"], "[x.study_name for x in s.get_all_studies()]")
    with raises(StudyNotFoundError, match="no study named 'a'"):
        s.get_study_id("a")
    with raises(StudyNotFoundError, match=f"no study with id {a}"):
        s.delete_study(a)
    again = s.create_study("a", MIN)  # the name is free again
    expect(
        again != b and s.get_study_id("a") == again and s.get_study_directions(again) == tuple(MIN),
        "again != b and s.get_study_id('a') == again and s.get_study_directions(again) == tuple(MIN)",
    )


def check_study_attrs_round_trip_as_json_and_bad_values_name_the_key(make_storage: MakeStorage) -> None:
    """Study attrs round trip as json and bad values name the key."""
    s = make_storage()
    sid = s.create_study("s", MIN)
    s.set_study_attr(sid, "user", "cfg", {"layers": [1, 2], "lr": 0.1, "name": None})
    s.set_study_attr(sid, "user", "cfg", {"layers": [3]})  # overwrite
    s.set_study_attr(sid, "system", "k", 1)
    equal(s.get_study_attrs(sid, "user"), {"cfg": {"layers": [3]}}, "s.get_study_attrs(sid, 'user')")
    equal(s.get_study_attrs(sid, "system"), {"k": 1}, "s.get_study_attrs(sid, 'system')")
    with raises(InvalidArgumentError, match=r"attribute 'bad'=.* must be JSON-serialisable"):
        s.set_study_attr(sid, "user", "bad", object())
    with raises(InvalidArgumentError, match="kind='other' is invalid"):
        s.set_study_attr(sid, "other", "k", 1)
    equal(s.get_all_studies()[0].user_attrs, {"cfg": {"layers": [3]}}, "s.get_all_studies()[0].user_attrs")


def check_trial_numbers_count_up_per_study_under_concurrent_writers(make_storage: MakeStorage) -> None:
    """Trial numbers count up per study under concurrent writers."""
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
    equal(sorted(numbers), list(range(60)), "sorted(numbers)")
    equal(first.create_trial(b).number, 0, "first.create_trial(b).number")
    equal([t.number for t in first.get_all_trials(a)], list(range(60)), "[t.number for t in first.get_all_trials(a)]")


def _running_with_everything(s):
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid).trial_id
    s.set_trial_params(tid, {"x": (0.5, X)})
    s.set_trial_intermediate_value(tid, 0, 1.0)
    s.set_trial_attr(tid, "user", "u", [1])
    return sid, tid


def check_a_finished_trial_never_changes(make_storage: MakeStorage) -> None:
    """A finished trial never changes."""
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
        with raises(TrialFinishedError, match="trial 0 is already COMPLETE"):
            write()
    equal(make_storage().get_trial(tid), before, "make_storage().get_trial(tid)")
    expect(
        before.params == {"x": 0.5, "n": 3} and before.values == (0.25,),
        "before.params == {'x': 0.5, 'n': 3} and before.values == (0.25,)",
    )
    expect(
        before.system_attrs == {"why": "done"} and before.user_attrs == {"u": [1]},
        "before.system_attrs == {'why': 'done'} and before.user_attrs == {'u': [1]}",
    )


class _Unstorable(FloatDistribution):
    """A distribution that fails when the storage converts it."""

    def __init__(self):
        super().__init__(0.0, 1.0)

    def to_external(self, value):
        raise RuntimeError("cannot convert")

    def to_json(self):
        raise RuntimeError("cannot convert")


def check_finish_trial_writes_everything_or_nothing(make_storage: MakeStorage) -> None:
    """Finish trial writes everything or nothing."""
    s = make_storage()
    sid, tid = _running_with_everything(s)
    before = s.get_trial(tid)
    with raises(RuntimeError, match="cannot convert"):
        s.finish_trial(
            tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N), "z": (0.0, _Unstorable())}, system_attrs={"why": "x"}
        )
    with raises(InvalidTypeError, match="distribution of 'z'=1 .* must be a tunelab.space distribution"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N), "z": (0.0, 1)})
    with raises(InvalidArgumentError, match="attribute 'bad'"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N)}, system_attrs={"bad": {1, 2}})
    equal(make_storage().get_trial(tid), before, "make_storage().get_trial(tid)")
    s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"n": (3, N), "c": (1, C)}, system_attrs={"why": "x"})
    after = make_storage().get_trial(tid)
    equal(
        (after.state, after.values, after.params),
        (TrialState.COMPLETE, (1.0,), {"x": 0.5, "n": 3, "c": "b"}),
        "(after.state, after.values, after.params)",
    )
    expect(
        after.system_attrs == {"why": "x"} and after.datetime_complete is not None,
        "after.system_attrs == {'why': 'x'} and after.datetime_complete is not None",
    )


def check_finish_and_start_finishes_one_trial_then_starts_the_next_or_neither(make_storage: MakeStorage) -> None:
    """Finish and start finishes one trial then starts the next or neither."""
    s = make_storage()
    sid, tid = _running_with_everything(s)
    s.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"x": 0.1}})  # number 1
    [nxt] = s.finish_and_start_many(
        [Finish(tid, TrialState.COMPLETE, (0.5,), params={"n": (3, N)}, system_attrs={"why": "ok"})], study_id=sid
    )
    done = make_storage().get_trial(tid)
    expect(
        (done.state, done.values, done.params, done.system_attrs)
        == (TrialState.COMPLETE, (0.5,), {"x": 0.5, "n": 3}, {"why": "ok"}),
        "(done.state, done.values, done.params, done.system_attrs) == (; TrialState.COMPLETE, (0.5,), {'x': 0.5, 'n': 3}, {'why': 'ok'})",
    )
    # the enqueued trial is claimed first, read whole; then new trials are numbered on
    equal(
        (nxt.number, nxt.state, nxt.fixed_params, nxt.system_attrs),
        (1, TrialState.RUNNING, {"x": 0.1}, {}),
        "(nxt.number, nxt.state, nxt.fixed_params, nxt.system_attrs)",
    )
    [third] = s.finish_and_start_many([Finish(nxt.trial_id, TrialState.PRUNED)], study_id=sid)
    equal((third.number, third.state), (2, TrialState.RUNNING), "(third.number, third.state)")
    equal(
        make_storage().get_trial(nxt.trial_id).state, TrialState.PRUNED, "make_storage().get_trial(nxt.trial_id).state"
    )
    equal(
        s.finish_and_start_many([Finish(tid, TrialState.FAIL)], study_id=sid),
        [None],
        "s.finish_and_start_many([Finish(tid, TrialState.FAIL)], study_id=sid)",
    )
    equal(make_storage().get_trial(tid), done, "make_storage().get_trial(tid)")
    trials = make_storage().get_all_trials(sid)
    expect(
        [(t.number, t.state) for t in trials]
        == [(0, TrialState.COMPLETE), (1, TrialState.PRUNED), (2, TrialState.RUNNING)],
        "nothing started by the refusal",
    )


def check_finish_and_start_numbers_stay_unique_under_concurrent_writers(make_storage: MakeStorage) -> None:
    """Finish and start numbers stay unique under concurrent writers."""
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
    equal(sorted(numbers), list(range(4, 44)), "sorted(numbers)")
    equal([t.number for t in trials], list(range(44)), "[t.number for t in trials]")
    equal(
        sum(t.state == TrialState.COMPLETE for t in trials), 40, "sum(t.state == TrialState.COMPLETE for t in trials)"
    )


def check_finish_and_start_many_starts_one_trial_per_finish_and_none_for_a_refused_one(
    make_storage: MakeStorage,
) -> None:
    """Finish and start many starts one trial per finish and none for a refused one."""
    s = make_storage()
    sid = s.create_study("s", MIN)
    a, b, c = (s.create_trial(sid).trial_id for _ in range(3))
    s.finish_trial(b, TrialState.COMPLETE, (0.0,))  # told by someone else first
    started = s.finish_and_start_many(
        [
            Finish(a, TrialState.COMPLETE, (1.0,), params={"n": (3, N)}),
            Finish(b, TrialState.FAIL, system_attrs={"why": "late"}),
            Finish(c, TrialState.PRUNED, (2.0,)),
        ],
        study_id=sid,
    )
    expect(
        [None if t is None else (t.number, t.state) for t in started]
        == [(3, TrialState.RUNNING), None, (4, TrialState.RUNNING)],
        "[None if t is None else (t.number, t.state) for t in started] == [; (3, TrialState.RUNNING), None, (4, TrialState.RUNNING)]",
    )
    got = {t.number: t for t in make_storage().get_all_trials(sid)}
    equal(
        (got[0].state, got[0].values, got[0].params),
        (TrialState.COMPLETE, (1.0,), {"n": 3}),
        "(got[0].state, got[0].values, got[0].params)",
    )
    equal(
        (got[1].state, got[1].values, got[1].system_attrs),
        (TrialState.COMPLETE, (0.0,), {}),
        "(got[1].state, got[1].values, got[1].system_attrs)",
    )
    equal((got[2].state, got[2].values), (TrialState.PRUNED, (2.0,)), "(got[2].state, got[2].values)")
    equal(sorted(got), [0, 1, 2, 3, 4], "sorted(got)")


def check_intermediate_values_keep_nan_and_infinities_and_steps_overwrite(make_storage: MakeStorage) -> None:
    """Intermediate values keep nan and infinities and steps overwrite."""
    s = make_storage()
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid).trial_id
    for step, value in [(0, 1.5), (1, math.nan), (2, math.inf), (3, -math.inf), (0, 0.5)]:
        s.set_trial_intermediate_value(tid, step, value)
    got = make_storage().get_trial(tid).intermediate_values
    expect(
        got[0] == 0.5 and math.isnan(got[1]) and got[2] == math.inf and got[3] == -math.inf,
        "got[0] == 0.5 and math.isnan(got[1]) and got[2] == math.inf and got[3] == -math.inf",
    )
    equal(list(got), [0, 1, 2, 3], "list(got)")


def check_trial_attrs_are_json_and_bad_ones_refused_naming_the_key(make_storage: MakeStorage) -> None:
    """Trial attrs are json and bad ones refused naming the key."""
    s = make_storage()
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid, user_attrs={"a": {"b": [1, 2.5, None]}}).trial_id
    s.set_trial_attr(tid, "user", "a", "replaced")
    s.set_trial_attr(tid, "system", "cfg", {"k": True})
    with raises(InvalidArgumentError, match=r"attribute 'fn'=.* must be JSON-serialisable"):
        s.set_trial_attr(tid, "user", "fn", print)
    with raises(InvalidArgumentError, match="attribute 'when'"):
        s.create_trial(sid, user_attrs={"when": time})
    trial = make_storage().get_trial(tid)
    equal(
        (trial.user_attrs, trial.system_attrs),
        ({"a": "replaced"}, {"cfg": {"k": True}}),
        "(trial.user_attrs, trial.system_attrs)",
    )
    equal([t.number for t in s.get_all_trials(sid)], [0], "[t.number for t in s.get_all_trials(sid)]")


def check_waiting_trials_are_started_oldest_first_and_once(make_storage: MakeStorage) -> None:
    """Waiting trials are started oldest first and once, then new trials are numbered on."""
    s = make_storage()
    sid = s.create_study("s", MIN)
    s.create_trial(sid)  # RUNNING, not claimable
    for i in range(3):
        s.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"i": i}})
    other = make_storage()
    claimed = [s.start_trial(sid), other.start_trial(sid), s.start_trial(sid)]
    equal([t.fixed_params["i"] for t in claimed], [0, 1, 2], "[t.fixed_params['i'] for t in claimed]")
    expect(
        all(t.state == TrialState.RUNNING and t.datetime_start is not None for t in claimed),
        "all(t.state == TrialState.RUNNING and t.datetime_start is not None for t in claimed)",
    )
    fresh = s.start_trial(sid)
    equal((fresh.number, fresh.fixed_params), (4, {}), "(fresh.number, fresh.fixed_params) of the next start")


def check_cached_trial_lists_follow_changes_made_by_another_storage_object(make_storage: MakeStorage) -> None:
    """Cached trial lists follow changes made by another storage object."""
    reader, writer = make_storage(), make_storage()
    sid = reader.create_study("s", MIN)
    first = writer.create_trial(sid)
    writer.create_trial(sid, state=TrialState.WAITING)
    equal(
        [t.state for t in reader.get_all_trials(sid)],
        [TrialState.RUNNING, TrialState.WAITING],
        "[t.state for t in reader.get_all_trials(sid)]",
    )
    writer.set_trial_intermediate_value(first.trial_id, 0, 3.0)
    writer.finish_trial(first.trial_id, TrialState.COMPLETE, (3.0,), params={"x": (0.0, X)})
    writer.start_trial(sid)
    writer.create_trial(sid)
    trials = reader.get_all_trials(sid)
    equal(
        [t.state for t in trials],
        [TrialState.COMPLETE, TrialState.RUNNING, TrialState.RUNNING],
        "[t.state for t in trials]",
    )
    expect(
        trials[0].params == {"x": 0.0} and trials[0].intermediate_values == {0: 3.0},
        "trials[0].params == {'x': 0.0} and trials[0].intermediate_values == {0: 3.0}",
    )
    equal(
        [t.number for t in reader.get_all_trials(sid, states=[TrialState.RUNNING])],
        [1, 2],
        "[t.number for t in reader.get_all_trials(sid, states=[TrialState.RUNNING])]",
    )
    equal(
        reader.get_n_trials(sid, states=[TrialState.COMPLETE]),
        1,
        "reader.get_n_trials(sid, states=[TrialState.COMPLETE])",
    )


def check_a_lost_trial_is_failed_once_and_requeued_with_its_parameters(make_storage: MakeStorage) -> None:
    """A lost trial is failed once and requeued with its parameters."""
    s = _with_heartbeats(make_storage, retries=1, heartbeat_interval=1)
    other = make_storage(retries=1, heartbeat_interval=1)
    sid = s.create_study("s", MIN)
    tid = s.create_trial(sid, params={"x": (0.5, X), "c": (1, C)}, user_attrs={"u": 1}).trial_id
    equal(s.fail_lost_trial(tid, "its worker died"), (0, 1), "s.fail_lost_trial(tid, 'its worker died')")
    expect(other.fail_lost_trial(tid, "its worker died") is None, "failed once only")
    failed, retry = other.get_all_trials(sid)
    equal(
        (failed.state, failed.fail_reason), (TrialState.FAIL, "its worker died"), "(failed.state, failed.fail_reason)"
    )
    expect(
        retry.state == TrialState.WAITING and retry.user_attrs == {"u": 1},
        "retry.state == TrialState.WAITING and retry.user_attrs == {'u': 1}",
    )
    equal(
        (retry.fixed_params, retry.retry_of, retry.retry_count, retry.system_attrs),
        ({"x": 0.5, "c": "b"}, 0, 1, {}),
        "(retry.fixed_params, retry.retry_of, retry.retry_count, retry.system_attrs)",
    )
    again = other.start_trial(sid)
    equal(
        other.fail_lost_trial(again.trial_id, "died again"),
        (1, None),
        "other.fail_lost_trial(again.trial_id, 'died again')",
    )


def check_trials_without_heartbeat_are_failed_after_the_grace_period(make_storage: MakeStorage) -> None:
    """Trials without heartbeat are failed after the grace period."""
    alive = _with_heartbeats(make_storage, heartbeat_interval=0.1, grace_period=1.0, retries=1)
    dead = make_storage(heartbeat_interval=0.1, grace_period=1.0)
    sid = alive.create_study("s", MIN)
    kept = alive.create_trial(sid)
    lost = dead.create_trial(sid, params={"x": (0.25, X)})
    dead.stop_heartbeat(lost.trial_id)  # as if its process had been killed
    equal(alive.fail_stale_trials(sid), [], "alive.fail_stale_trials(sid)")
    time.sleep(1.5)
    claimed = alive.start_trial(sid)  # every ask sweeps first, then starts the retry
    expect(
        claimed is not None and claimed.retry_of == lost.number,
        "claimed is not None and claimed.retry_of == lost.number",
    )
    expect(
        claimed.params == {} and claimed.fixed_params == {"x": 0.25},
        "claimed.params == {} and claimed.fixed_params == {'x': 0.25}",
    )
    states = {t.number: t.state for t in alive.get_all_trials(sid)}
    equal(states, {kept.number: TrialState.RUNNING, lost.number: TrialState.FAIL, 2: TrialState.RUNNING}, "states")
    expect(
        "no heartbeat for more than 1 s" in alive.get_trial(lost.trial_id).fail_reason,
        "'no heartbeat for more than 1 s' in alive.get_trial(lost.trial_id).fail_reason",
    )


def check_concurrent_writers_of_one_study_attribute_do_not_collide(make_storage: MakeStorage) -> None:
    """Concurrent writers of one study attribute do not collide."""
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
    equal(errors, [], "errors")
    equal(
        make_storage().get_study_attrs(sid, "system")["shared"][1],
        14,
        "make_storage().get_study_attrs(sid, 'system')['shared'][1]",
    )


def check_names_no_backend_could_store_are_refused_before_anything_is_written(make_storage: MakeStorage) -> None:
    """Names no backend could store (over 512 characters, NUL, empty) are refused before anything is written."""
    for i, bad in enumerate(["x" * 513, "a\x00b", ""]):
        _refuse_name(make_storage, bad, f"s{i}")


def _refuse_name(make_storage, bad, study):
    # PostgreSQL refused these at tell time only (after the trial had run), SQLite stored them
    s = make_storage()
    with raises(InvalidArgumentError, match="study_name=.* is invalid: must be a string of 1 to 512"):
        s.create_study(bad, [StudyDirection.MINIMIZE])
    sid = s.create_study(study, [StudyDirection.MINIMIZE])
    tid = s.start_trial(sid).trial_id
    with raises(InvalidArgumentError, match="name=.* is invalid: must be a string of 1 to 512"):
        s.set_trial_params(tid, {bad: (0.5, FloatDistribution(0, 1))})
    with raises(InvalidArgumentError, match="key=.* is invalid: must be a string of 1 to 512"):
        s.set_trial_attr(tid, "user", bad, 1)
    with raises(InvalidArgumentError, match="key=.* is invalid"):
        s.set_study_attr(sid, "user", bad, 1)
    with raises(InvalidArgumentError, match="name=.* is invalid"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={bad: (0.5, FloatDistribution(0, 1))})
    equal(make_storage().get_trial(tid).state, TrialState.RUNNING, "make_storage().get_trial(tid).state")
    s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"x" * 512: (0.5, FloatDistribution(0, 1))})
    equal(list(make_storage().get_trial(tid).params), ["x" * 512], "list(make_storage().get_trial(tid).params)")


def check_values_and_reports_a_backend_cannot_hold_are_refused(make_storage: MakeStorage) -> None:
    """Values and reports a backend cannot hold are refused."""
    s = make_storage()
    sid = s.create_study("s", [StudyDirection.MINIMIZE])
    tid = s.start_trial(sid).trial_id
    with raises(InvalidArgumentError, match=r"step=-1 is invalid: must be an integer in \[0, 9223372036854775807\]"):
        s.set_trial_intermediate_value(tid, -1, 1.0)
    with raises(InvalidArgumentError, match=r"step=9223372036854775808 is invalid"):
        s.set_trial_intermediate_value(tid, 2**63, 1.0)
    with raises(InvalidArgumentError, match="value=.* is invalid: must be a real number within the float"):
        s.set_trial_intermediate_value(tid, 0, 10**400)
    with raises(InvalidArgumentError, match=r"values\[0\]=nan is invalid: must be a number"):
        s.finish_trial(tid, TrialState.COMPLETE, (math.nan,))
    with raises(InvalidArgumentError, match="internal value of 'x'=inf is invalid: must be a finite number"):
        s.finish_trial(tid, TrialState.COMPLETE, (1.0,), params={"x": (math.inf, FloatDistribution(0, 1))})
    with raises(InvalidArgumentError, match="state=TrialState.RUNNING is invalid: must be COMPLETE"):
        s.finish_trial(tid, TrialState.RUNNING)
    s.set_trial_intermediate_value(tid, 2**63 - 1, math.inf)
    s.finish_trial(tid, TrialState.COMPLETE, (-math.inf,))
    done = make_storage().get_trial(tid)
    equal(
        (done.values, done.intermediate_values),
        ((-math.inf,), {2**63 - 1: math.inf}),
        "(done.values, done.intermediate_values)",
    )


def check_an_interrupted_trial_is_failed_and_requeued_whatever_its_retries(make_storage: MakeStorage) -> None:
    """An interrupted trial is failed and requeued whatever its retries."""
    s = make_storage()
    sid = s.create_study("s", [StudyDirection.MINIMIZE])
    s.create_trial(sid, state=TrialState.WAITING, core={"fixed_params": {"y": 2}})
    trial = s.start_trial(sid)
    s.set_trial_params(trial.trial_id, {"x": (0.5, FloatDistribution(0, 1))})
    s.set_trial_attr(trial.trial_id, "user", "note", "kept")
    drawn = {"z": (0.25, FloatDistribution(0, 1))}  # drawn, not stored yet: stored with the failure
    equal(
        s.fail_trial(trial.trial_id, "interrupted (Ctrl-C)", max_retries=None, params=drawn),
        (0, 1),
        "s.fail_trial(trial.trial_id, 'interrupted (Ctrl-C)', max_retries=None, params=drawn)",
    )
    expect(s.fail_trial(trial.trial_id, "interrupted again", max_retries=None) is None, "finished: untouched")
    retry = s.start_trial(sid)
    equal(
        (retry.number, retry.fixed_params, retry.retry_of, retry.retry_count, retry.user_attrs),
        (1, {"y": 2, "x": 0.5, "z": 0.25}, 0, 1, {"note": "kept"}),
        "(number, fixed_params, retry_of, retry_count, user_attrs) of the copy",
    )
    equal(
        s.fail_trial(retry.trial_id, "interrupted", max_retries=1),
        (1, None),
        "s.fail_trial(retry.trial_id, 'interrupted', max_retries=1)",
    )
    failed = make_storage().get_trial(trial.trial_id)
    equal(
        (failed.state, failed.fail_reason),
        (TrialState.FAIL, "interrupted (Ctrl-C)"),
        "(failed.state, failed.fail_reason)",
    )



def check_trials_of_a_process_without_heartbeats_are_never_taken_for_lost(make_storage: MakeStorage) -> None:
    """Trials started by a storage object without heartbeats are never failed as silent by one with them."""
    sweeper = _with_heartbeats(make_storage, heartbeat_interval=0.1, grace_period=0.3)
    plain = make_storage()
    if plain.liveness is not None:
        raise NotApplicable("every object of this storage heartbeats")
    sid = plain.create_study("s", MIN)
    started, created = plain.start_trial(sid), plain.create_trial(sid)
    plain.set_trial_intermediate_value(started.trial_id, 0, 1.0)
    time.sleep(0.5)
    equal(sweeper.fail_stale_trials(sid), [], "trials failed as silent")
    equal({t.state for t in sweeper.get_all_trials(sid)}, {TrialState.RUNNING}, "states of the trials")
    expect(created.number == 1, "numbering")

STORAGE_CHECKS = tuple(
    Check(f.__name__.removeprefix("check_"), f)
    for f in (
        check_studies_are_created_listed_refused_twice_and_deleted,
        check_study_attrs_round_trip_as_json_and_bad_values_name_the_key,
        check_trial_numbers_count_up_per_study_under_concurrent_writers,
        check_a_finished_trial_never_changes,
        check_finish_trial_writes_everything_or_nothing,
        check_finish_and_start_finishes_one_trial_then_starts_the_next_or_neither,
        check_finish_and_start_numbers_stay_unique_under_concurrent_writers,
        check_finish_and_start_many_starts_one_trial_per_finish_and_none_for_a_refused_one,
        check_intermediate_values_keep_nan_and_infinities_and_steps_overwrite,
        check_trial_attrs_are_json_and_bad_ones_refused_naming_the_key,
        check_waiting_trials_are_started_oldest_first_and_once,
        check_cached_trial_lists_follow_changes_made_by_another_storage_object,
        check_a_lost_trial_is_failed_once_and_requeued_with_its_parameters,
        check_trials_without_heartbeat_are_failed_after_the_grace_period,
    check_trials_of_a_process_without_heartbeats_are_never_taken_for_lost,
        check_concurrent_writers_of_one_study_attribute_do_not_collide,
        check_names_no_backend_could_store_are_refused_before_anything_is_written,
        check_values_and_reports_a_backend_cannot_hold_are_refused,
        check_an_interrupted_trial_is_failed_and_requeued_whatever_its_retries,
    )
)
