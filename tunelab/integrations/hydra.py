"""Hydra's ``hydra/sweeper=tunelab``: a Hydra multirun whose jobs are the trials of a tunelab study.

The plugin itself (``hydra_plugins.tunelab_sweeper``) is a thin shell; this module holds what it
does: reading ``hydra.sweeper.params`` into a search space, building the study, the ask / launch /
tell loop, and the task's side (:func:`trial`, :func:`report`, :func:`should_prune`,
:func:`schedule`). ``import tunelab`` does not import it; importing it imports Hydra, and without
Hydra raises :class:`tunelab.MissingExtraError` naming the extra (``pip install 'tunelab[hydra]'``).

``hydra.sweeper.params`` uses the Optuna sweeper's spelling of Hydra's override grammar:

- ``choice(a, b, c)``: a categorical parameter;
- ``interval(low, high)``: a float in [low, high]; ``int(interval(low, high))`` an integer;
  ``tag(log, interval(...))`` samples it log-uniformly;
- ``range(start, stop[, step])``: integers (or floats, if any bound is a float) from start to stop
  *inclusive* in steps of ``step``, as in the Optuna sweeper (Hydra's basic sweeper excludes stop);
- any other value is fixed: passed to every job unchanged.

Two forms go beyond the override grammar, written as mappings: a conditional parameter
``{space: "interval(0.5, 0.99)", when: {optimizer: sgd}}`` (suggested, and passed to the job,
only when every named parameter defined above it took one of the listed values) and a schedule
space ``{schedule: {families: [constant, cosine], initial: [1e-4, 1e-1], total_steps: 1000}}``
(:func:`tunelab.schedules.space_from_config`'s keys), passed to the job as the schedule's
expression, e.g. ``'CosineDecay(initial_learning_rate=0.01, ...)'``, that :func:`schedule`
turns back into a :class:`~tunelab.schedules.Schedule`. docs/hydra.md has the whole picture.

>>> space = SearchSpace.parse({"x": "interval(-1, 1)", "opt": "choice(sgd, adam)", "epochs": 3})
>>> [(p.name, p.kind) for p in space.params], space.fixed
([('x', 'float'), ('opt', 'categorical')], ('epochs=3',))
>>> space.overrides({"x": 0.25, "opt": "sgd"})
['epochs=3', 'x=0.25', 'opt=sgd']
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunelab._errors import InvalidArgumentError, TrialPruned, TunelabError, invalid, require_extra
from tunelab.config._params import ParamSpec, suggest_all

__all__ = ["SearchSpace", "report", "run_sweep", "schedule", "should_prune", "trial"]

_log = logging.getLogger("tunelab")

#: Running trials of the batch being launched, by Hydra job number: the basic launcher runs the
#: task in the sweeper's process, where :func:`trial` finds its own.
_LIVE: dict[int, Any] = {}
#: Hydra itself; without it, importing this module names the extra to install.
_HYDRA = require_extra("hydra", "hydra")
_WARNED: set[str] = set()
_ENTRY_KEYS = ("space", "schedule", "when")


def _where(key: str) -> str:
    return f"hydra.sweeper.{key}"


# -- the task's side ---------------------------------------------------------------------------------------
def trial() -> Any:
    """The running :class:`~tunelab.Trial` of this Hydra job, or None outside a tunelab sweep.

    With Hydra's basic launcher the job runs in the sweeper's process and gets the live trial:
    ``trial().report(value, step)``, ``trial().should_prune()``, even ``trial().suggest_float(...)``
    (define-by-run inside the task). A launcher that runs jobs elsewhere (joblib, submitit) has no
    live trial there: None, with a warning once.

    >>> trial() is None   # not inside a Hydra job
    True
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return None
    cfg = HydraConfig.get()
    if cfg.get("mode") != RunMode.MULTIRUN:  # a single run: no sweep, no trial
        return None
    num = cfg.job.get("num") if "job" in cfg else None
    live = _LIVE.get(num) if num is not None else None
    if live is None and str(cfg.get("sweeper", {}).get("_target_", "")).endswith("TunelabSweeper") \
            and "no-live-trial" not in _WARNED:
        _WARNED.add("no-live-trial")
        warnings.warn("tunelab: this Hydra job runs outside the sweeper's process (its launcher started it "
                      "elsewhere), so it has no live trial: reports are dropped and nothing is pruned; "
                      "use Hydra's basic launcher to report and prune", stacklevel=2)
    return live


