"""Samplers: strategies that propose parameter values. The core never special-cases one.

>>> from tunelab.samplers import RandomSampler
>>> RandomSampler(seed=1)
RandomSampler(seed=1)
"""

from tunelab.samplers._base import Sampler
from tunelab.samplers._grid import GridSampler
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._tpe import TPESampler

__all__ = ["GridSampler", "RandomSampler", "Sampler", "TPESampler"]
