"""The validated config: every table checked before anything runs.

A complete file (every key but ``[objective]``'s ``command`` / ``function``, ``[metric]`` and
``[parameters]`` is optional)::

    study = "digits"                 # study name (default: the config file's stem)
    storage = "digits.db"            # URL or SQLite path beside the config (default: <stem>.db), or a
                                     # [storage] table with heartbeats: see tunelab.config._storage
    seed = 0                         # sampler seed
    n_jobs = 2                       # trials at the same time (each script is its own process)

    [objective]
    command = ["python", "train.py"] # or: function = "module:function" (a define-by-run objective)
    pass = "args"                    # how a script gets parameters: "args", "env" or "json"
    timeout = 120                    # seconds per trial; a trial past it FAILs
    grace = 5                        # seconds between SIGTERM and SIGKILL when a trial is stopped
    env = {OMP_NUM_THREADS = "1"}    # extra environment for the script

    [metric]
    name = "val_loss"                # or names = [...] with directions = [...]
    direction = "minimize"

    [budget]
    n_trials = 40                    # and/or timeout = 600 (seconds for the whole run)

    [sampler]
    name = "tpe"                     # any tunelab.samplers class, e.g. "random", "tpe"
    args = {n_startup_trials = 8}

    [pruner]
    name = "none"                    # any tunelab.pruners class, "none" / "nop" never prunes
    budget = "epochs"                # train in rungs: the script runs once per budget with --epochs=<b>
    max_budget = 27                  # (and schedules rebuilt for b / max_budget of their steps); without
                                     # a name, the schedule-aware default (tunelab.fidelity.default_pruner)

    [parameters]                     # see tunelab.config._params

    [pbt]                            # population-based training instead of a search: see
    population_size = 8              # tunelab.config._pbt (no [budget] nor [pruner] then; the script
    budget = 12                      # gets --epochs=<interval's end>, --checkpoint_in=<path or "">
    interval = 3                     # and --checkpoint_out=<path> besides its parameters)
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from tunelab._constraints import InstanceOf, Integral, Options, Real
from tunelab.config import _plugins
from tunelab.config._params import ParamSpec, parse_parameters
from tunelab.config._pbt import PBTConfig, parse_pbt
from tunelab.config._source import ConfigError, ConfigTypeError, Source, check_keys, load_toml
from tunelab.config._storage import parse_storage

TOP_KEYS = ("study", "storage", "seed", "n_jobs", "objective", "metric", "budget", "sampler", "pruner",
            "parameters", "pbt")
OBJECTIVE_KEYS = ("command", "function", "pass", "timeout", "grace", "env")
PASS_MODES = ("args", "env", "json")
_SECONDS = Real(0, None, min_open=True, what="a positive number of seconds")
_DIRECTION = Options("minimize", "maximize", what="'minimize' or 'maximize'")


@dataclasses.dataclass(frozen=True)
class Objective:
    """What a trial runs: a script ``command`` (no shell) or a Python ``function`` ("module:function")."""

    command: tuple[str, ...] | None
    function: str | None
    pass_params: str = "args"
    timeout: float | None = None
    grace: float = 5.0
    env: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Config:
    """A validated config file. Build it with :func:`load_config`."""

    path: Path
    study_name: str
    storage: str
    seed: int | None
    n_jobs: int
    objective: Objective
    metrics: tuple[str, ...]
    directions: tuple[str, ...]
    parameters: tuple[ParamSpec, ...]
    n_trials: int | None
    timeout: float | None
    sampler: Any
    pruner: Any
    #: Heartbeats of running trials: seconds between beats (None: none), seconds of silence after
    #: which a trial is taken for lost, and how often a lost trial is queued again.
    heartbeat_interval: float | None = None
    grace_period: float | None = None
    retries: int = 0
    #: ``(argument, max_budget)`` of ``[pruner] budget``: each trial trains in rungs (tunelab.fidelity).
    budget: tuple[str, int] | None = None
    #: ``[pbt]``: population-based training of the script instead of a search (tunelab.config._pbt).
    pbt: PBTConfig | None = None

    @property
    def directory(self) -> Path:
        """The config file's folder: scripts run there and relative paths start there."""
        return self.path.parent


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate the TOML config at ``path`` (errors name the file, line and key)."""
    data, src = load_toml(path)
    check_keys(data, TOP_KEYS, (), src)
    config_path = Path(path).resolve()
    for required in ("objective", "metric", "parameters"):
        if required not in data:
            raise ConfigError(f"{src.path}: [{required}] is missing: a config needs [objective], [metric] "
                              "and [parameters]")
    seed = _int(data, "seed", src, low=0, default=None)
    n_jobs = _int(data, "n_jobs", src, low=1, default=1)
    study = data.get("study", config_path.stem)
    if not isinstance(study, str) or not study:
        raise src.error(("study",), f"study={study!r} is invalid: must be a non-empty string", kind=ConfigTypeError)
    objective = _objective(_table(data, "objective", src), config_path.parent, src)
    metrics, directions = _metric(_table(data, "metric", src), src)
    parameters = parse_parameters(data["parameters"], src)
    pbt = parse_pbt(data, parameters, config_path.parent, seed, src)
    if pbt is not None and len(metrics) != 1:
        raise src.error(("metric",), f"[metric] names {len(metrics)} metrics, which is invalid with [pbt]: members "
                                     "are ranked by one metric")
    budget = _table(data, "budget", src, default={})
    check_keys(budget, ("n_trials", "timeout"), ("budget",), src)
    n_trials = _int(budget, "n_trials", src, low=1, default=None, key=("budget",))
    timeout = _number(budget, "timeout", src, key=("budget",))
    if n_trials is None and timeout is None and pbt is None:
        raise src.error(("budget",), "[budget] needs n_trials or timeout (or both): the run must know when to stop")
    plugins = {}
    for kind, default in (("sampler", "tpe"), ("pruner", "none")):
        table = _table(data, kind, src, default={"name": default})
        check_keys(table, ("name", "args", *(("budget", "max_budget") if kind == "pruner" else ())), (kind,), src)
        plugins[kind] = (table.get("name", default), table.get("args", {}))
    sampler = _plugins.build("sampler", *plugins["sampler"], seed=seed, src=src)
    rungs = _budget(_table(data, "pruner", src, default={}), parameters, src)
    named = "name" in data.get("pruner", {})
    # a budget without a pruner named: the study's default, which tunelab.fidelity makes schedule-aware
    pruner = _plugins.build("pruner", *plugins["pruner"], seed=seed, src=src) if named or not rungs else None
    if pbt is not None:  # a member is never pruned: it goes on, or copies a better one
        pruner = _plugins.build("pruner", "none", {}, seed=seed, src=src)
    storage = parse_storage(data.get("storage"), config_path, src, script=objective.command is not None)
    if pbt is not None and pbt.checkpoint_dir is None and not storage.url.startswith("sqlite:///"):
        raise src.error(("pbt",), "[pbt] needs checkpoint_dir = \"a/folder\" with this storage: checkpoints are "
                                  "kept beside an SQLite file by default, and this storage has none (give a folder "
                                  "every machine of the run can reach)")
    return Config(
        path=config_path, study_name=study, storage=storage.url,
        seed=seed, n_jobs=n_jobs, objective=objective, metrics=metrics, directions=directions,
        parameters=parameters, n_trials=n_trials, timeout=timeout, sampler=sampler, pruner=pruner,
        heartbeat_interval=storage.heartbeat_interval, grace_period=storage.grace_period, retries=storage.retries,
        budget=rungs, pbt=pbt,
    )


def _budget(table: dict[str, Any], parameters: tuple[ParamSpec, ...], src: Source) -> tuple[str, int] | None:
    """``[pruner] budget`` / ``max_budget``: the script's budget argument and its full value."""
    key = ("pruner",)
    name, top = table.get("budget"), table.get("max_budget")
    if name is None and top is None:
        return None
    if name is None or top is None:
        given, missing = ("budget", "max_budget") if top is None else ("max_budget", "budget")
        raise src.error(key, f"[pruner] {given} needs {missing} too: budget names the script's argument "
                             '(e.g. budget = "epochs"), max_budget its value for a full training (e.g. 27)')
    if not isinstance(name, str) or not name.isidentifier():
        raise src.error((*key, "budget"), f"pruner.budget={name!r} is invalid: must be the name of the script's "
                                          'budget argument, an identifier such as "epochs"', kind=ConfigTypeError)
    if name in {p.name for p in parameters}:
        raise src.error((*key, "budget"), f"pruner.budget={name!r} is invalid: {name!r} is a searched parameter; "
                                          "the budget is set by the rungs, not searched")
    return name, src.check((*key, "max_budget"), top, Integral(min=1))


