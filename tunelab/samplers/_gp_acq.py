"""Log expected improvement and its optimisation over a mixed, possibly conditional unit box.

``EI(x) = sigma * h(z)`` with ``z = (mu - best) / sigma`` and ``h(z) = phi(z) + z * Phi(z)``
(Jones, Schonlau & Welch 1998). Far below the incumbent ``h`` underflows long before ``log h``
does, so for ``z <= -1`` we write ``h(z) = phi(z) * (1 - u * R(u))`` with ``u = -z`` and the Mills
ratio ``R(u) = erfcx(u / sqrt(2)) * sqrt(pi / 2)``, and for ``u > 20`` use the asymptotic series
``1 - u R(u) = u**-2 - 3 u**-4 + 15 u**-6 - ...`` (as in Ament et al. 2023, "Unexpected
improvements to expected improvement"): ``log EI`` stays finite and smooth for any ``z``.

With constraints (Gardner et al. 2014, "Bayesian optimization with inequality constraints"), each
constraint value ``c_j`` has its own GP and the acquisition is ``log EI(x) + sum_j log P(c_j(x) <= 0)``,
``EI`` taken over the best *feasible* value; before any trial is feasible, the sum alone (the
point most likely to be feasible).

The optimiser scores scrambled Sobol candidates plus perturbations of the best observed points,
refines the best few jointly with L-BFGS-B along the numeric dimensions, snaps discrete
dimensions to their grid, then tries every allowed choice of each categorical dimension once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import scipy.optimize
import scipy.special
from scipy.stats import qmc

from tunelab.samplers._gp_kernel import Posterior

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF_PI = math.sqrt(math.pi / 2)
_ASYMPTOTIC_FROM = 20.0


def _one_minus_uR(u: np.ndarray) -> np.ndarray:
    """``1 - u * R(u)`` for ``u >= 1``, accurate where it nears zero."""
    direct = 1.0 - u * scipy.special.erfcx(u / math.sqrt(2.0)) * _SQRT_HALF_PI
    inv2 = 1.0 / np.maximum(u, 1.0) ** 2
    series = inv2 * (1.0 - 3.0 * inv2 + 15.0 * inv2**2 - 105.0 * inv2**3)
    return np.where(u > _ASYMPTOTIC_FROM, series, direct)


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log h(z)`` and its derivative ``Phi(z) / h(z)``, finite for every finite ``z``.

    >>> value, slope = log_h(np.array([0.0, -40.0, -1e6]))
    >>> bool(np.all(np.isfinite(value)) and np.all(np.isfinite(slope)) and value[2] < value[1] < value[0])
    True
    """
    z = np.asarray(z, dtype=float)
    high = z > -1.0
    zh = np.where(high, z, 0.0)
    cdf = scipy.special.ndtr(zh)
    h_high = np.exp(-0.5 * zh * zh) / math.sqrt(2 * math.pi) + zh * cdf
    u = np.where(high, 1.0, -z)
    tail = _one_minus_uR(u)
    mills = scipy.special.erfcx(u / math.sqrt(2.0)) * _SQRT_HALF_PI
    value = np.where(high, np.log(h_high), -0.5 * u * u - _LOG_SQRT_2PI + np.log(tail))
    slope = np.where(high, cdf / h_high, mills / tail)
    return value, slope


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> np.ndarray:
    """``log EI`` of maximising a function with posterior ``mean`` / ``var`` over the value ``best``.

    >>> float(log_ei(np.array([-1e4]), np.array([1e-6]), 0.0)[0]) > -np.inf
    True
    """
    sigma = np.sqrt(var)
    return np.log(sigma) + log_h((mean - best) / sigma)[0]


def _log_ei_with_grad(post: Posterior, Z: np.ndarray, free: np.ndarray, best: float):
    mean, var, dmean, dvar = post.predict_with_grad(Z, free)
    sigma = np.sqrt(var)
    z = (mean - best) / sigma
    value, g = log_h(z)
    value = value + np.log(sigma)
    grad = dmean * (g / sigma)[:, None] + dvar * ((1.0 - g * z) / (2.0 * var))[:, None]
    return value, grad


@dataclasses.dataclass(frozen=True)
class Constraint:
    """One constraint's GP (on standardised values) and the value of 0 on that scale: the
    constraint is met where the latent value is ``<= threshold``."""

    post: Posterior
    threshold: float


