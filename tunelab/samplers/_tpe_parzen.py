"""Parzen estimators for TPE: a weighted mixture of product kernels over numeric and categorical axes.

Each parameter lives on one axis of a "model space", built on the distribution's internal encoding
(``d.to_internal``: the value itself, or the offset from ``low`` for integers beyond ``±2**53``):
log-scaled parameters on ``log(value)``, integers and stepped floats on a continuous interval
widened by half a step at each end (rounded back on the grid and returned through
``d.to_external``), categorical parameters on the index of the choice. Numeric kernels are
normal distributions truncated to the axis; categorical kernels put most of their mass on the
observed choice. A prior component (wide normal, uniform choices) keeps every point possible.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from tunelab.samplers._unit import edges, internal_bounds, is_discrete
from tunelab.space import BaseDistribution, CategoricalDistribution

#: Scale of the numeric bandwidth (times the axis width, times n ** (-1 / (d + 4))).
BANDWIDTH_SCALE = 0.1
_MIN_BANDWIDTH = 0.01


#: Categorical kernels spread ``min(CATEGORICAL_SPREAD_CAP, CATEGORICAL_SPREAD / sqrt(n + 1))`` evenly.
CATEGORICAL_SPREAD = 2.0
CATEGORICAL_SPREAD_CAP = 0.9


def categorical_smoothing(n: int) -> float:
    """Share of a categorical kernel spread evenly over the choices, for ``n`` observations.

    ``min(0.9, 2 / sqrt(n + 1))``: 0.9 up to 4 observations, 0.4 at 24, 0.2 at 99. A choice is
    proposed where ``l / g`` is highest, and with a handful of choices every one of them is among
    the candidates, so the comparison is deterministic: with sharp kernels the choice that filled
    the small good set (say one branch of a model choice whose tied plateau holds all of it) wins
    every time, and a branch whose good region is narrow is never revisited. Wide kernels in the
    small good set flatten ``l`` so that a choice the bad set holds few of is tried again until
    ``g`` covers it; ``g``, fit on many more trials, keeps narrower kernels.

    >>> round(categorical_smoothing(3), 2), round(categorical_smoothing(99), 2)
    (0.9, 0.2)
    """
    return min(CATEGORICAL_SPREAD_CAP, CATEGORICAL_SPREAD / math.sqrt(n + 1))


@dataclasses.dataclass(frozen=True)
class Axis:
    """One parameter on the model space: ``[low, high]`` for numbers, ``n_choices`` for categories."""

    distribution: BaseDistribution
    low: float = 0.0
    high: float = 0.0
    n_choices: int = 0

    @staticmethod
    def of(distribution: BaseDistribution) -> Axis:
        """The axis of ``distribution``, in its internal encoding (see :func:`~tunelab.samplers._unit.edges`).

        >>> from tunelab.space import IntDistribution
        >>> Axis.of(IntDistribution(1, 5)).low, Axis.of(IntDistribution(1, 5)).high
        (0.5, 5.5)
        >>> Axis.of(IntDistribution(2**60, 2**60 + 10)).high  # offsets from low: exact beyond 2**53
        10.5
        """
        if isinstance(distribution, CategoricalDistribution):
            return Axis(distribution, n_choices=len(distribution.choices))
        low, high, _ = edges(distribution)
        return Axis(distribution, low, high)

    @property
    def categorical(self) -> bool:
        return self.n_choices > 0

    def encode(self, internal: float) -> float:
        """Model-space coordinate of a stored internal value."""
        if self.categorical or not self.distribution.log:
            return float(internal)
        return math.log(internal)

    def decode(self, x: float) -> object:
        """The external value (inside the distribution) nearest to model-space coordinate ``x``.

        >>> from tunelab.space import IntDistribution
        >>> Axis.of(IntDistribution(2**60, 2**60 + 10)).decode(3.2) - 2**60
        3
        """
        d = self.distribution
        if isinstance(d, CategoricalDistribution):
            return d.choices[int(x)]
        low, high = internal_bounds(d)
        v = math.exp(x) if d.log else float(x)
        v = min(max(v, low), high)
        if is_discrete(d):  # on the step grid counted from low, in the internal encoding
            k = round((v - low) / d.step)
            return d.to_external(min(low + d.step * k, high))
        return d.to_external(v)


class ParzenEstimator:
    """A mixture with one product kernel per observation (weight 1) plus a prior (weight 1).

    ``observations`` is an ``(n, d)`` array of model-space coordinates on ``axes``.

    >>> from tunelab.space import FloatDistribution
    >>> axes = [Axis.of(FloatDistribution(0.0, 1.0)), Axis.of(CategoricalDistribution(["a", "b"]))]
    >>> pe = ParzenEstimator(axes, np.array([[0.2, 0.0], [0.3, 0.0]]))
    >>> x = pe.sample(np.random.default_rng(0), 5)
    >>> x.shape, bool(np.all((x[:, 0] >= 0) & (x[:, 0] <= 1)))
    ((5, 2), True)
    >>> bool(pe.log_pdf(np.array([[0.25, 0.0]]))[0] > pe.log_pdf(np.array([[0.9, 1.0]]))[0])
    True
    """

    def __init__(self, axes: list[Axis], observations: np.ndarray) -> None:
        self.axes = axes
        obs = np.asarray(observations, dtype=float).reshape(-1, len(axes))
        n = len(obs)
        n_numeric = sum(not a.categorical for a in axes)
        self.n = n
        self.log_weights = np.full(n + 1, -math.log(n + 1))
        self.mus: list[np.ndarray] = []
        self.sigmas: list[np.ndarray] = []
        self.probs: list[np.ndarray] = []
        shrink = (n + 1) ** (-1.0 / (n_numeric + 4))
        self._base = self.log_weights.copy()  # log weight + log normaliser of each component
        for j, axis in enumerate(axes):
            if axis.categorical:
                k = axis.n_choices
                smooth = categorical_smoothing(n)
                p = np.full((n + 1, k), 1.0 / k)
                idx = obs[:, j].astype(int)
                p[:n] *= smooth
                p[np.arange(n), idx] += 1.0 - smooth
                self.probs.append(np.log(p))
                self.mus.append(np.zeros(0))
                self.sigmas.append(np.zeros(0))
            else:
                width = axis.high - axis.low
                sigma = max(BANDWIDTH_SCALE * shrink, _MIN_BANDWIDTH) * width
                mu = np.append(obs[:, j], (axis.low + axis.high) / 2)
                sigmas = np.append(np.full(n, sigma), width)
                self.mus.append(mu)
                self.sigmas.append(sigmas)
                self.probs.append(np.zeros(0))
                # each component's log normaliser (Gaussian constant and truncation to [low, high])
                # does not depend on the point: fold it into the per-component base once
                mass = _log_diff(log_ndtr((axis.high - mu) / sigmas), log_ndtr((axis.low - mu) / sigmas))
                self._base = self._base - _log_gauss_norm(sigmas) - mass

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` model-space points drawn from the mixture."""
        comp = rng.choice(self.n + 1, size=size, p=np.exp(self.log_weights))
        out = np.empty((size, len(self.axes)))
        for j, axis in enumerate(self.axes):
            if axis.categorical:
                p = np.exp(self.probs[j][comp])
                cum = np.cumsum(p, axis=1)
                u = rng.random(size)[:, None] * cum[:, -1:]
                out[:, j] = np.minimum((u > cum).sum(axis=1), axis.n_choices - 1)
            else:
                mu, sigma = self.mus[j][comp], self.sigmas[j][comp]
                a, b = ndtr((axis.low - mu) / sigma), ndtr((axis.high - mu) / sigma)
                u = a + rng.random(size) * (b - a)
                x = mu + sigma * ndtri(np.clip(u, 1e-300, 1 - 1e-16))
                out[:, j] = np.clip(np.nan_to_num(x, nan=mu), axis.low, axis.high)
        return out

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density of each row of ``x`` (an ``(m, d)`` array of model-space points)."""
        total = np.tile(self._base, (len(x), 1))
        for j, axis in enumerate(self.axes):
            if axis.categorical:
                total += self.probs[j][:, x[:, j].astype(int)].T
            else:
                z = np.subtract.outer(x[:, j], self.mus[j])
                z /= self.sigmas[j]
                z *= z
                z *= 0.5
                total -= z
        # log-sum-exp over components (scipy's logsumexp does the same with more checks per call)
        peak = total.max(axis=1, keepdims=True)
        peak[~np.isfinite(peak)] = 0.0  # a row of -inf stays -inf instead of turning into NaN
        np.subtract(total, peak, out=total)
        np.exp(total, out=total)
        return np.log(total.sum(axis=1)) + peak[:, 0]


def _log_gauss_norm(sigmas: np.ndarray) -> np.ndarray:
    """``log(sigma * sqrt(2 pi))``, also where that product overflows (an axis near the float64 range's width).

    >>> bool(np.isfinite(_log_gauss_norm(np.array([1.6e308]))[0]))
    True
    """
    with np.errstate(over="ignore"):
        scaled = sigmas * math.sqrt(2 * math.pi)
    if np.all(np.isfinite(scaled)):
        return np.log(scaled)
    return np.log(sigmas) + 0.5 * math.log(2 * math.pi)


def _log_diff(log_a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """``log(exp(log_a) - exp(log_b))`` for ``log_a >= log_b``, safe when both are tiny."""
    return log_a + np.log1p(-np.exp(np.minimum(log_b - log_a, -1e-12)))
