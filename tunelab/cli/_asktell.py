"""``tunelab ask`` / ``tunelab tell``: drive a study from the shell, one trial at a time.

A search space is JSON: ``{"x": {"type": "float", "low": 0, "high": 1, "log": false},
"n": {"type": "int", "low": 1, "high": 8}, "act": {"type": "categorical", "choices": ["relu", "tanh"]}}``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tunelab._errors import InvalidArgumentError, StorageError, TunelabError
from tunelab.cli._common import add_storage_argument, add_study_argument, integer, number, writing
from tunelab.reporting._safe import dumps
from tunelab.space import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storage._base import check_name

_TYPES = {"float": FloatDistribution, "int": IntDistribution, "categorical": CategoricalDistribution}
#: The largest trial number a storage can hold (a signed 64-bit integer).
MAX_TRIAL = 2**63 - 1


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("ask", help="start a trial and print its parameters as JSON")
    add_storage_argument(p)
    add_study_argument(p, required=True)
    p.add_argument("--search-space", required=True, help="JSON mapping of parameter name to distribution")
    p.add_argument("--direction", action="append", dest="directions", choices=("minimize", "maximize"),
                   help="direction(s) used if the study does not exist yet (repeat for several objectives)")
    p.set_defaults(handler=cmd_ask)

    p = subparsers.add_parser("tell", help="finish a trial with its value(s) or a state")
    add_storage_argument(p)
    add_study_argument(p, required=True)
    p.add_argument("--trial", type=integer(0, MAX_TRIAL), required=True, help="the trial number printed by ask")
    p.add_argument("--values", type=number, nargs="+", help="objective value(s) (NaN makes the trial FAIL)")
    p.add_argument("--state", choices=("complete", "pruned", "fail"), help="final state (default complete)")
    p.add_argument("--skip-if-finished", action="store_true")
    p.set_defaults(handler=cmd_tell)


def parse_search_space(text: str) -> dict[str, BaseDistribution]:
    """Turn the ``--search-space`` JSON into distributions, naming the parameter at fault."""
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArgumentError(f"--search-space is not valid JSON: {exc}") from None
    if not isinstance(spec, dict) or not spec:
        raise InvalidArgumentError(f"--search-space={text!r} is invalid: must be a non-empty JSON object")
    out = {}
    for name, item in spec.items():
        check_name("--search-space key", name)  # before any trial is started
        if not isinstance(item, dict) or item.get("type") not in _TYPES:
            raise InvalidArgumentError(
                f"--search-space[{name!r}]={item!r} is invalid: must be an object with "
                f"\"type\" one of {sorted(_TYPES)}")
        args = {k: v for k, v in item.items() if k != "type"}
        cls = _TYPES[item["type"]]
        try:
            if cls is CategoricalDistribution:
                out[name] = cls(args.pop("choices"))
            else:
                out[name] = cls(args.pop("low"), args.pop("high"), **args)
        except (KeyError, TypeError) as exc:
            raise InvalidArgumentError(f"--search-space[{name!r}]={item!r} is invalid: {exc}") from None
    return out


def cmd_ask(args: argparse.Namespace) -> int:
    import tunelab

    space = parse_search_space(args.search_space)
    directions = args.directions or ["minimize"]
    with writing(args, create=True) as storage:
        study = tunelab.create_study(study_name=args.study, storage=storage, directions=directions,
                                     load_if_exists=True)
        trial = study.ask()
        try:
            for name, distribution in space.items():
                trial.suggest(name, distribution)
            trial.save_params()
        except Exception as exc:  # e.g. the disk filled up: the trial must not stay RUNNING
            raise _abandon(study, trial, exc) from exc
    print(dumps({"number": trial.number, "params": trial.params}))
    return 0


def _abandon(study: Any, trial: Any, exc: Exception) -> Exception:
    """Fail ``trial``, whose parameters could not be saved; return the error to raise, saying what became of it."""
    import tunelab

    reason = f"tunelab ask could not save the parameters: {type(exc).__name__}: {exc}"
    try:
        study.tell(trial, state=tunelab.TrialState.FAIL, fail_reason=reason)
    except Exception:
        fate = (f"trial {trial.number} is left RUNNING: when the storage can be written again, run "
                f"tunelab tell --study {study.study_name!r} --trial {trial.number} --state fail")
    else:
        fate = f"trial {trial.number} is marked FAIL"
    if isinstance(exc, TunelabError):
        return type(exc)(f"{exc} ({fate})")
    return StorageError(f"ask could not save trial {trial.number}'s parameters: {type(exc).__name__}: {exc} ({fate})")


def cmd_tell(args: argparse.Namespace) -> int:
    import tunelab

    state = tunelab.TrialState[args.state.upper()] if args.state else None
    if state in (None, tunelab.TrialState.COMPLETE) and not args.values:
        raise InvalidArgumentError("--values is missing: a COMPLETE trial needs its objective value(s)")
    with writing(args, create=False) as storage:
        study = tunelab.load_study(study_name=args.study, storage=storage)
        try:
            frozen = study.tell(args.trial, args.values, state=state, skip_if_finished=args.skip_if_finished)
        except StorageError as exc:
            raise StorageError(f"{exc} (trial {args.trial} was not changed: tell again when the storage can be "
                               "written)") from exc
    print(dumps({"number": frozen.number, "state": frozen.state.name, "values": frozen.values}))
    return 0