def _table(data: dict[str, Any], name: str, src: Source, *, default: Any = None) -> dict[str, Any]:
    return src.check((name,), data.get(name, default), InstanceOf(dict, f"a table ([{name}])"))


def _int(table: dict[str, Any], name: str, src: Source, *, low: int, default: Any,
         key: tuple[str, ...] = ()) -> int | None:
    value = table.get(name, default)
    return None if value is None else src.check((*key, name), value, Integral(min=low))


def _number(table: dict[str, Any], name: str, src: Source, *, key: tuple[str, ...], default: Any = None) -> Any:
    value = table.get(name, default)
    return None if value is None else float(src.check((*key, name), value, _SECONDS))


def _objective(table: dict[str, Any], directory: Path, src: Source) -> Objective:
    key = ("objective",)
    check_keys(table, OBJECTIVE_KEYS, key, src)
    command, function = table.get("command"), table.get("function")
    if (command is None) == (function is None):
        raise src.error(key, "[objective] needs exactly one of command = [...] (a training script) or "
                             'function = "module:function"')
    mode = src.check((*key, "pass"), table.get("pass", "args"), Options(*PASS_MODES))
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise src.error((*key, "env"), f"objective.env={env!r} is invalid: must be a table of strings",
                        kind=ConfigTypeError)
    grace = _number(table, "grace", src, key=key, default=5.0)
    timeout = _number(table, "timeout", src, key=key)
    if function is not None:
        if not isinstance(function, str) or function.count(":") != 1 or not all(function.split(":")):
            raise src.error((*key, "function"), f"objective.function={function!r} is invalid: must be "
                                                "'module:function'")
        return Objective(None, function, mode, timeout, grace, env)
    if isinstance(command, str):
        command = shlex.split(command)  # split like a shell would, but it never reaches one
    if not isinstance(command, list) or not command or not all(isinstance(c, str) and c for c in command):
        raise src.error((*key, "command"), f"objective.command={command!r} is invalid: must be a non-empty list "
                                           'of strings, e.g. ["python", "train.py"]', kind=ConfigTypeError)
    return Objective(tuple(_check_program(command, directory, src)), None, mode, timeout, grace, env)