def report(value: float, step: int) -> None:
    """``trial().report(value, step)`` for this job's trial; nothing outside a tunelab sweep.

    >>> report(0.5, step=1)   # not inside a sweep: no effect
    """
    live = trial()
    if live is not None:
        live.report(value, step)


def should_prune() -> bool:
    """Whether the study's pruner stops this job's trial at its last report (False outside a sweep).

    After True, raise :class:`tunelab.TrialPruned`: the sweeper records the trial PRUNED.

    >>> should_prune()
    False
    """
    live = trial()
    return bool(live is not None and live.should_prune())


def schedule(value: Any) -> Any:
    """The :class:`~tunelab.schedules.Schedule` a job received for a schedule parameter.

    ``value`` is the expression the sweeper passes (``"StepLR(base_lr=0.1, step_size=30)"``), a
    schedule config mapping (``Schedule.to_config()``, also as an OmegaConf node) or a Schedule.

    >>> schedule("StepLR(0.1, step_size=30)")
    StepLR(base_lr=0.1, step_size=30, gamma=0.1)
    """
    from tunelab.schedules import Schedule

    value = _container(value)
    if isinstance(value, Schedule):
        return value
    if isinstance(value, str):
        from tunelab.cli.schedule import parse_schedule

        return parse_schedule(value)
    if isinstance(value, Mapping):
        return Schedule.from_config(dict(value))
    raise invalid("value", value, "a schedule expression such as 'StepLR(0.1, step_size=30)', a schedule config "
                                  "mapping or a Schedule", where="tunelab.integrations.hydra.schedule")


def _container(value: Any) -> Any:
    """Plain Python lists and dicts for OmegaConf nodes; anything else as it is."""
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf
    except ImportError:  # pragma: no cover - omegaconf comes with hydra
        return value
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


# -- the search space --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """The parameters a sweep suggests (in order), their override keys, and the fixed overrides."""

    params: tuple[ParamSpec, ...]
    keys: tuple[str, ...]
    fixed: tuple[str, ...]

    @classmethod
    def parse(cls, params: Any, arguments: Sequence[str] = ()) -> SearchSpace:
        """``hydra.sweeper.params`` then the command line's ``arguments``: a sweep override on the
        command line replaces the config's entry of the same key; other overrides are fixed."""
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parser = OverridesParser.create()
        params = _container(params)
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise invalid(_where("params"), params, "a mapping of override keys to search spaces")
        entries: dict[str, Any] = {}
        for key, entry in params.items():
            entries[str(key)] = entry
        fixed: list[str] = []
        for argument in arguments:
            override = _parse(parser, argument, "command line override")
            for key in (override.key_or_group, f"+{override.key_or_group}"):  # the command line wins
                entries.pop(key, None)
            if override.is_sweep_override():
                entries[override.get_key_element()] = argument.split("=", 1)[1]
            else:
                fixed.append(argument)
        specs: list[ParamSpec] = []
        keys: list[str] = []
        for key, entry in entries.items():
            spec = _entry(parser, key, entry, {s.name: s for s in specs})
            if spec is None:  # a fixed value: override text as it is, or a YAML value written as one
                fixed.append(f"{key}={entry}" if isinstance(entry, str) else _override(parser, key, entry))
            else:
                specs.append(spec)
                keys.append(key)
        return cls(tuple(specs), tuple(keys), tuple(fixed))

    def grid(self) -> dict[str, list[Any]]:
        """Every value of each parameter, for the grid sampler: name -> values (range's stop included).

        >>> SearchSpace.parse({"x": "range(1, 3)", "o": "choice(a, b)"}).grid()
        {'x': [1, 2, 3], 'o': ['a', 'b']}
        """
        out: dict[str, list[Any]] = {}
        for spec, key in zip(self.params, self.keys):
            space = spec.space
            if spec.kind == "categorical" and not spec.when:
                out[spec.name] = list(space.choices)
            elif spec.kind == "int" and not spec.when:
                out[spec.name] = list(range(space.low, space.high + 1, space.step))
            elif spec.kind == "float" and space.step is not None and not spec.when:
                count = round((space.high - space.low) / space.step)
                out[spec.name] = [round(space.low + i * space.step, 12) for i in range(count + 1)]
            else:
                raise invalid(_where(f"params.{key}"), space, "discrete for the grid sampler: choice(...), "
                                                              "range(...) or int(interval(...)), with no when")
        return out

    def suggest(self, live: Any) -> dict[str, Any]:
        """Suggest every active parameter in ``live`` (a running trial); name -> value."""
        return suggest_all(live, self.params)

    def overrides(self, values: Mapping[str, Any]) -> list[str]:
        """The job's overrides: the fixed ones, then ``key=value`` for each suggested parameter."""
        from hydra.core.override_parser.overrides_parser import OverridesParser

        parser = OverridesParser.create()
        out = list(self.fixed)
        for spec, key in zip(self.params, self.keys):
            if spec.name in values:
                value = values[spec.name]
                out.append(_override(parser, key, repr(value) if spec.kind == "schedule" else value))
        return out


