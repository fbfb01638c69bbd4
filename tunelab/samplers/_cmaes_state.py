"""A ``cmaes.CMA`` optimizer written as JSON numbers and read back without ``pickle``.

``cmaes.CMA`` defines its own saved form through the pickling hooks ``__getstate__`` /
``__setstate__``: a flat mapping of its attributes (mean, step size, the covariance matrix
packed as its upper triangle, evolution paths, generation, learning rates, bounds, the history
used by the stopping rules; never its random generator). :func:`dump` writes that mapping as
JSON: numbers, ``None``, bools and arrays as ``{"shape": [...], "data": [...]}``, with the
non-finite floats spelled ``"nan"``, ``"inf"``, ``"-inf"`` (strict JSON has no such numbers).
:func:`load` builds the optimizer back only when every entry has the name, kind and shape that
the installed ``cmaes`` gives an optimizer of the same dimension and population size, so what
is read is numbers and nothing else: no code runs, and a state written by a different
``cmaes`` version is refused whole rather than half restored.

>>> import numpy as np, cmaes, json
>>> opt = cmaes.CMA(mean=np.full(2, 0.5), sigma=0.2, bounds=np.tile([0.0, 1.0], (2, 1)), seed=1)
>>> opt.tell([(opt.ask(), float(i)) for i in range(opt.population_size)])
>>> again = load(cmaes, json.loads(json.dumps(dump(opt))), dim=2, popsize=opt.population_size)
>>> again.generation, bool(np.array_equal(again.mean, opt.mean))
(1, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Largest population a stored state may claim (a bound on the memory a stored number can ask for).
MAX_POPSIZE = 1_000_000
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def dump(optimizer: Any) -> dict[str, Any]:
    """The optimizer's saved form (``__getstate__``) as a JSON-ready dict.

    Raises TypeError for an entry of a kind this module does not know (a newer ``cmaes``
    adding one): better no state than a state that cannot be read back.
    """
    return {name: _encode(name, value) for name, value in optimizer.__getstate__().items()}


def load(cmaes: Any, data: Any, *, dim: int, popsize: int) -> Any:
    """A ``cmaes.CMA`` rebuilt from :func:`dump`'s dict, or ValueError naming what does not fit.

    ``dim`` and ``popsize`` are the dimension and population size the caller expects; the
    entries must match, one by one, those of an optimizer the installed ``cmaes`` makes with
    them (before and after its first ``ask``, which caches an eigendecomposition). The random
    generator is fresh and unseeded: call ``reseed_rng`` before ``ask``.
    """
    if not isinstance(data, dict):
        raise ValueError(f"the optimizer is a {type(data).__name__}, not a JSON object")
    if isinstance(popsize, bool) or not isinstance(popsize, int) or not 2 <= popsize <= MAX_POPSIZE:
        raise ValueError(f"population size {popsize!r} is not an integer in [2, {MAX_POPSIZE}]")
    fresh, asked = _templates(cmaes, dim, popsize)
    if set(data) != set(fresh):
        extra, missing = sorted(set(data) - set(fresh)), sorted(set(fresh) - set(data))
        raise ValueError(f"the optimizer's entries differ from this cmaes version's (unknown: {extra}, "
                         f"missing: {missing})")
    state = {name: _decode(name, data[name], (fresh[name], asked[name])) for name in fresh}
    optimizer = cmaes.CMA.__new__(cmaes.CMA)
    optimizer.__setstate__(state)
    if optimizer.dim != dim or optimizer.population_size != popsize:
        raise ValueError(f"the optimizer has dimension {optimizer.dim} and population {optimizer.population_size}, "
                         f"expected {dim} and {popsize}")
    return optimizer


def _templates(cmaes: Any, dim: int, popsize: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The saved form of a new optimizer of this shape, before and after its first ask."""
    opt = cmaes.CMA(mean=np.full(dim, 0.5), sigma=0.1, bounds=np.tile([0.0, 1.0], (dim, 1)),
                    population_size=popsize, seed=0)
    fresh = opt.__getstate__()
    opt.ask()
    return fresh, opt.__getstate__()


def _number(x: float) -> float | str:
    return x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))


def _encode(name: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _number(float(value))
    if isinstance(value, np.ndarray) and value.dtype.kind in "fib":
        flat = value.ravel().tolist()
        return {"shape": list(value.shape), "data": [_number(x) if isinstance(x, float) else x for x in flat]}
    raise TypeError(f"cannot store the CMA-ES entry {name!r} of type {type(value).__name__}")


def _decode(name: str, value: Any, likes: tuple[Any, Any]) -> Any:
    """``value`` read as the kind of one of ``likes`` (the templates' entries), else ValueError."""
    for like in likes:
        try:
            return _decode_like(value, like)
        except (TypeError, ValueError):
            continue
    raise ValueError(f"the optimizer's entry {name!r} is not what this cmaes version stores there")


def _decode_like(value: Any, like: Any) -> Any:
    if like is None:
        if value is not None:
            raise ValueError
        return None
    if isinstance(like, (bool, np.bool_)):
        if not isinstance(value, bool):
            raise ValueError
        return value
    if isinstance(like, (int, np.integer)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        return value
    if isinstance(like, (float, np.floating)):
        return type(like)(_float(value))
    if isinstance(like, np.ndarray):
        if not isinstance(value, dict) or set(value) != {"shape", "data"} or value["shape"] != list(like.shape):
            raise ValueError
        data = value["data"]
        if not isinstance(data, list) or len(data) != like.size:
            raise ValueError
        kind = like.dtype.kind
        items = [_float(x) if kind == "f" else _decode_like(x, like.dtype.type(0)) for x in data]
        return np.array(items, dtype=like.dtype).reshape(like.shape)
    raise ValueError


def _float(value: Any) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    return float(value)
