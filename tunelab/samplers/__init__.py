"""Samplers: strategies that propose parameter values. The core never special-cases one.

:class:`Sampler` is the plug-in point; ``BaseSampler`` is the same class under Optuna's name (one
object, two names), so a sampler written for Optuna (``infer_relative_search_space``,
``sample_relative``, ``sample_independent``, optional ``before_trial`` / ``after_trial`` /
``reseed_rng``) subclasses it unchanged.

>>> from tunelab.samplers import BaseSampler, RandomSampler
>>> RandomSampler(seed=1)
RandomSampler(seed=1)
>>> BaseSampler is Sampler
True
"""


from tunelab._lazy import lazy
from tunelab.samplers._base import Sampler

#: Optuna's name for :class:`Sampler` (the same class).
BaseSampler = Sampler

#: Samplers are imported on first use: the model-based ones pull in scipy, and ``import tunelab``
#: followed by a study with the default sampler should not pay for what it does not run.
_LAZY = {
    "AutoSampler": "tunelab.samplers._auto",
    "BruteForceSampler": "tunelab.samplers._brute_force",
    "CmaEsSampler": "tunelab.samplers._cmaes",
    "GPSampler": "tunelab.samplers._gp",
    "GridSampler": "tunelab.samplers._grid",
    "NSGAIISampler": "tunelab.samplers._nsga2",
    "PartialFixedSampler": "tunelab.samplers._partial_fixed",
    "QMCSampler": "tunelab.samplers._qmc",
    "RandomSampler": "tunelab.samplers._random",
    "TPESampler": "tunelab.samplers._tpe",
}

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "Sampler",
    "TPESampler",
]


__getattr__, __dir__ = lazy("tunelab.samplers", globals(), attrs=_LAZY)