def _log_feasible(constraints: tuple[Constraint, ...], Z: np.ndarray) -> np.ndarray:
    total = np.zeros(len(Z))
    for c in constraints:
        mean, var = c.post.predict(Z)
        total += scipy.special.log_ndtr((c.threshold - mean) / np.sqrt(var))
    return total


def _log_feasible_with_grad(constraints: tuple[Constraint, ...], Z: np.ndarray,
                            free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total, grad = np.zeros(len(Z)), np.zeros((len(Z), len(free)))
    for c in constraints:
        mean, var, dmean, dvar = c.post.predict_with_grad(Z, free)
        sigma = np.sqrt(var)
        z = (c.threshold - mean) / sigma
        log_cdf = scipy.special.log_ndtr(z)
        ratio = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - log_cdf)  # phi(z) / Phi(z), finite far in the tail
        dz = -dmean / sigma[:, None] - (z / (2.0 * var))[:, None] * dvar
        total += log_cdf
        grad += ratio[:, None] * dz
    return total, grad


def acquisition(post: Posterior, best: float | None, constraints: tuple[Constraint, ...],
                Z: np.ndarray) -> np.ndarray:
    """``log EI`` over ``best`` (left out when None: nothing feasible yet) plus the log probability
    that every constraint is met, at the rows of ``Z``.

    >>> X = np.array([[0.0], [1.0]]); cat = np.array([False]); theta = np.array([0.0, 0.0, -6.0])
    >>> post = Posterior(X, np.array([0.0, 1.0]), cat, theta)
    >>> met = Constraint(Posterior(X, np.array([-1.0, 1.0]), cat, theta), 0.0)  # met near x = 0 only
    >>> a = acquisition(post, 0.5, (met,), np.array([[0.1], [0.9]]))
    >>> bool(a[0] > a[1]), bool(acquisition(post, 0.5, (), np.array([[0.9]]))[0] > a[1])
    (True, True)
    """
    value = log_ei(*post.predict(Z), best) if best is not None else np.zeros(len(Z))
    return value + _log_feasible(constraints, Z) if constraints else value