def _parse(parser: Any, text: str, what: str) -> Any:
    from hydra.errors import HydraException

    try:
        return parser.parse_overrides([text])[0]
    except HydraException as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgumentError(f"{what} {text!r} is invalid: {message}") from None


def _entry(parser: Any, key: str, entry: Any, earlier: dict[str, ParamSpec]) -> ParamSpec | None:
    """The ParamSpec of one ``params`` entry, or None for a fixed value."""
    name = key.lstrip("+")
    where = _where(f"params.{key}")
    if key.startswith(("~", "++")) or not name:
        raise invalid(_where("params key"), key, "an override key, optionally with + to add a new key")
    if isinstance(entry, Mapping):
        unknown = sorted(set(entry) - set(_ENTRY_KEYS))
        given = [k for k in ("space", "schedule") if k in entry]
        if unknown or len(given) != 1:
            raise invalid(where, entry, "a sweep such as 'interval(0, 1)', a fixed value, or a mapping with one of "
                                        "space (a sweep) or schedule (a schedule space) and an optional when "
                                        "{parameter: value or [values]}")
        when = _when(where, entry.get("when", {}), earlier)
        if given == ["schedule"]:
            return _schedule(where, name, entry["schedule"], when)
        spec = _entry(parser, key, entry["space"], earlier)
        if spec is None:
            raise invalid(f"{where}.space", entry["space"], "a sweep: choice(...), interval(...) or range(...)")
        return dataclasses.replace(spec, when=when)
    if not isinstance(entry, str):
        return None
    override = _parse(parser, f"{key}={entry}", where)
    if not override.is_sweep_override():
        return None
    return ParamSpec(name, *_distribution(where, entry, override.value()))