def _check_program(command: list[str], directory: Path, src: Source) -> list[str]:
    """The command with ``python`` meaning this interpreter; the script must exist (and run)."""
    key = ("objective", "command")
    program, rest = command[0], list(command[1:])
    if program in ("python", "python3"):
        script = next((a for a in rest if not a.startswith("-")), None)
        if script is not None and script.endswith(".py") and not (directory / script).is_file():
            raise src.error(key, f"objective.command: script {script!r} is not found in {directory}")
        return [sys.executable, *rest]
    if os.sep in program or program.startswith("."):
        path = (directory / program)
        if not path.is_file():
            raise src.error(key, f"objective.command: script {program!r} is not found in {directory}")
        if not os.access(path, os.X_OK):
            raise src.error(key, f"objective.command: script {program!r} is not executable: chmod +x it, or "
                                 f'run it as ["python", {program!r}]')
        return [str(path.resolve()), *rest]
    if shutil.which(program) is None:
        raise src.error(key, f"objective.command: program {program!r} is not found on PATH")
    return command


def _metric(table: dict[str, Any], src: Source) -> tuple[tuple[str, ...], tuple[str, ...]]:
    key = ("metric",)
    check_keys(table, ("name", "names", "direction", "directions"), key, src)
    names = table.get("names", [table["name"]] if "name" in table else None)
    if not names or not isinstance(names, list) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise src.error(key, f"[metric] needs name = \"...\" (or names = [...]) of identifiers; got {names!r}")
    directions = table.get("directions", [table.get("direction", "minimize")] * len(names))
    if not isinstance(directions, list) or len(directions) != len(names):
        raise src.error((*key, "directions"), f"metric.directions={directions!r} is invalid: must list one "
                                              f"direction per metric ({len(names)})")
    for d in directions:
        src.check((*key, "direction" if "direction" in table else "directions"), d, _DIRECTION)
    return tuple(names), tuple(directions)
