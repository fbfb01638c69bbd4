"""Samplers: strategies that propose parameter values. The core never special-cases one.

>>> from tunelab.samplers import RandomSampler
>>> RandomSampler(seed=1)
RandomSampler(seed=1)
"""

from typing import Any

from tunelab.samplers._base import Sampler

#: Samplers are imported on first use: the model-based ones pull in scipy, and ``import tunelab``
#: followed by a study with the default sampler should not pay for what it does not run.
_LAZY = {
    "AutoSampler": "tunelab.samplers._auto",
    "CmaEsSampler": "tunelab.samplers._cmaes",
    "GPSampler": "tunelab.samplers._gp",
    "GridSampler": "tunelab.samplers._grid",
    "NSGAIISampler": "tunelab.samplers._nsga2",
    "QMCSampler": "tunelab.samplers._qmc",
    "RandomSampler": "tunelab.samplers._random",
    "TPESampler": "tunelab.samplers._tpe",
}

__all__ = [
    "AutoSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIISampler",
    "QMCSampler",
    "RandomSampler",
    "Sampler",
    "TPESampler",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tunelab.samplers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
