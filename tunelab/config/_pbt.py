"""The ``[pbt]`` table: population-based training of a training script (``tunelab run``).

Each member of the population trains ``interval`` epochs at a time, one script run per interval
(one trial); between intervals the worst members copy the best ones' checkpoints and
hyperparameters and perturb them (:class:`tunelab.pbt.PopulationBasedTraining`, whose settings
these keys are, checked with the same constraints)::

    [pbt]
    population_size = 8              # members, >= 2
    budget = 12                      # epochs each member trains in all
    interval = 3                     # epochs between two exploit/explore steps (<= budget)
    quantile = 0.25                  # bottom fraction that copies the top fraction, in (0, 0.5]
    perturbation_factors = [1.2, 0.8]
    resample_probability = 0.25
    hyperparams = ["lr"]             # explored (default: every float parameter)
    lr_param = "lr"                  # the learning rate, whose winner's schedule is the result
                                     # (default: "lr" when a float parameter has that name)
    steps_per_unit = 1               # optimizer steps per epoch, for the schedule's step count
    max_retries = 2                  # runs again of an interval whose script failed or was killed
    keep_checkpoints = false
    checkpoint_dir = "checkpoints"   # relative to the config (default: beside the study's file)
    checkpoint_file = "checkpoint"   # the name the script's checkpoint has in its trial's folder
    arguments = {epochs = "epochs", checkpoint_in = "checkpoint_in", checkpoint_out = "checkpoint_out"}

Besides its parameters, the script receives (as ``pass`` says: ``--name=value``, environment
variables or the JSON file) three values named by ``arguments``:

* ``epochs``: the epoch to train up to (the interval's end, counted from the start of training:
  3, 6, 9, 12 above), so the loop ``for epoch in range(start, epochs)`` of a static-search script
  is unchanged, ``start`` being the epoch its checkpoint holds (0 without one);
* ``checkpoint_in``: the checkpoint to resume from (a file or folder the script wrote earlier),
  or the empty string in the first interval: train from scratch;
* ``checkpoint_out``: where to save the checkpoint at the end of the interval (it must exist when
  the script exits 0, or the interval fails).

A seed at the top of the config seeds exploit and explore. ``[pbt]`` runs a ``command``, with no
``[pruner]`` (the population decides which members go on) nor ``[budget]`` (the population's size
and budget fix the trials), and float, int and categorical parameters (the learning rate's
schedule is PBT's result, not a searched one).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from tunelab._constraints import String
from tunelab.config._params import ParamSpec
from tunelab.config._source import ConfigError, ConfigTypeError, Source, check_keys

#: Keys of ``[pbt]`` that are :class:`~tunelab.pbt.PopulationBasedTraining`'s own arguments.
SETTINGS = ("population_size", "budget", "interval", "quantile", "perturbation_factors", "resample_probability",
            "hyperparams", "lr_param", "steps_per_unit", "max_retries", "keep_checkpoints")
KEYS = (*SETTINGS, "checkpoint_dir", "checkpoint_file", "arguments")
#: What the script receives besides its parameters, and the default name of each.
ARGUMENTS = ("epochs", "checkpoint_in", "checkpoint_out")
_REQUIRED = ("population_size", "budget")


@dataclasses.dataclass(frozen=True)
class PBTConfig:
    """A validated ``[pbt]`` table (see the module notes).

    Attributes:
        settings: keyword arguments of :class:`~tunelab.pbt.PopulationBasedTraining` (``seed`` included).
        arguments: ``{"epochs": name, "checkpoint_in": name, "checkpoint_out": name}``: what the
            script is passed the three values as.
        checkpoint_file: the name of the script's checkpoint inside its trial's checkpoint folder.
        checkpoint_dir: the root of the checkpoints (None: beside the study's file).
    """

    settings: dict[str, Any]
    arguments: dict[str, str]
    checkpoint_file: str = "checkpoint"
    checkpoint_dir: Path | None = None

    def build(self) -> Any:
        """The :class:`~tunelab.pbt.PopulationBasedTraining` these settings describe."""
        from tunelab.pbt import PopulationBasedTraining

        return PopulationBasedTraining(**self.settings)


def parse_pbt(data: dict[str, Any], parameters: tuple[ParamSpec, ...], directory: Path, seed: int | None,
              src: Source) -> PBTConfig | None:
    """Validate ``[pbt]`` and the tables it rules out (``[pruner]``, ``[budget]``, a ``function``
    objective, schedule parameters); None when the config has no ``[pbt]``."""
    if "pbt" not in data:
        return None
    from tunelab.pbt._pbt import CONSTRAINTS

    key = ("pbt",)
    table = data["pbt"]
    if not isinstance(table, dict):
        raise src.error(key, f"pbt={table!r} is invalid: must be a table ([pbt])", kind=ConfigTypeError)
    check_keys(table, KEYS, key, src)
    for name in ("pruner", "budget"):
        if name in data:
            why = ("the population decides which members go on" if name == "pruner"
                   else "the population's size and budget fix the trials")
            raise src.error((name,), f"[{name}] is invalid with [pbt]: {why}; remove [{name}]")
    objective = data.get("objective", {})
    if isinstance(objective, dict) and "function" in objective:
        raise src.error(("objective", "function"), "objective.function is invalid with [pbt]: [pbt] runs a "
                                                   "training script (command = [...]) that saves and loads its "
                                                   "checkpoint by path; for a Python function use "
                                                   "tunelab.pbt.PopulationBasedTraining")
    for spec in parameters:
        if spec.kind == "schedule":
            raise src.error(("parameters", spec.name, "type"),
                            f"parameters.{spec.name}.type='schedule' is invalid with [pbt]: the learning rate's "
                            'schedule is what population-based training finds; search it as {type = "float", '
                            "...} and name it in [pbt] lr_param")
    for name in _REQUIRED:
        if name not in table:
            raise src.error(key, f"[pbt] needs {name} (e.g. population_size = 8, budget = 12 epochs)")
    settings: dict[str, Any] = {}
    for name in SETTINGS:
        if name in table:
            settings[name] = src.check((*key, name), table[name], CONSTRAINTS[name])
    if settings.get("interval", 1) > settings["budget"]:
        raise src.error((*key, "interval"), f"pbt.interval={settings['interval']} is invalid: must be at most "
                                            f"pbt.budget={settings['budget']} (one interval is the whole budget: "
                                            "no member could ever copy another)")
    floats = [p.name for p in parameters if p.kind == "float"]
    names = [p.name for p in parameters]
    for name in settings.get("hyperparams", ()) or ():
        if name not in names:
            raise src.error((*key, "hyperparams"), f"pbt.hyperparams names {name!r}, which is invalid: must be "
                                                   f"one of the parameters {names}")
    if "lr_param" in settings:
        lr = settings["lr_param"]
        if lr == "":
            settings["lr_param"] = None
        elif lr not in floats:
            raise src.error((*key, "lr_param"), f"pbt.lr_param={lr!r} is invalid: must be one of the float "
                                                f"parameters {floats} (or \"\" for no schedule)")
    else:
        settings["lr_param"] = "lr" if "lr" in floats else None
    settings["seed"] = seed
    arguments = _arguments(table.get("arguments", {}), names, src)
    file = src.check((*key, "checkpoint_file"), table.get("checkpoint_file", "checkpoint"), String(non_empty=True, no_nul=True))
    if file in (".", "..") or "/" in file or os.sep in file or "\x00" in file:
        raise src.error((*key, "checkpoint_file"), f"pbt.checkpoint_file={file!r} is invalid: must be a plain "
                                                   "file name such as \"checkpoint\" or \"model.pt\" (no folders)")
    root = None
    if "checkpoint_dir" in table:
        given = src.check((*key, "checkpoint_dir"), table["checkpoint_dir"], String(non_empty=True, no_nul=True))
        root = (directory / given).resolve()
    return PBTConfig(settings, arguments, file, root)


def _arguments(table: Any, parameters: list[str], src: Source) -> dict[str, str]:
    key = ("pbt", "arguments")
    if not isinstance(table, dict):
        raise src.error(key, f"pbt.arguments={table!r} is invalid: must be a table such as {{epochs = \"epochs\", "
                             'checkpoint_in = "checkpoint_in", checkpoint_out = "checkpoint_out"}',
                        kind=ConfigTypeError)
    check_keys(table, ARGUMENTS, key, src)
    out = {name: table.get(name, name) for name in ARGUMENTS}
    for role, name in out.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise src.error((*key, role), f"pbt.arguments.{role}={name!r} is invalid: must be the name of the "
                                          "script's argument, an identifier such as \"epochs\"",
                            kind=ConfigError if isinstance(name, str) else ConfigTypeError)
        if name in parameters:
            raise src.error((*key, role), f"pbt.arguments.{role}={name!r} is invalid: {name!r} is a searched "
                                          f"parameter; the population sets the script's {role}, rename one of them")
    if len(set(out.values())) != len(out):
        raise src.error(key, f"pbt.arguments={out} is invalid: the three names must differ")
    return out
