"""Gaussian-process regression: Matérn 5/2 ARD kernel, MAP hyperparameters, cached posterior.

Inputs are rows of unit coordinates (see ``_unit``) with NaN marking an inactive (conditional)
parameter. Per dimension the squared distance is

* ``(a - b)**2`` for two active numeric coordinates, ``[a != b]`` for two categorical indices,
* ``0`` when both are inactive, ``1`` (the widest gap of the unit interval) when one is,

and the kernel is ``k = s2 * (1 + sqrt(5) r + 5/3 r**2) * exp(-sqrt(5) r)`` with
``r**2 = sum_d w_d * dist_d`` and ``w_d = 1 / lengthscale_d**2`` (Rasmussen & Williams, eq. 4.17).

Hyperparameters ``theta = (log w_1..D, log s2, log noise)`` maximise the log marginal likelihood
(R&W eq. 2.30, gradient eq. 5.9) plus log-normal priors: lengthscales ``LogNormal(-1.2 + log(D) / 2,
sd)`` (scaled with the dimension as in Hvarfner, Hellsten & Nardi 2024, but centred lower: at 30
trials their smoother ``sqrt(2) + log(D) / 2`` settled in Hartmann-6's local minima more often),
with ``sd = 1`` for numeric dimensions (with their ``sqrt(3)`` a weakly relevant dimension got
lengthscales of 10 and more, the acquisition then left it at a bound of its range and the search
never corrected it) and ``sqrt(3)`` for categorical ones (a 0 / 1 distance: a long lengthscale just
means "choices alike"), ``s2 ~ LogNormal(0, 1.5)``, ``log noise ~ N(-12, 1)`` on standardised
outputs: benchmark objectives are mostly deterministic, and with the former ``N(-4, 1)`` (noise
standard deviation ~0.13) differences of a few hundredths near the optimum (elastic net's CV error)
were explained away as noise and the search stalled in a secondary valley. Noise as small as
``1e-8`` is allowed; repeated points are handled by the Cholesky jitter. Callers may move the
noise prior's centre (``noise_mu``): the GP sampler centres it at ``STEP_NOISE_MU`` (-4) on
objectives whose values tie between trials (step functions; see ``GPSampler``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.optimize

SQRT5 = math.sqrt(5.0)
_LOG_W_BOUNDS = (math.log(1e-4), math.log(4e4))  # lengthscale in [0.005, 100]
_LOG_S2_BOUNDS = (math.log(0.05), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-8), math.log(1.0))
_JITTER = 1e-9
_PRIOR_MU = -1.2  # median lengthscale 0.3 sqrt(D); see the module docstring
_PRIOR_SD = 1.0  # numeric dimensions
_PRIOR_SD_CATEGORICAL = math.sqrt(3.0)
NOISE_MU = -12.0  # log noise variance; see the module docstring
#: The noise prior's centre for step-function objectives (noise standard deviation ~0.14 of the
#: standardised values): their jumps are then smoothed over instead of fitted by tiny lengthscales.
STEP_NOISE_MU = -4.0


def pair_sq_dists(A: np.ndarray, B: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Per-dimension squared distances, shape ``(len(A), len(B), D)``, with the inactive rule."""
    diff = A[:, None, :] - B[None, :, :]
    sq = np.where(categorical, (diff != 0).astype(float), diff * diff)
    missing = np.isnan(diff)
    if missing.any():
        one_sided = np.isnan(A)[:, None, :] ^ np.isnan(B)[None, :, :]
        sq = np.where(missing, one_sided.astype(float), sq)
    return sq


