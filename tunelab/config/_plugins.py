"""Samplers and pruners by name: ``[sampler] name = "tpe"`` finds ``tunelab.samplers.TPESampler``.

Names are looked up in the package's public namespace when the config is read, so a sampler or
pruner added to :mod:`tunelab.samplers` / :mod:`tunelab.pruners` is usable from a config file with
no change here. A class ``FooBarSampler`` answers to ``"foobar"``, ``"foo_bar"`` and ``"foo-bar"``;
``"none"`` is the pruner that never prunes.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from typing import Any

from tunelab._errors import TunelabError
from tunelab.config._source import Source

_KINDS = {"sampler": ("tunelab.samplers", "Sampler"), "pruner": ("tunelab.pruners", "Pruner")}
_ALIASES = {"pruner": {"none": "nop"}}


def _normal(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def available(kind: str) -> dict[str, type]:
    """Short name -> class for every public sampler or pruner class.

    >>> "random" in available("sampler")
    True
    """
    module_name, suffix = _KINDS[kind]
    module = importlib.import_module(module_name)
    base = getattr(module, suffix)
    out = {}
    for attr in getattr(module, "__all__", ()):
        cls = getattr(module, attr, None)
        if inspect.isclass(cls) and issubclass(cls, base) and not inspect.isabstract(cls):
            out[_normal(attr[: -len(suffix)] if attr.endswith(suffix) else attr)] = cls
    return out


def build(kind: str, name: Any, args: Any, *, seed: int | None, src: Source) -> Any:
    """Instantiate the ``kind`` ("sampler" / "pruner") called ``name`` with ``args``.

    ``seed`` is passed when the class takes one and ``args`` does not set it.
    """
    classes = available(kind)
    names = sorted(classes) + sorted(_ALIASES.get(kind, {}))
    if not isinstance(name, str):
        raise src.error((kind, "name"), f"{kind}.name={name!r} is invalid: must be one of {names}")
    key = _ALIASES.get(kind, {}).get(_normal(name), _normal(name))
    if key not in classes:
        close = difflib.get_close_matches(_normal(name), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise src.error((kind, "name"), f"{kind}.name={name!r} is invalid: must be one of {names}{hint}")
    cls = classes[key]
    if not isinstance(args, dict):
        raise src.error((kind, "args"), f"{kind}.args={args!r} is invalid: must be a table of "
                                        f"{cls.__name__} arguments")
    accepted = inspect.signature(cls).parameters
    takes_any = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
    for arg in args:
        if arg not in accepted and not takes_any:
            allowed = [p for p in accepted if accepted[p].kind not in (inspect.Parameter.VAR_POSITIONAL,)]
            raise src.error((kind, "args", arg), f"{kind}.args.{arg} is invalid: {cls.__name__} takes "
                                                 f"{allowed or 'no arguments'}")
    kwargs = dict(args)
    if seed is not None and "seed" in accepted and "seed" not in kwargs:
        kwargs["seed"] = seed
    try:
        return cls(**kwargs)
    except (TunelabError, TypeError, ValueError) as exc:
        raise src.error((kind, "args"), f"{kind}.args for {cls.__name__}: {exc}") from None

