"""Optuna's ``optuna.distributions`` module path, over :mod:`tunelab.space`.

The classes are tunelab's own (``tunelab.distributions.FloatDistribution is
tunelab.space.FloatDistribution``), with Optuna's constructor arguments; their JSON is Optuna's
shape (``{"name": ..., "attributes": {...}}``). Optuna's function names:

* ``distribution_to_json(d)`` is ``BaseDistribution.to_json`` (called with the distribution);
* ``json_to_distribution(text)`` is :func:`tunelab.space.distribution_from_json`;
* ``check_distribution_compatibility(old, new)`` has Optuna's meaning: it raises (ValueError)
  when ``new`` is of another kind than ``old``, or is categorical with other choices. tunelab's
  own rule for asking a name again within one trial is stricter (the same distribution, see
  :func:`tunelab.space.check_compatible`).

Optuna's deprecated classes (``UniformDistribution``, ``LogUniformDistribution``,
``IntUniformDistribution`` ...) are not offered: ``FloatDistribution(low, high, log=, step=)`` and
``IntDistribution`` replace them, in Optuna as here.

>>> d = FloatDistribution(1e-4, 1e-1, log=True)
>>> json_to_distribution(distribution_to_json(d)) == d
True
"""

from __future__ import annotations

from tunelab._constraints import InstanceOf, constrained
from tunelab._errors import InvalidArgumentError
from tunelab.space import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_from_json,
)

__all__ = ["BaseDistribution", "CategoricalChoiceType", "CategoricalDistribution", "FloatDistribution",
           "IntDistribution", "check_distribution_compatibility", "distribution_to_json", "json_to_distribution"]

CategoricalChoiceType = CategoricalChoice
distribution_to_json = BaseDistribution.to_json
json_to_distribution = distribution_from_json

_DISTRIBUTION = InstanceOf(BaseDistribution, "a tunelab.space distribution")


@constrained({"dist_old": _DISTRIBUTION, "dist_new": _DISTRIBUTION})
def check_distribution_compatibility(dist_old: BaseDistribution, dist_new: BaseDistribution) -> None:
    """Raise InvalidArgumentError (a ValueError) when ``dist_new`` cannot stand for the same
    parameter as ``dist_old`` in Optuna's sense: another kind, or other categorical choices
    (a numeric range may differ).

    >>> check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(0, 2))
    >>> check_distribution_compatibility(FloatDistribution(0, 1), IntDistribution(0, 1))
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: dist_new=IntDistribution(low=0, high=1, log=False, step=1) is incompatible with dist_old=FloatDistribution(low=0.0, high=1.0, log=False, step=None): another kind of distribution
    """
    if type(dist_old) is not type(dist_new):
        why = "another kind of distribution"
    elif isinstance(dist_old, CategoricalDistribution) and dist_old != dist_new:
        why = "other categorical choices"
    else:
        return
    raise InvalidArgumentError(f"dist_new={dist_new!r} is incompatible with dist_old={dist_old!r}: {why}")