def _acquisition_with_grad(post: Posterior, best: float | None, constraints: tuple[Constraint, ...],
                           Z: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if best is not None:
        value, grad = _log_ei_with_grad(post, Z, free, best)
    else:
        value, grad = np.zeros(len(Z)), np.zeros((len(Z), len(free)))
    if constraints:
        extra, extra_grad = _log_feasible_with_grad(constraints, Z, free)
        value, grad = value + extra, grad + extra_grad
    return value, grad


@dataclasses.dataclass
class Box:
    """What the acquisition may vary: per dimension its kind, allowed choices, and snapping rule.

    ``active[d]`` False fixes dimension ``d`` at NaN (an inactive conditional parameter);
    ``choices[d]`` lists the indices a categorical dimension may take; ``snap(d, u)`` moves
    numeric coordinates onto the parameter's grid.
    """

    categorical: np.ndarray
    active: np.ndarray
    choices: dict[int, list[int]]
    snap: object

    def fill(self, U: np.ndarray) -> np.ndarray:
        """Turn uniform draws in ``[0, 1)^D`` into points of the box (snapped, NaN where inactive)."""
        Z = np.full_like(U, np.nan)
        for d in np.flatnonzero(self.active):
            if self.categorical[d]:
                opts = np.asarray(self.choices[d], dtype=float)
                Z[:, d] = opts[np.minimum((U[:, d] * len(opts)).astype(int), len(opts) - 1)]
            else:
                Z[:, d] = self.snap(d, U[:, d])
        return Z

    def snapped(self, Z: np.ndarray) -> np.ndarray:
        Z = Z.copy()
        for d in np.flatnonzero(self.active & ~self.categorical):
            Z[:, d] = self.snap(d, Z[:, d])
        return Z


@dataclasses.dataclass
class Screened:
    """Candidates of one box scored by the acquisition, best first."""

    box: Box
    Z: np.ndarray
    values: np.ndarray

    @property
    def top(self) -> float:
        return float(self.values[0])


def screen(post: Posterior, best: float | None, box: Box, incumbents: np.ndarray, rng: np.random.Generator,
           *, n_candidates: int, constraints: tuple[Constraint, ...] = ()) -> Screened:
    """Score ``n_candidates`` scrambled Sobol points of ``box`` plus Gaussian steps (sd 0.05 of the
    unit range) around ``incumbents`` (an eighth as many, at least 64)."""
    dim = len(box.active)
    U = qmc.Sobol(dim, scramble=True, seed=rng).random(n_candidates)
    cands = [box.fill(U)]
    free = np.flatnonzero(box.active & ~box.categorical)
    if len(incumbents):
        base = incumbents[rng.integers(len(incumbents), size=max(64, n_candidates // 8))]
        local = base.copy()
        local[:, free] = np.clip(base[:, free] + rng.normal(0.0, 0.05, (len(base), len(free))), 0.0, 1.0)
        cands.append(box.snapped(local))
    Z = np.vstack(cands)
    values = acquisition(post, best, constraints, Z)
    order = np.argsort(-values)
    return Screened(box, Z[order], values[order])


def polish(post: Posterior, best: float | None, found: Screened, *, n_refine: int = 5,
           constraints: tuple[Constraint, ...] = (), seen: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The best point found from screened candidates, and its :func:`acquisition` value: the
    ``n_refine`` best refined by L-BFGS-B, every choice of each categorical dimension tried at the
    best of them.

    A point equal to a row of ``seen`` (trials already evaluated or running) is passed over for
    the best candidate that is not: on integer and categorical spaces the snapped optimum often
    lands on a configuration already tried (a plateau of a step-function objective, a fitted
    noise that leaves EI above zero there), and proposing it again spends a trial on a known
    value. Only when every candidate was seen is a seen point returned.
    """
    def score(Z: np.ndarray) -> np.ndarray:
        return acquisition(post, best, constraints, Z)

    box = found.box
    free = np.flatnonzero(box.active & ~box.categorical)
    starts = found.Z[:n_refine]
    if len(free):
        starts = np.vstack([starts, _refine(lambda Z: _acquisition_with_grad(post, best, constraints, Z, free),
                                            starts, free)])
        starts = box.snapped(starts)
    starts = _sweep_categories(score, box, starts)
    final = score(starts)
    if seen is not None and len(seen):
        pool = np.vstack([starts, found.Z])
        values = np.concatenate([final, found.values])
        new = ~_matches(pool, box.snapped(seen))
        if new.any():
            i = int(np.flatnonzero(new)[np.argmax(values[new])])
            return pool[i], float(values[i])
    i = int(np.argmax(final))
    return starts[i], float(final[i])


def _matches(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """For each row of ``A``, whether some row of ``B`` equals it (to 1e-9; NaN equal to NaN).

    >>> _matches(np.array([[0.5, np.nan], [0.5, 0.1]]), np.array([[0.5, np.nan]])).tolist()
    [True, False]
    """
    def keys(M: np.ndarray) -> list[bytes]:
        R = np.round(np.where(np.isnan(M), -1.0, M), 9) + 0.0  # + 0.0: -0.0 and 0.0 alike
        return [row.tobytes() for row in R]

    seen = set(keys(B))
    return np.array([k in seen for k in keys(A)], dtype=bool)


def _refine(value_and_grad: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], starts: np.ndarray,
            free: np.ndarray) -> np.ndarray:
    """L-BFGS-B on the sum of the acquisition of independent starting points (one call for all)."""
    B = len(starts)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        Z = starts.copy()
        Z[:, free] = flat.reshape(B, len(free))
        value, grad = value_and_grad(Z)
        return -float(value.sum()), -grad.reshape(-1)

    x0 = starts[:, free].reshape(-1)
    res = scipy.optimize.minimize(objective, x0, jac=True, method="L-BFGS-B",
                                  bounds=[(0.0, 1.0)] * len(x0), options={"maxiter": 100})
    out = starts.copy()
    out[:, free] = res.x.reshape(B, len(free))
    return out


def _sweep_categories(score: Callable[[np.ndarray], np.ndarray], box: Box, starts: np.ndarray) -> np.ndarray:
    """For the best start, try every allowed choice of each categorical dimension in turn."""
    cat = [d for d in np.flatnonzero(box.active & box.categorical) if len(box.choices[d]) > 1]
    if not cat:
        return starts
    point = starts[int(np.argmax(score(starts)))].copy()
    for d in cat:
        trial = np.repeat(point[None, :], len(box.choices[d]), axis=0)
        trial[:, d] = box.choices[d]
        point = trial[int(np.argmax(score(trial)))]
    return np.vstack([starts, point[None, :]])