def _distribution(where: str, text: str, sweep: Any) -> tuple[str, Any]:
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep

    from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

    tags = set(sweep.tags)
    allowed_tags = {"log"} if isinstance(sweep, (IntervalSweep, RangeSweep)) else set()
    if tags - allowed_tags:
        raise invalid(where, text, f"tagged only with {sorted(allowed_tags) or 'nothing'} "
                                   f"(got tags {sorted(tags)})")
    if getattr(sweep, "shuffle", False):
        raise invalid(where, text, "without shuffle(...): a sampler picks the order; use choice(...) for a list")
    log = "log" in tags
    try:
        if isinstance(sweep, ChoiceSweep):
            return "categorical", CategoricalDistribution(list(sweep.list))
        if isinstance(sweep, IntervalSweep):
            low, high = sweep.start, sweep.end
            if _is_int(low) and _is_int(high):
                return "int", IntDistribution(int(low), int(high), log=log)
            return "float", FloatDistribution(float(low), float(high), log=log)
        if isinstance(sweep, RangeSweep):
            start, stop, step = sweep.start, sweep.stop, sweep.step
            if _is_int(start) and _is_int(stop) and _is_int(step):
                return "int", IntDistribution(int(start), int(stop), step=int(step), log=log)
            return "float", FloatDistribution(float(start), float(stop), step=float(step), log=log)
    except TunelabError as exc:
        raise InvalidArgumentError(f"{where}={text!r} is invalid: {exc}") from None
    raise invalid(where, text, "choice(...), interval(...) or range(...)")  # glob(...) and the like


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _schedule(where: str, name: str, config: Any, when: tuple) -> ParamSpec:
    from tunelab.schedules import space_from_config

    if not isinstance(config, Mapping):
        raise invalid(f"{where}.schedule", config, "a mapping with keys families, initial, total_steps, args")
    try:
        space = space_from_config(config)
    except TunelabError as exc:
        raise InvalidArgumentError(f"{where}.schedule: {exc}") from None
    if space.total_steps is None:
        raise invalid(f"{where}.schedule.total_steps", None, "a positive integer: the training length the "
                                                             "schedule is built for")
    return ParamSpec(name, "schedule", space, when)


def _when(where: str, when: Any, earlier: dict[str, ParamSpec]) -> tuple:
    if not isinstance(when, Mapping):
        raise invalid(f"{where}.when", when, "a mapping {parameter: value or [values]}")
    out = []
    for other, allowed in when.items():
        known = [n for n, s in earlier.items() if s.kind != "schedule"]
        if other not in known:
            raise invalid(f"{where}.when", dict(when), f"keyed by parameters defined above it (one of {known}); "
                                                       f"{other!r} is not one")
        values = tuple(allowed) if isinstance(allowed, (list, tuple)) else (allowed,)
        for v in values:
            if not earlier[other].space.contains(v):
                raise invalid(f"{where}.when.{other}", v, f"a value {other} can take ({earlier[other].space!r})")
        out.append((other, values))
    return tuple(out)


def _override(parser: Any, key: str, value: Any) -> str:
    """``key=value`` in the override grammar, read back by Hydra as exactly ``value``."""
    text = _literal(value)
    if isinstance(value, str):
        for candidate in (text, *_quoted(value)):
            try:
                parsed = parser.parse_overrides([f"{key}={candidate}"])[0]
            except Exception:  # noqa: BLE001 - not this spelling; try the next
                continue
            if not parsed.is_sweep_override() and parsed.value() == value and isinstance(parsed.value(), str):
                return f"{key}={candidate}"
        raise invalid(_where(f"params.{key}"), value, "a value Hydra's override grammar can write")
    return f"{key}={text}"


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    return str(value)


def _quoted(text: str) -> list[str]:
    return [f"'{text}'", f'"{text}"', "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"]


# -- the study ---------------------------------------------------------------------------------------------
def directions(value: Any) -> list[str]:
    """``hydra.sweeper.direction``: "minimize", "maximize" or a list of them (several objectives)."""
    value = _container(value)
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    allowed = "'minimize', 'maximize' or a non-empty list of them (one per objective the task returns)"
    if not items:
        raise invalid(_where("direction"), value, allowed)
    for item in items:
        if not isinstance(item, str) or item.lower() not in ("minimize", "maximize"):
            raise invalid(_where("direction"), value, allowed)
    return [item.lower() for item in items]