def r2_matrix(A: np.ndarray, B: np.ndarray, w: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """``sum_d w_d * dist_d`` for every pair, by matrix products (no ``(nA, nB, D)`` intermediate).

    ``dist_d`` is ``(a - b)**2`` for a numeric dimension and ``a != b`` for a categorical one when
    both are active, 1 when exactly one is (NaN: inactive), 0 when neither is. Written as sums of
    products: with ``u = 1`` where active and ``a0`` the value (0 where inactive), the numeric part
    is ``(u a0**2) w (v)' + (u) w (v b0**2)' - 2 (a0) w (b0)'`` and the one-sided part
    ``(1 - u) w v' + u w (1 - v)'``; the few categorical dimensions are compared directly.

    >>> A = np.array([[0.1, 1.0, np.nan], [0.5, 0.0, 0.3]]); B = np.array([[0.2, 1.0, 0.3], [np.nan, 2.0, np.nan]])
    >>> cat = np.array([False, True, False]); w = np.array([1.0, 2.0, 3.0])
    >>> np.round(r2_matrix(A, B, w, cat), 6).tolist()
    [[3.01, 3.0], [2.09, 6.0]]
    """
    ua, ub = ~np.isnan(A), ~np.isnan(B)
    a0, b0 = np.where(ua, A, 0.0), np.where(ub, B, 0.0)
    fa, fb = ua.astype(float), ub.astype(float)
    num = ~categorical
    r2 = (1.0 - fa) @ (w[:, None] * fb.T) + (fa * w) @ (1.0 - fb).T  # one side inactive
    if num.any():
        an, bn, wn = a0[:, num], b0[:, num], w[num]
        r2 += ((fa[:, num] * an * an) * wn) @ fb[:, num].T + (fa[:, num] * wn) @ (fb[:, num] * bn * bn).T
        r2 -= 2.0 * (an * wn) @ bn.T
    for d in np.flatnonzero(categorical):  # a few dimensions: equality by comparison is cheapest
        both = np.outer(fa[:, d], fb[:, d])
        r2 += w[d] * both * (a0[:, d][:, None] != b0[None, :, d])
    return np.maximum(r2, 0.0)


def matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unit-variance Matérn 5/2 correlation and its derivative with respect to ``r**2``."""
    r = np.sqrt(np.maximum(r2, 0.0))
    e = np.exp(-SQRT5 * r)
    return (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e, -(5.0 / 6.0) * (1.0 + SQRT5 * r) * e


def default_theta(dim: int) -> np.ndarray:
    """The prior's mode: the starting point of a first fit."""
    log_ls = _PRIOR_MU + 0.5 * math.log(max(dim, 1))
    return np.concatenate([np.full(dim, -2.0 * log_ls), [0.0, NOISE_MU]])


def _bounds(dim: int) -> list[tuple[float, float]]:
    return [_LOG_W_BOUNDS] * dim + [_LOG_S2_BOUNDS, _LOG_NOISE_BOUNDS]


def _neg_log_posterior(theta: np.ndarray, sq: np.ndarray, y: np.ndarray,
                       sd: np.ndarray, noise_mu: float) -> tuple[float, np.ndarray]:
    n, dim = sq.shape[0], sq.shape[2]
    w, s2, noise = np.exp(theta[:dim]), math.exp(theta[dim]), math.exp(theta[dim + 1])
    r2 = sq @ w
    m, dm = matern52(r2)
    K = s2 * m
    K[np.diag_indices(n)] += noise + _JITTER
    try:
        L = scipy.linalg.cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = scipy.linalg.cho_solve((L, True), y, check_finite=False)
    nll = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * math.log(2 * math.pi)
    W = np.outer(alpha, alpha) - scipy.linalg.cho_solve((L, True), np.eye(n), check_finite=False)
    G = s2 * dm * W
    grad = np.empty_like(theta)
    grad[:dim] = -0.5 * w * (G.reshape(-1) @ sq.reshape(n * n, dim))
    grad[dim] = -0.5 * s2 * np.sum(W * m)
    grad[dim + 1] = -0.5 * noise * np.trace(W)
    # priors: log lengthscale = -log(w) / 2 ~ N(mu, sd**2); log s2 ~ N(0, 1.5^2); log noise ~ N(noise_mu, 1)
    mu = _PRIOR_MU + 0.5 * math.log(dim)
    z = (-0.5 * theta[:dim] - mu) / sd
    nll += 0.5 * np.sum(z * z) + 0.5 * (theta[dim] / 1.5) ** 2 + 0.5 * (theta[dim + 1] - noise_mu) ** 2
    grad[:dim] += z * (-0.5) / sd
    grad[dim] += theta[dim] / 1.5**2
    grad[dim + 1] += theta[dim + 1] - noise_mu
    return float(nll), grad


def _robust_cholesky(K: np.ndarray, scale: float) -> np.ndarray:
    """Cholesky factor of ``K``, adding growing jitter when repeated points make it singular."""
    for extra in (0.0, 1e-8, 1e-6, 1e-4, 1e-2):
        try:
            return scipy.linalg.cholesky(K + extra * scale * np.eye(len(K)), lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            continue
    raise np.linalg.LinAlgError("kernel matrix is not positive definite even with jitter")


def fit_theta(X: np.ndarray, y: np.ndarray, categorical: np.ndarray, start: np.ndarray | None, *,
              noiseless: bool = False, noise_mu: float = NOISE_MU) -> np.ndarray:
    """MAP hyperparameters by L-BFGS-B from ``start`` (the previous fit), else from the prior's mode.

    ``noiseless=True`` holds the noise variance at its smallest value instead of fitting it;
    ``noise_mu`` is the centre of the log noise variance's prior.

    >>> X = np.linspace(0.0, 1.0, 12)[:, None]; cat = np.array([False])
    >>> y = np.floor(4 * X[:, 0]) + 0.0  # a step function: plateaus, jumps
    >>> y = (y - y.mean()) / y.std()
    >>> plain, step = fit_theta(X, y, cat, None), fit_theta(X, y, cat, None, noise_mu=STEP_NOISE_MU)
    >>> bool(step[-1] > plain[-1] + 3)  # a larger noise variance
    True
    """
    dim = X.shape[1]
    sq = pair_sq_dists(X, X, categorical)
    x0 = default_theta(dim) if start is None else np.array(start, dtype=float)
    bounds = _bounds(dim)
    if noiseless:
        bounds[-1] = (_LOG_NOISE_BOUNDS[0], _LOG_NOISE_BOUNDS[0])
        x0[-1] = _LOG_NOISE_BOUNDS[0]
    res = scipy.optimize.minimize(_neg_log_posterior, x0, args=(sq, y, np.where(categorical, _PRIOR_SD_CATEGORICAL, _PRIOR_SD), noise_mu), jac=True, method="L-BFGS-B",
                                  bounds=bounds, options={"maxiter": 200})
    return np.asarray(res.x if np.isfinite(res.fun) else x0, dtype=float)


class Posterior:
    """A GP conditioned on ``(X, y)`` with hyperparameters ``theta``: Cholesky factor computed once.

    The last ``n_exact`` rows are taken as noise-free values of the latent function (the
    kriging believer's imputations for running trials).

    >>> X = np.array([[0.0], [0.5], [1.0]]); y = np.array([1.0, -1.0, 1.0])
    >>> cat = np.array([False])
    >>> post = Posterior(X, y, cat, fit_theta(X, y, cat, None))
    >>> mean, var = post.predict(np.array([[0.5]]))
    >>> bool(abs(mean[0] + 1.0) < 0.1 and var[0] < 0.05)
    True
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, categorical: np.ndarray, theta: np.ndarray, *,
                 n_exact: int = 0) -> None:
        dim = X.shape[1]
        self.X, self.y, self.categorical, self.theta = X, y, categorical, theta
        self.w, self.s2 = np.exp(theta[:dim]), math.exp(theta[dim])
        self.noise = math.exp(theta[dim + 1])
        K = self.s2 * matern52(r2_matrix(X, X, self.w, categorical))[0]
        noise = np.full(len(X), self.noise + _JITTER)
        if n_exact:  # the last rows are values of the latent function itself (believed, noise-free)
            noise[-n_exact:] = 1e-6 * self.s2
        K[np.diag_indices(len(X))] += noise
        self.L = _robust_cholesky(K, self.s2)
        self.alpha = scipy.linalg.cho_solve((self.L, True), y, check_finite=False)

    def predict(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at the rows of ``Z``."""
        k = self.s2 * matern52(r2_matrix(Z, self.X, self.w, self.categorical))[0]
        v = scipy.linalg.solve_triangular(self.L, k.T, lower=True, check_finite=False)
        return k @ self.alpha, np.maximum(self.s2 - np.sum(v * v, axis=0), 1e-12)

    def predict_with_grad(self, Z: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, ...]:
        """Mean, variance and their gradients along the ``free`` (numeric, active) dimensions of Z."""
        m, dm = matern52(r2_matrix(Z, self.X, self.w, self.categorical))
        k = self.s2 * m
        Q = scipy.linalg.cho_solve((self.L, True), k.T, check_finite=False)  # (n, B)
        mean = k @ self.alpha
        var = np.maximum(self.s2 - np.sum(k.T * Q, axis=0), 1e-12)
        dmean = np.zeros((Z.shape[0], len(free)))
        dvar = np.zeros_like(dmean)
        for j, d in enumerate(free):
            x = self.X[:, d]
            active = ~np.isnan(x)  # inactive training rows: distance 1 whatever Z is, no gradient
            diff = Z[:, d][:, None] - np.where(active, x, 0.0)[None, :]
            dk = (self.s2 * 2.0 * self.w[d]) * dm * diff * active[None, :]
            dmean[:, j] = dk @ self.alpha
            dvar[:, j] = -2.0 * np.sum(dk * Q.T, axis=1)
        return mean, var, dmean, dvar
