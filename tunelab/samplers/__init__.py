"""Samplers: strategies that propose parameter values. The core never special-cases one.

>>> from tunelab.samplers import RandomSampler
>>> RandomSampler(seed=1)
RandomSampler(seed=1)
"""

from tunelab.samplers._auto import AutoSampler
from tunelab.samplers._base import Sampler
from tunelab.samplers._cmaes import CmaEsSampler
from tunelab.samplers._gp import GPSampler
from tunelab.samplers._grid import GridSampler
from tunelab.samplers._nsga2 import NSGAIISampler
from tunelab.samplers._qmc import QMCSampler
from tunelab.samplers._random import RandomSampler
from tunelab.samplers._tpe import TPESampler

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