def plugin(kind: str, value: Any, *, space: SearchSpace | None = None) -> Any:
    """``hydra.sweeper.sampler`` / ``.pruner``: None (tunelab's default), a name ("tpe"), a mapping
    ``{name, args, seed}`` (no name: the default class, e.g. ``{seed: 0}``), a ``_target_`` mapping,
    or an instance.

    A ``_target_`` naming a class of ``optuna.samplers`` / ``optuna.pruners`` (the Optuna sweeper's
    spelling) or of ``tunelab.samplers`` / ``tunelab.pruners`` builds tunelab's class of that name
    with the mapping's other keys as its arguments; any other ``_target_`` is built by Hydra and
    must give a tunelab sampler / pruner. The grid sampler named without a ``search_space`` takes
    ``space``'s grid (:meth:`SearchSpace.grid`), as the Optuna sweeper's does.
    """
    from tunelab.config._plugins import build
    from tunelab.config._source import Source
    from tunelab.pruners import Pruner
    from tunelab.samplers import Sampler

    base = Sampler if kind == "sampler" else Pruner
    value = _container(value)
    if value is None or isinstance(value, base):
        return value
    src = Source("", "hydra.sweeper")
    if isinstance(value, str):
        value = {"name": value}
    if space is not None and kind == "sampler":
        value = _with_grid(value, space)
    if isinstance(value, Mapping) and "_target_" in value:
        return _from_target(kind, base, dict(value), src)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"name", "args", "seed"})
        if unknown:
            raise invalid(_where(kind), value, f"a {kind} name, a mapping {{name, args, seed}} or a mapping with "
                                               f"_target_ (a tunelab.{kind}s class)")
        name = value.get("name", _DEFAULT_PLUGIN[kind])
        return build(kind, name, value.get("args") or {}, seed=value.get("seed"), src=src)
    raise invalid(_where(kind), value, f"a {kind} name, a mapping {{name, args, seed}} or a mapping with _target_, "
                                       f"building a tunelab.{kind}s.{base.__name__}")


def _with_grid(value: Any, space: SearchSpace) -> Any:
    """``value``, with the grid of ``space`` as its search_space when it names the grid sampler without one."""
    if not isinstance(value, Mapping):
        return value
    if "_target_" in value:
        module, _, name = str(value["_target_"]).rpartition(".")
        if module in ("optuna.samplers", "tunelab.samplers") and name == "GridSampler" and "search_space" not in value:
            return {**value, "search_space": space.grid()}
        return value
    name, args = value.get("name"), value.get("args") or {}
    if isinstance(name, str) and name.lower() == "grid" and isinstance(args, Mapping) and "search_space" not in args:
        return {**value, "args": {**args, "search_space": space.grid()}}
    return value


#: The class a ``{seed, args}`` mapping without a name builds: the one tunelab uses when none is set.
_DEFAULT_PLUGIN = {"sampler": "auto", "pruner": "median"}


def _from_target(kind: str, base: type, value: dict[str, Any], src: Any) -> Any:
    from tunelab.config._plugins import available, build

    if "name" in value:  # e.g. hydra/sweeper/sampler=tpe beside a sampler: {_target_: ...}
        raise invalid(_where(kind), value, f"a name (hydra/sweeper/{kind}=<name> sets one) or a _target_, not both")
    target = value.pop("_target_")
    where = _where(f"{kind}._target_")
    module, _, class_name = str(target).rpartition(".")
    if module in (f"optuna.{kind}s", f"tunelab.{kind}s"):
        names = {cls.__name__: name for name, cls in available(kind).items()}
        if class_name not in names:
            raise invalid(where, target, f"a class of tunelab.{kind}s ({sorted(names)}); tunelab has no {class_name}")
        try:
            return build(kind, names[class_name], value, seed=None, src=src)
        except TunelabError as exc:  # "sampler.args.x": the _target_ mapping holds its arguments itself
            raise InvalidArgumentError(str(exc).replace(f"{kind}.args.", f"{kind}.")) from None
    from hydra.utils import instantiate

    try:
        built = instantiate({"_target_": target, **value})
    except Exception as exc:  # noqa: BLE001 - Hydra's InstantiationException or the class's own error
        raise InvalidArgumentError(f"{where}={target!r} could not be built: {exc}") from None
    if not isinstance(built, base):
        raise invalid(where, target, f"a class building a tunelab.{kind}s.{base.__name__} (got "
                                     f"{type(built).__name__})")
    return built


