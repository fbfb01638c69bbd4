"""Search-space distributions and their internal numeric encoding.

>>> from tunelab.space import FloatDistribution
>>> FloatDistribution(0.0, 1.0).contains(0.5)
True
"""

from tunelab.space._distributions import (
    BaseDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
    distribution_from_json,
)

__all__ = [
    "BaseDistribution",
    "CategoricalChoice",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "check_compatible",
    "distribution_from_json",
]
