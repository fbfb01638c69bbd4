"""The Study: a named set of trials in a storage, with ask / tell and the results."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tunelab._constraints import (
    AnyOf,
    Bool,
    Function,
    InstanceOf,
    Integral,
    ListOf,
    Options,
    Real,
    String,
    SubclassOf,
    check,
    constrained,
)
from tunelab._errors import InvalidArgumentError, TrialFinishedError, TrialNotFoundError
from tunelab._records import (
    CONSTRAINTS_KEY,
    FAIL_REASON_KEY,
    FIXED_PARAMS_KEY,
    FrozenTrial,
    StudyDirection,
    TrialState,
    is_feasible,
    stored_core,
)
from tunelab.pruners import Pruner
from tunelab.samplers import Sampler
from tunelab.space import BaseDistribution
from tunelab.storage import Storage
from tunelab.study._arguments import ATTRS, NAME
from tunelab.study._multi import pareto_front
from tunelab.study._run import _exception_line, _not_a_number, _short, run_trial
from tunelab.study._trial import Trial

ObjectiveFn = Callable[[Trial], Any]
__all__ = ["ObjectiveFn", "Study", "run_trial"]  # run_trial (in _run) is imported from here by the executors

_DISTRIBUTION = InstanceOf(BaseDistribution, "a tunelab.space distribution")
_FINISHED = Options(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, what="COMPLETE, PRUNED or FAIL")
_EXCEPTION = SubclassOf(Exception, "an Exception class")
_FROZEN = InstanceOf(FrozenTrial, "a FrozenTrial")
#: Study system attribute holding the objectives' names (``set_metric_names``).
METRIC_NAMES_ATTR = "study:metric_names"
#: What a trial record offers trials_dataframe: its fields and its computed properties.
_TRIAL_ATTRS = (*(f.name for f in dataclasses.fields(FrozenTrial)),
                *(n for n, v in vars(FrozenTrial).items() if isinstance(v, property)))


_log = logging.getLogger("tunelab")

class Study:
    """A study: the trials of one tuning problem, stored in ``storage`` under ``study_name``.

    Use :func:`tunelab.create_study` or :func:`tunelab.load_study` to get one.
    """

    def __init__(self, study_name: str, storage: Storage, *, sampler: Sampler, pruner: Pruner) -> None:
        self.study_name = study_name
        self._storage = storage
        self._study_id = storage.get_study_id(study_name)
        self._directions = storage.get_study_directions(self._study_id)
        self._n_objectives = len(self._directions)
        self.sampler = sampler
        self.pruner = pruner
        self._stop_flag = False
        self._ask_lock = threading.Lock()
        #: the default sampler and pruner create_study / load_study chose (None where one was given),
        #: named at the first ask while still in use
        self._defaults: tuple[Sampler | None, Pruner | None] = (None, None)

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, storage={self._storage!r})"

    def _name_defaults(self) -> None:
        """One INFO line naming the defaults this study runs with (those not replaced since)."""
        sampler, pruner = self._defaults
        self._defaults = (None, None)
        chosen = []
        if sampler is not None and self.sampler is sampler:
            chosen.append("no sampler given: AutoSampler (it picks GP, TPE or NSGA-II per trial and logs each choice)")
        if pruner is not None and self.pruner is pruner:
            chosen.append("no pruner given: MedianPruner() (Optuna's default; pass pruner=NopPruner() to never prune)")
        if chosen:
            _log.info("Study %r: %s", self.study_name, "; ".join(chosen))

    #: The pruner create_study / load_study chose because none was given, while the study uses it
    #: (:mod:`tunelab.fidelity` replaces it with the schedule-aware default for rung training).
    _default_pruner: Pruner | None = None
    _told_rungs = False

    def _tell_schedule_aware_rungs(self) -> None:
        """At the first schedule searched under the default pruner (a per-epoch loop, since
        :mod:`tunelab.fidelity` replaces it first), say once how to get schedule-aware rungs."""
        if self._told_rungs or self._default_pruner is None or self.pruner is not self._default_pruner:
            return
        self._told_rungs = True  # once per study object
        _log.info("Study %r searches a learning-rate schedule with the default pruner %r, which compares trials "
                  "at the same epoch, where a long warmup or a late decay looks worse than it ends; for "
                  "schedule-aware rungs (RescaledHyperband), train through tunelab.fidelity.run(trial, train, "
                  "max_epochs=...) with your training function unchanged (docs/pruning.md)",
                  self.study_name, self.pruner)

    #: True for an unpickled copy of an in-memory study (see :mod:`tunelab.study._pickling`).
    _memory_copy = False

    def __getstate__(self) -> dict[str, Any]:
        from tunelab.storage import InMemoryStorage

        state = self.__dict__.copy()
        del state["_ask_lock"]
        if isinstance(self._storage, InMemoryStorage):  # a snapshot of the trials, as Optuna pickles it
            from tunelab.study._pickling import snapshot

            state["_storage"] = snapshot(self)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._ask_lock = threading.Lock()
        if not isinstance(self._storage, Storage):
            from tunelab.study._pickling import restore

            self._storage, self._study_id = restore(self._storage, self.study_name)
            self._memory_copy = True

    # -- properties -----------------------------------------------------------------------------------
    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        self._require_single("direction")
        return self._directions[0]

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id, "user")

    @constrained({"key": NAME}, where="Study.set_user_attr")
    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable attribute with the study."""
        self._storage.set_study_attr(self._study_id, "user", key, value)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id, "system")

    @constrained({"key": NAME}, where="Study.set_system_attr")
    def set_system_attr(self, key: str, value: Any) -> None:
        """Store an attribute for tunelab's own use (samplers, pruners) with the study."""
        self._storage.set_study_attr(self._study_id, "system", key, value)

    # -- trials ---------------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, ordered by number."""
        return self.get_trials()

    @constrained({"deepcopy": Bool(), "states": (None, ListOf(InstanceOf(TrialState, "a TrialState")))},
                 where="Study.get_trials")
    def get_trials(self, deepcopy: bool = False, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials ordered by number, optionally only those in ``states``.

        Snapshots are shared with the storage's cache; ``deepcopy=True`` returns private copies.
        """
        trials = self._storage.get_all_trials(self._study_id, states=states)
        if deepcopy:
            import copy

            trials = copy.deepcopy(trials)
        return trials

    @property
    def best_trial(self) -> FrozenTrial:
        """The feasible COMPLETE trial with the best value (single-objective studies); ties go to
        the earliest. Feasible: no constraint values, or all ``<= 0`` (as Optuna >= 4).

        Raises InvalidArgumentError (a ValueError, as Optuna's) when there is none."""
        self._require_single("best_trial")
        complete = self.get_trials(states=(TrialState.COMPLETE,))
        feasible = [t for t in complete if is_feasible(t)]
        if not feasible:
            raise InvalidArgumentError(
                f"study {self.study_name!r} has no COMPLETE trial yet" if not complete else
                f"study {self.study_name!r} has no feasible COMPLETE trial yet: all {len(complete)} violate their "
                "constraints (a value > 0)")
        sign = 1.0 if self._directions[0] == StudyDirection.MINIMIZE else -1.0
        return min(feasible, key=lambda t: (sign * t.values[0], t.number))

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of the feasible COMPLETE trials (for one objective: the best trial(s));
        ``[]`` when there is none."""
        return pareto_front([t for t in self.get_trials(states=(TrialState.COMPLETE,)) if is_feasible(t)],
                            self._directions)

    @property
    def metric_names(self) -> list[str] | None:
        """The objectives' names given to :meth:`set_metric_names`, or None."""
        names = self.system_attrs.get(METRIC_NAMES_ATTR)
        return None if names is None else list(names)

    @constrained({"metric_names": ListOf(NAME, min_len=1, ordered=True)}, where="Study.set_metric_names")
    def set_metric_names(self, metric_names: Sequence[str]) -> None:
        """Name the objectives, in the order of the directions: the per-trial log lines and
        ``trials_dataframe``'s value columns (``values_<name>``) use them."""
        if len(metric_names) != self._n_objectives:
            raise InvalidArgumentError(f"metric_names={list(metric_names)!r} is invalid for Study.set_metric_names: "
                                       f"must name the study's {self._n_objectives} objective(s)")
        self._storage.set_study_attr(self._study_id, "system", METRIC_NAMES_ATTR, list(metric_names))

    def _require_single(self, what: str) -> None:
        if self._n_objectives != 1:
            raise InvalidArgumentError(
                f"{what} is for single-objective studies; this one has {self._n_objectives} objectives "
                "(use best_trials for the Pareto front)"
            )

    # -- ask / tell ---------------------------------------------------------------------------------------
    @constrained({"fixed_distributions": (None, InstanceOf(Mapping, "a mapping of parameter name to distribution"))},
                 where="Study.ask")
    def ask(self, fixed_distributions: Mapping[str, BaseDistribution] | None = None) -> Trial:
        """Start a trial (an enqueued one first) and return it, RUNNING."""
        if self._memory_copy:
            from tunelab.study._pickling import refuse_in_a_worker

            refuse_in_a_worker(self)
        for name, distribution in (fixed_distributions or {}).items():  # refused before a trial starts
            check("fixed_distributions key", name, NAME, where="Study.ask")
            check(f"fixed_distributions[{name!r}]", distribution, _DISTRIBUTION, where="Study.ask")
        with self._ask_lock:
            if self._defaults != (None, None):
                self._name_defaults()
            trial = self._begin(self._storage.start_trial(self._study_id))
        for name, distribution in (fixed_distributions or {}).items():
            trial.suggest(name, distribution)
        return trial

    @constrained({"trial": AnyOf(InstanceOf(Trial), Integral(), what="a Trial or a trial number"),
                  "state": AnyOf(None, _FINISHED, what="None, COMPLETE, PRUNED or FAIL"),
                  "skip_if_finished": Bool(), "fail_reason": (None, String())}, where="Study.tell")
    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
        *,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        """Finish a trial with its objective value(s) or a state, and return its frozen record.

        A NaN value, a value that is not a number or the wrong number of values makes the trial
        FAIL with the reason recorded (``frozen.fail_reason``); ``inf`` is legal. A trial told
        PRUNED without values keeps its last reported value, as in Optuna (none if it is NaN or
        the study has several objectives).

        A trial ending COMPLETE or PRUNED without constraint values of its own gets those of the
        sampler's :meth:`~tunelab.samplers.Sampler.constraints_of` (its ``constraints_func``), in
        the same write; if that raises, the trial ends FAIL with the error as its reason, and the
        error is raised.
        """
        live = trial if isinstance(trial, Trial) else None
        trial_id, _ = self._resolve(trial)
        if skip_if_finished:
            current = self._storage.get_trial(trial_id)
            if current.state.is_finished():
                return current
        state, checked, core = self._outcome(values, state, fail_reason, live, trial_id)
        state, checked, core, error = self._constrained(live, trial_id, state, checked, core)
        frozen = self._finish(live, trial_id, state, checked, core, lambda params: self._storage.finish_trial(
            trial_id, state, checked, params=params, core=core))[0]
        if error is not None:
            raise error
        return frozen

    def _tell_and_ask_many(self, told: Sequence[tuple[Trial, Any, TrialState | None, str | None]]
                           ) -> list[tuple[FrozenTrial, Trial | None]]:
        """``tell(trial, values, state, fail_reason=...)`` for each of ``told``, each followed by an ``ask()``,
        the storage writing them all at once: a pooled run's step.

        Returns each told trial's record and the trial asked in its place; None in place of that
        one where the trial was finished meanwhile by someone else (its stored record is returned
        and nothing was asked for it). If the sampler's ``constraints_of`` raises for one of
        them, each is told alone (that one FAIL with the error as its reason), nothing is asked,
        and the error is raised.
        """
        from tunelab.storage import Finish

        ends = []
        for trial, values, state, fail_reason in told:
            trial_id, _ = self._resolve(trial)
            ends.append((trial, trial_id, *self._outcome(values, state, fail_reason, trial, trial_id)))
        ends = [(trial, trial_id, *self._constrained(trial, trial_id, state, checked, core))
                for trial, trial_id, state, checked, core in ends]
        error = next((end[-1] for end in ends if end[-1] is not None), None)
        if error is not None:
            for trial, trial_id, state, checked, core, _ in ends:
                with contextlib.suppress(TrialFinishedError):
                    self._finish(trial, trial_id, state, checked, core, lambda params, i=trial_id, s=state, v=checked,
                                 c=core: self._storage.finish_trial(i, s, v, params=params, core=c))
            raise error
        with self._ask_lock:
            pending = [trial._take_pending() for trial, *_ in ends]
            try:
                started = self._storage.finish_and_start_many(
                    [Finish(trial_id, state, checked, params, core=core)
                     for (_, trial_id, state, checked, core, _), params in zip(ends, pending)],
                    study_id=self._study_id)
            except Exception:
                for (trial, *_), params in zip(ends, pending):  # nothing was written: give them back
                    trial._pending.update(params)
                raise
            records = []
            for (trial, trial_id, state, checked, core, _), new in zip(ends, started):
                if new is None:
                    records.append(self._storage.get_trial(trial_id))
                    continue
                trial._finished = True
                trial._core.update(core)
                records.append(trial.freeze(state, checked))
                self.sampler.after_trial(self, records[-1], state, checked)
            return [(record, None if new is None else self._begin(new)) for record, new in zip(records, started)]

    def _begin(self, frozen: FrozenTrial) -> Trial:
        """The asked trial for a started record: the sampler's ``before_trial`` and joint sampling done."""
        trial = Trial(self, frozen)
        try:
            self.sampler.before_trial(self, trial)
            space = self.sampler.infer_relative_search_space(self, trial)
            if space:
                trial._set_relative(space, self.sampler.sample_relative(self, trial, space))
        except BaseException as exc:  # the started record ends FAIL (never left RUNNING); the error goes on
            self._storage.fail_trial(frozen.trial_id, f"the sampler raised {type(exc).__name__} while the trial "
                                     f"started: {exc}", max_retries=0)
            raise
        return trial

    def _outcome(self, values: Any, state: TrialState | None, fail_reason: str | None, live: Trial | None,
                 trial_id: int) -> tuple[TrialState, tuple[float, ...] | None, dict[str, Any]]:
        """What a tell records: the final state, the checked values and the core fields (the fail reason).

        ``state`` is None or a finished state (:meth:`tell`'s table checks what users pass). A
        PRUNED trial without values keeps its last report (a number; one objective)."""
        if state is None and values is None:
            raise InvalidArgumentError("tell needs values or a state: values=None and state=None")
        checked: tuple[float, ...] | None = None
        reason = fail_reason
        if state in (None, TrialState.COMPLETE):
            checked, problem = self._check_values(values)
            if problem is not None:
                state, checked, reason = TrialState.FAIL, None, problem
            else:
                state = TrialState.COMPLETE
        elif state == TrialState.PRUNED:
            if values is None and self._n_objectives == 1:
                reports = live._intermediate if live is not None else \
                    self._storage.get_trial(trial_id).intermediate_values
                values = reports[max(reports)] if reports else None
                values = None if values is None or math.isnan(values) else values
            if values is not None:
                checked, _ = self._check_values(values)
        return state, checked, ({FAIL_REASON_KEY: reason} if state == TrialState.FAIL and reason else {})

    def _constrained(self, live: Trial | None, trial_id: int, state: TrialState, checked: tuple[float, ...] | None,
                     core: dict[str, Any]) -> tuple[TrialState, tuple[float, ...] | None, dict[str, Any],
                                                    Exception | None]:
        """The end of a trial with the sampler's constraint values added (COMPLETE or PRUNED, none of
        its own), or, when ``constraints_of`` raises, a FAIL end naming the error, and that error."""
        if (state not in (TrialState.COMPLETE, TrialState.PRUNED) or (live is not None and live._finished)
                or type(self.sampler).constraints_of is Sampler.constraints_of):  # the hook's default: None
            return state, checked, core, None
        if live is not None:
            ending = live.freeze(state, checked)
        else:
            stored = self._storage.get_trial(trial_id)
            if stored.state.is_finished():  # the write refuses it: nothing to ask
                return state, checked, core, None
            ending = dataclasses.replace(stored, state=state, values=checked)
        if ending.constraints is not None:
            return state, checked, core, None
        try:
            values = self.sampler.constraints_of(self, ending)
        except Exception as exc:  # noqa: BLE001 - any error of the hook ends the trial, then is raised
            reason = f"the sampler's constraints_of raised {_short(exc, text=_exception_line, limit=500)}"
            return TrialState.FAIL, None, {FAIL_REASON_KEY: reason}, exc
        if values is None:
            return state, checked, core, None
        return state, checked, {**core, CONSTRAINTS_KEY: [float(v) for v in values]}, None

    def _finish(self, live: Trial | None, trial_id: int, state: TrialState, checked: tuple[float, ...] | None,
                core: dict[str, Any], write: Callable[[dict[str, Any]], Any]) -> tuple[FrozenTrial, Any]:
        """Write a trial's end with ``write(its buffered parameters)``; then the sampler's ``after_trial``."""
        params = live._take_pending() if live is not None else {}
        try:
            written = write(params)
        except Exception:
            if live is not None:  # give the buffered parameters back: nothing was written
                live._pending.update(params)
            raise
        if live is not None:
            live._finished = True
            live._core.update(core)
            frozen = live.freeze(state, checked)
        else:
            frozen = self._storage.get_trial(trial_id)
        self.sampler.after_trial(self, frozen, state, checked)
        return frozen, written

    def _resolve(self, trial: Trial | int) -> tuple[int, int]:
        if isinstance(trial, Trial):
            if trial.study._study_id != self._study_id or trial.study._storage is not self._storage:
                raise InvalidArgumentError(f"trial {trial.number} belongs to another study")
            return trial._trial_id, trial.number
        try:  # a trial number (tell's table checked it is an integer)
            return self._storage.get_trial_id(self._study_id, int(trial)), int(trial)
        except TrialNotFoundError:
            raise TrialNotFoundError(f"study {self.study_name!r} has no trial number {trial}") from None

    def _check_values(self, values: Any) -> tuple[tuple[float, ...] | None, str | None]:
        seq = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(seq) != self._n_objectives:
            return None, (f"the objective returned {len(seq)} value(s) {_short(seq)}; "
                          f"the study has {self._n_objectives} objective(s)")
        out = []
        for v in seq:
            if isinstance(v, (str, bytes)):
                return None, _not_a_number(v)
            try:  # numpy scalars and 0-d tensors convert
                number = float(v)
            except Exception as exc:  # noqa: BLE001 - whatever float() raises (OverflowError for 10**400)
                return None, f"{_not_a_number(v)} ({type(exc).__name__}: {_short(exc, text=str)})"
            if number != number:
                return None, f"the objective returned NaN ({_short(seq)})"
            out.append(number)
        return tuple(out), None

    # -- queue and manual trials ---------------------------------------------------------------------
    @constrained({"params": InstanceOf(Mapping, "a mapping of parameter name to value"), "user_attrs": ATTRS,
                  "skip_if_exists": Bool()}, where="Study.enqueue_trial")
    def enqueue_trial(self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None,
                      skip_if_exists: bool = False) -> None:
        """Queue a trial whose listed parameters take the given values; the next ``ask`` runs it."""
        params = dict(params)
        if skip_if_exists:
            for t in self.get_trials():
                fixed = t.fixed_params or t.params
                if all(k in fixed and fixed[k] == v for k, v in params.items()):
                    return
        self._storage.create_trial(self._study_id, state=TrialState.WAITING,
                                   user_attrs=user_attrs, core={FIXED_PARAMS_KEY: params})

    @constrained({"trial": _FROZEN}, where="Study.add_trial")
    def add_trial(self, trial: FrozenTrial) -> None:
        """Store a finished trial made elsewhere (e.g. from a previous study)."""
        check("trial.state", trial.state, _FINISHED, where="Study.add_trial")
        if trial.state == TrialState.COMPLETE:
            _, problem = self._check_values(trial.values)
            if problem:
                raise InvalidArgumentError(problem)
        params = {n: (d.to_internal(trial.params[n]), d) for n, d in trial.distributions.items()}
        self._storage.create_trial(
            self._study_id, state=trial.state, params=params, values=trial.values,
            intermediate_values=trial.intermediate_values, user_attrs=trial.user_attrs,
            system_attrs=trial.system_attrs, core=stored_core(trial))

    @constrained({"trials": ListOf(_FROZEN, ordered=True)}, where="Study.add_trials")
    def add_trials(self, trials: Sequence[FrozenTrial]) -> None:
        """:meth:`add_trial` each of ``trials``, in order (e.g. ``other.add_trials(study.trials)``);
        all are checked before the first is stored. Only finished trials are added."""
        for i, trial in enumerate(trials):
            check(f"trials[{i}].state", trial.state, _FINISHED, where="Study.add_trials")
            if trial.state == TrialState.COMPLETE:
                _, problem = self._check_values(trial.values)
                if problem:
                    raise InvalidArgumentError(f"trials[{i}]: {problem}")
        for trial in trials:
            self.add_trial(trial)

    def stop(self) -> None:
        """Ask ``optimize`` to finish after the running trials (safe from callbacks and samplers)."""
        self._stop_flag = True

    # -- running ---------------------------------------------------------------------------------------------
    @constrained({
        "func": Function(what="a callable taking a Trial"),
        "n_trials": (None, Integral(min=0)),
        "timeout": (None, Real(0, None, min_open=True, what="a positive, finite number of seconds")),
        "n_jobs": AnyOf(Integral(min=1), Options(-1), what="a positive integer, or -1 for one job per CPU core"),
        "catch": AnyOf(None, _EXCEPTION, ListOf(_EXCEPTION), what="an Exception class or a tuple of them"),
        "callbacks": (None, ListOf(Function(what="a callable taking the study and a FrozenTrial"))),
        "gc_after_trial": Bool(),
        "show_progress_bar": Bool(),
    }, where="Study.optimize")
    def optimize(
        self,
        func: ObjectiveFn,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: type[Exception] | tuple[type[Exception], ...] = (),
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
        *,
        executor: Any = None,
    ) -> None:
        """Run the objective ``func`` on new trials until ``n_trials`` ran, ``timeout`` seconds
        passed or :meth:`stop` was called (Optuna's arguments, in Optuna's order).
        ``gc_after_trial=True`` runs the garbage collector after each trial (in this process).
        ``n_jobs > 1`` runs trials in worker processes by default; ``executor`` chooses threads,
        Dask, Ray or any ``concurrent.futures.Executor`` (see :mod:`tunelab.execution`). See
        :func:`tunelab.study._optimize.optimize` for the details."""
        from tunelab.study._optimize import optimize

        optimize(self, func, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs, catch=catch, callbacks=callbacks,
                 gc_after_trial=gc_after_trial, show_progress_bar=show_progress_bar, executor=executor)

    @constrained({"attrs": (None, ListOf(Options(*_TRIAL_ATTRS))), "multi_index": Bool()},
                 where="Study.trials_dataframe")
    def trials_dataframe(self, attrs: Sequence[str] | None = None, multi_index: bool = False) -> Any:
        """The trials as a pandas DataFrame (extra ``pandas``), one row per trial.

        Columns as Optuna names them: ``number``, ``value`` (``values_0`` ... or
        ``values_<metric name>`` for several objectives), ``params_<name>``,
        ``user_attrs_<key>``, ``system_attrs_<key>``, ``state`` ...; ``multi_index=True`` keeps
        the two levels apart (``("params", "x")``)."""
        from tunelab.study._dataframe import trials_dataframe

        return trials_dataframe(self, attrs, multi_index=multi_index)