def refuse_optuna_only(**keys: Any) -> None:
    """Refuse the Optuna sweeper's keys that tunelab's sweeper does not have, saying what to write
    instead (they are in the sweeper's config only so that a ported config gets this message)."""
    instead = {
        "custom_search_space": "tunelab's sweeper has no custom_search_space; write a parameter that depends on "
                               "another as {space: ..., when: {other: value}} in hydra.sweeper.params, or suggest "
                               "it inside the task with tunelab.integrations.hydra.trial().suggest_float(...)",
        "max_failure_rate": "tunelab's sweep records a job that raised as a FAIL trial and goes on (docs/hydra.md)",
        "search_space": "the Hydra 1.1 search_space is gone; write hydra.sweeper.params in the override grammar "
                        "(x: interval(0, 1), y: choice(a, b))",
    }
    for key, value in keys.items():
        value = _container(value)
        if value is not None:
            raise invalid(_where(key), value, f"null: {instead[key]}")


def open_study(*, study_name: Any, storage: Any, direction: Any, sampler: Any, pruner: Any,
               heartbeat_interval: Any = None, grace_period: Any = None, retries: Any = 0,
               space: SearchSpace | None = None) -> Any:
    """The sweep's study: created, or loaded (a resumed sweep) when the storage holds it already.

    On an SQL storage the sweep's running trials heartbeat every ``heartbeat_interval`` seconds (None:
    not), as under ``tunelab run``: a trial of a sweep killed hard is failed by the next sweep's first
    ask once silent for ``grace_period`` and queued again (``retries`` times) with its parameters.
    """
    import tunelab

    if study_name is not None and (not isinstance(study_name, str) or not study_name):
        raise invalid(_where("study_name"), study_name, "a non-empty string or null (a generated name)")
    if storage is not None and (not isinstance(storage, str) or not storage):
        raise invalid(_where("storage"), storage, "a storage URL such as 'sqlite:///tunelab.db', or null (in memory)")
    dirs, built = directions(direction), (plugin("sampler", sampler, space=space), plugin("pruner", pruner))
    try:
        opened = _with_heartbeats(storage, heartbeat_interval, grace_period, retries)
        return tunelab.create_study(study_name=study_name, storage=opened, directions=dirs, sampler=built[0],
                                    pruner=built[1], load_if_exists=True)
    except InvalidArgumentError as exc:  # a bad storage URL, a stored study of other directions
        raise InvalidArgumentError(f"hydra.sweeper: {exc}") from None


def _with_heartbeats(url: str | None, interval: Any, grace: Any, retries: Any) -> Any:
    """``url``, or an SQLStorage on it whose running trials heartbeat (file and server databases)."""
    if url is None or interval is None or url.startswith("journal://"):
        return url
    text = url if "://" in url else f"sqlite:///{url}"
    if text in ("sqlite://", "sqlite:///:memory:"):
        return url
    from tunelab.storage import SQLStorage

    return SQLStorage(text, heartbeat_interval=interval, grace_period=grace, retries=retries)


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(_where(key), value, "a positive integer")
    return value


# -- the loop ----------------------------------------------------------------------------------------------
def run_sweep(study: Any, space: SearchSpace, *, launch: Callable[[list[list[str]], int], Sequence[Any]],
              n_trials: Any, n_jobs: Any = 1, validate: Callable[[list[list[str]]], None] | None = None) -> Any:
    """Ask, launch and tell in batches of ``n_jobs`` until the study holds ``n_trials`` counted trials.

    ``n_trials`` is the study's budget, as for ``tunelab run``: a resumed sweep runs only the trials
    still owed (finished ones count; interrupted ones do not). ``launch(overrides, first_job_number)``
    returns Hydra's JobReturns; ``validate`` checks a batch composes before anything runs. A job
    that raised ends FAIL with the error as its reason, and the sweep goes on; one that raised
    :class:`tunelab.TrialPruned` ends PRUNED; a return of None or NaN ends FAIL, saying so.
    ``study.stop()`` (a grid sampler calls it on handing out its last point) ends the sweep after
    the batch, as it ends ``optimize``.
    """
    from tunelab.runner import counted

    n_trials, n_jobs = _count("n_trials", n_trials), _count("n_jobs", n_jobs)
    owed = n_trials - counted(study.trials)
    if owed <= 0:
        _log.info("tunelab: study %r holds %d counted trials already (n_trials=%d): nothing to run",
                  study.study_name, n_trials - owed, n_trials)
    job = 0
    study._stop_flag = False  # noqa: SLF001 - as optimize does: study.stop() ends the sweep
    while owed > 0 and not study._stop_flag:  # noqa: SLF001
        batch = []
        while len(batch) < min(n_jobs, owed) and not (batch and study._stop_flag):  # noqa: SLF001
            batch.append(study.ask())  # a grid sampler stops the study when it hands out its last point
        try:
            overrides = [space.overrides(space.suggest(t)) for t in batch]
            if validate is not None:
                validate(overrides)
        except Exception as exc:
            _end_all(study, batch, f"the sweep could not start it: {type(exc).__name__}: {exc}")
            raise
        _LIVE.update({job + i: t for i, t in enumerate(batch)})
        try:
            returns = launch(overrides, job)
        except BaseException as exc:
            first = "interrupted" if isinstance(exc, KeyboardInterrupt) else "the launcher raised"
            _end_all(study, batch, f"{first}: {type(exc).__name__}: {exc}")
            raise
        finally:
            for i in range(len(batch)):
                _LIVE.pop(job + i, None)
        job += len(batch)
        for live, ret in zip(batch, returns):
            _tell(study, live, ret)
        owed = n_trials - counted(study.trials)
    if owed > 0:
        _log.info("tunelab: the study was stopped (study.stop(); a grid sampler does so once every point "
                  "ran) with %d of n_trials=%d still owed", owed, n_trials)
    return study


def _end_all(study: Any, batch: list[Any], reason: str) -> None:
    from tunelab import TrialState

    for live in batch:
        study.tell(live, state=TrialState.FAIL, skip_if_finished=True, fail_reason=reason)


def _tell(study: Any, live: Any, ret: Any) -> None:
    from hydra.core.utils import JobStatus

    from tunelab import TrialState

    if ret.status != JobStatus.COMPLETED:
        # the job's exception: JobReturn.return_value would raise it after printing "Error executing
        # job", which a pruned trial is not
        exc = ret._return_value
        if isinstance(exc, TrialPruned):
            frozen = study.tell(live, state=TrialState.PRUNED, skip_if_finished=True)
            _log.info("tunelab: trial %d PRUNED", frozen.number)
        else:
            frozen = study.tell(live, state=TrialState.FAIL, skip_if_finished=True,
                                fail_reason=f"the task raised {type(exc).__name__}: {exc}")
            _log.warning("tunelab: trial %d FAIL (job %s): %s", frozen.number, " ".join(ret.overrides or []),
                         frozen.fail_reason, exc_info=(type(exc), exc, exc.__traceback__)
                         if isinstance(exc, BaseException) else None)
        return
    value = ret.return_value
    if value is None:
        frozen = study.tell(live, state=TrialState.FAIL, skip_if_finished=True,
                            fail_reason="the task returned None: a tunelab sweep needs the objective value(s) "
                                        "returned by the task function")
    else:
        value = _container(value)
        frozen = study.tell(live, list(value) if isinstance(value, (list, tuple)) else value, skip_if_finished=True)
    if frozen.state == TrialState.FAIL:
        _log.warning("tunelab: trial %d FAIL: %s", frozen.number, frozen.fail_reason)
    else:
        _log.info("tunelab: trial %d %s %s", frozen.number, frozen.state.name, list(frozen.values or ()))
