"""Bayesian optimisation with a Gaussian process: the sampler that turns history into proposals."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.stats

from tunelab._constraints import Bool, Function, InstanceOf, Integral, constrained
from tunelab.samplers._base import Sampler
from tunelab.samplers._checks import SEED
from tunelab.samplers._feasibility import Feasibility
from tunelab.samplers._gp_acq import Box, Constraint, polish, screen
from tunelab.samplers._gp_kernel import NOISE_MU, STEP_NOISE_MU, Posterior, fit_theta
from tunelab.samplers._independent import Independent
from tunelab.samplers._qmc import QMCSampler
from tunelab.samplers._ranking import minimised
from tunelab.samplers._unit import consistent_space, encode, from_unit, inside_bounds, snap_array
from tunelab.space import BaseDistribution, CategoricalDistribution

PROPOSAL_ATTR = "gp:proposal"
_MAX_PATTERNS = 4
#: Of those, how many (the best by their screened candidates) are refined by L-BFGS-B.
_POLISHED_PATTERNS = 2
#: From this share of complete trials whose value another trial shares, the objective is taken
#: for a step function (see :func:`tied_share`).
STEP_TIED_SHARE = 0.2


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """Run the small dense algebra of one proposal on one BLAS thread (where threadpoolctl exists).

    Matrices of a few hundred rows gain nothing from threads, and on a busy machine threaded
    BLAS spins against other processes: a 300 x 300 Cholesky measured 40 ms threaded, 2 ms not.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def warped(f: np.ndarray) -> np.ndarray:
    """Values to maximise, standardised and Yeo-Johnson-warped towards a normal shape.

    Objectives with a long tail of bad values (an error that explodes at one end of the range)
    would otherwise leave the differences near the optimum too small for the GP to see; the
    maximum-likelihood Yeo-Johnson transform (lambda clipped to [-2, 4]) compresses that tail
    and stays nearly linear for values that are already normal. The order is kept.

    >>> f = np.array([0.0, -0.001, -0.002, -1.0, -50.0])
    >>> w, plain = warped(f), (f - f.mean()) / f.std()
    >>> bool(np.all(np.diff(w) < 0) and w[0] - w[2] > 5 * (plain[0] - plain[2]) and abs(w.mean()) < 1e-9)
    True
    """
    z = (f - f.mean()) / (f.std() or 1.0)
    if np.ptp(z) > 0:
        lmbda = float(np.clip(scipy.stats.yeojohnson_normmax(z), -2.0, 4.0))
        z = scipy.stats.yeojohnson(z, lmbda)
        z = (z - z.mean()) / (z.std() or 1.0)
    return z


def tied_share(y: np.ndarray) -> float:
    """The share of values in ``y`` equal to at least one other value of ``y``.

    >>> tied_share(np.array([0.07, 0.07, 0.08, 0.09, 0.07]))
    0.6
    """
    _, counts = np.unique(y, return_counts=True)
    return float(counts[counts > 1].sum()) / len(y) if len(y) else 0.0


@constrained({"seed": SEED, "n_startup_trials": Integral(min=1), "n_candidates": Integral(min=16),
              "n_full_refits": Integral(min=0), "refit_interval": Integral(min=1),
              "deterministic_objective": Bool(), "constraints_func": (None, Function()),
              "independent_sampler": (None, InstanceOf(Sampler, "a tunelab Sampler")),
              "warn_independent_sampling": Bool()})
class GPSampler(Sampler):
    """Gaussian-process Bayesian optimisation for small budgets on mostly numeric spaces.

    The first ``n_startup_trials`` complete trials come from a scrambled Sobol sequence
    (:class:`QMCSampler`); 10 by default, because after 5 the GP could settle for a whole run in
    the first basin it saw (elastic net's secondary valley, an Ackley-5 plateau). Then each trial:

    1. encodes every parameter seen in complete trials with one distribution (the *union*
       space) in the unit cube: log scale for ``log=True``, an equal cell per value for int and
       ``step`` parameters, the choice index for categorical ones; objective values are
       standardised and Yeo-Johnson-warped (:func:`warped`; several objectives: a random
       Chebyshev scalarisation per trial, ParEGO);
    2. fits a GP with a Matérn 5/2 kernel with one lengthscale per dimension (categorical:
       distance 1 between different choices) by maximising the marginal likelihood under
       log-normal priors; the fit is warm-started from the previous one and refitted every
       ``refit_interval`` trials past ``n_full_refits`` (the Cholesky factor is always fresh);
       the noise is fitted too (its prior expects almost none), or held at its smallest value
       with ``deterministic_objective=True`` (Optuna's argument: the objective returns the same
       value for the same parameters);
    3. imputes running trials at the posterior mean (kriging believer), so parallel workers
       propose different points;
    4. maximises log expected improvement: ``n_candidates`` scrambled Sobol points plus
       perturbations of the best trials, the best few refined by L-BFGS-B, discrete values
       snapped to their grid, each categorical choice tried. A continuous value the optimiser
       left exactly on a bound of its range is moved into the thousandth of the range just
       inside it (:func:`~tunelab.samplers._unit.inside_bounds`): the bound itself is never
       proposed, as with random draws.

    **Step functions**: once ``STEP_TIED_SHARE`` (a fifth) of the complete trials share their
    value with another trial (an error rate over a fixed number of samples, a tree whose depth
    limit is never reached: plateaus and jumps), the noise prior is centred at
    ``STEP_NOISE_MU`` instead of near zero. A nearly noiseless GP fits every jump with very short
    lengthscales, sees room to improve everywhere between the trials of a plateau and spends
    trial after trial inside it (``tree_cancer_acc`` of ``benchmarks/samplers``: runs of
    distinct configurations scoring the same error); smoothing over the jumps lets it leave.
    With ``deterministic_objective=True`` the noise stays at its smallest all the same.

    **Conditional parameters**: a parameter absent from a trial is *inactive* there; the kernel
    puts two inactive values at distance 0 and an inactive and an active one at distance 1.
    Candidates are drawn for each of the (up to four most frequent) patterns of active parameters
    seen, the candidate budget shared among them, with categorical parameters restricted to the
    choices seen in that pattern (or never seen at all); the two patterns with the best candidates
    are refined, and the winner's active parameters are proposed.
    **Independent rule**: a parameter the proposal does not cover (new, or on a branch the
    pattern did not predict) is drawn at random, or by ``independent_sampler`` when given; with
    ``warn_independent_sampling=True`` each such draw past the start-up is logged as a warning
    (Optuna's arguments; Optuna warns by default). Pruned and failed trials are not modelled.

    **Constraints** (values from ``trial.set_constraint``, or from ``constraints_func(frozen_trial)``,
    Optuna's argument, called once per trial ending COMPLETE or PRUNED and stored as its
    ``constraints``; feasible when all are ``<= 0``): each constraint value gets its own GP and the
    acquisition is log EI over the best feasible value plus the log probability that every
    constraint is met (before any trial is feasible: that probability alone).

    >>> import tunelab
    >>> sampler = GPSampler(seed=0, n_startup_trials=4)
    >>> study = tunelab.create_study(sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 1) ** 2, n_trials=12)
    >>> study.best_value < 0.05
    True
    """

    def __init__(self, *, seed: int | None = None, n_startup_trials: int = 10, n_candidates: int = 1024,
                 n_full_refits: int = 100, refit_interval: int = 5, deterministic_objective: bool = False,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None,
                 independent_sampler: Sampler | None = None, warn_independent_sampling: bool = False) -> None:
        self.seed = seed
        self.independent_sampler = independent_sampler
        self.warn_independent_sampling = warn_independent_sampling
        self._independent = Independent(independent_sampler, warn=warn_independent_sampling, owner="GPSampler")
        self.deterministic_objective = deterministic_objective
        self.constraints_func = constraints_func
        self._feasibility = Feasibility(constraints_func, where="GPSampler")
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.n_full_refits = n_full_refits
        self.refit_interval = refit_interval
        self._rng = np.random.default_rng(seed)
        self._startup = QMCSampler(seed=seed)
        self._startup_trials: set[int] = set()
        self._thetas: dict[Any, tuple[tuple, np.ndarray]] = {}  # model ("f" or constraint j) -> (space, theta)
        self._fits = 0
        self._rows: tuple[tuple, dict[tuple[str, int], tuple[dict, np.ndarray]]] = ((), {})

    def __repr__(self) -> str:
        return f"GPSampler(seed={self.seed!r}, n_startup_trials={self.n_startup_trials!r})"

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._startup.reseed_rng()
        self._independent.reseed_rng()

    def before_trial(self, study: Any, trial: Any) -> None:
        self._feasibility.begin(trial.number)
        self._independent.before_trial(study, trial)

    def constraints_of(self, study: Any, trial: Any) -> Sequence[float] | None:
        return self._feasibility.of_ending(trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self._feasibility.record(trial, state)
        self._independent.after_trial(study, trial, state, values)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:
        from tunelab.study import TrialState

        complete = study.get_trials(states=(TrialState.COMPLETE,))
        if len(complete) < self.n_startup_trials:
            self._startup_trials.add(trial.number)
            return self._startup.infer_relative_search_space(study, trial)
        return consistent_space(complete, intersection=False)

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        if trial.number in self._startup_trials:
            self._startup_trials.discard(trial.number)
            return self._startup.sample_relative(study, trial, search_space)
        if not search_space:
            return {}
        with _one_blas_thread():
            return self._propose(study, trial, search_space)

    def _propose(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        from tunelab.study import TrialState

        space = dict(search_space)
        complete = study.get_trials(states=(TrialState.COMPLETE,))
        y = self._targets(study, complete)
        keep = np.isfinite(y)
        if keep.sum() < 2:
            return {}
        complete = [t for t, k in zip(complete, keep) if k]
        X = np.array([self._encoded_row(study, space, t) for t in complete])
        y = y[keep]
        f = warped(-y)  # maximise f
        categorical = np.array([isinstance(d, CategoricalDistribution) for d in space.values()])
        noise_mu = STEP_NOISE_MU if tied_share(y) >= STEP_TIED_SHARE else NOISE_MU
        post = Posterior(X, f, categorical, self._fit("f", space, X, f, categorical, noise_mu=noise_mu))
        constraints, feasible = self._constraint_models(complete, space, X, categorical)
        running = [self._running_row(space, t) for t in study.get_trials(states=(TrialState.RUNNING,))
                   if t.number != trial.number]
        R = np.array([r for r in running if r is not None]).reshape(-1, len(space))
        best = float(f[feasible].max()) if feasible.any() else None
        if len(R):  # kriging believer: believed values count as observations, incumbent included
            believed = post.predict(R)[0]
            post = Posterior(np.vstack([X, R]), np.concatenate([f, believed]), categorical, post.theta,
                             n_exact=len(R))
            if best is not None and not constraints:  # (a running trial's feasibility is unknown)
                best = max(best, float(believed.max()))
        # local search starts from the best feasible trials (then the least infeasible ones)
        rank = np.where(feasible, f, f.min() - 1.0 - self._violations(complete))
        point = self._maximize(post, best, space, categorical, X, rank, constraints, np.vstack([X, R]))
        proposal = {name: from_unit(d, inside_bounds(d, u, self._rng))
                    for (name, d), u in zip(space.items(), point) if not np.isnan(u)}
        trial.set_system_attr(PROPOSAL_ATTR, proposal)
        return proposal

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        from tunelab.study import TrialState

        return self._independent.sample(study, trial, name, distribution, self._rng, past_startup=lambda: len(
            study.get_trials(states=(TrialState.COMPLETE,))) >= self.n_startup_trials)

    # -- pieces -------------------------------------------------------------------------------------------
    def _targets(self, study: Any, complete: list[Any]) -> np.ndarray:
        """One value to minimise per complete trial (infinities become the worst finite value)."""
        V = np.array([minimised(t.values, study.directions) for t in complete], dtype=float)
        finite = np.isfinite(V)
        for j in range(V.shape[1]):
            col = V[finite[:, j], j]
            if len(col):
                V[:, j] = np.clip(np.nan_to_num(V[:, j], nan=col.max()), col.min(), col.max())
        if V.shape[1] == 1:
            return V[:, 0]
        span = V.max(axis=0) - V.min(axis=0)
        N = (V - V.min(axis=0)) / np.where(span > 0, span, 1.0)
        weights = self._rng.dirichlet(np.ones(V.shape[1]))
        return np.max(N * weights, axis=1) + 0.05 * N @ weights

    def _fit(self, model: Any, space: dict[str, BaseDistribution], X: np.ndarray, f: np.ndarray,
             categorical: np.ndarray, *, noise_mu: float = NOISE_MU) -> np.ndarray:
        """Hyperparameters of ``model`` ("f": the objective; ``j``: constraint ``j``), warm-started;
        ``noise_mu``: the centre of the log noise variance's prior."""
        key = tuple(space.items())
        held = self._thetas.get(model)
        warm = held[1] if held is not None and held[0] == key else None
        past = len(X) - self.n_full_refits
        if warm is None or past <= 0 or past % self.refit_interval == 0:
            noiseless = self.deterministic_objective and model == "f"
            self._thetas[model] = (key, fit_theta(X, f, categorical, warm, noiseless=noiseless, noise_mu=noise_mu))
            self._fits += 1
        return self._thetas[model][1]

    def _violations(self, complete: list[Any]) -> np.ndarray:
        return np.array([self._feasibility.violation(t) for t in complete])

    def _constraint_models(self, complete: list[Any], space: dict[str, BaseDistribution], X: np.ndarray,
                           categorical: np.ndarray) -> tuple[tuple[Constraint, ...], np.ndarray]:
        """A GP per constraint, on the trials holding its value (standardised), and which trials are feasible.

        A trial without constraint values counts as feasible; a constraint value of the same
        trials that never varies is left out (nothing to model)."""
        values = [self._feasibility.constraints(t) for t in complete]
        feasible = np.array([v is None or all(c <= 0 for c in v) for v in values])
        width = max((len(v) for v in values if v), default=0)
        C = np.full((len(values), width), np.nan)
        for i, v in enumerate(values):
            if v and len(v) == width:
                C[i] = v
        models = []
        for j in range(width):
            has = ~np.isnan(C[:, j])
            c = C[has, j]
            finite = c[np.isfinite(c)]
            if len(finite) < 2 or np.ptp(finite) == 0:
                continue
            c = np.clip(c, finite.min(), finite.max())
            mean, sd = float(c.mean()), float(c.std())
            z = (c - mean) / sd
            theta = self._fit(j, space, X[has], z, categorical)
            models.append(Constraint(Posterior(X[has], z, categorical, theta), -mean / sd))
        return tuple(models), feasible

    def _encoded_row(self, study: Any, space: dict[str, BaseDistribution], t: Any) -> np.ndarray:
        """``encode(space, t.params)``, kept per finished trial while the space stays the same
        (encoding every trial again was a tenth of a proposal's time at 200 trials)."""
        key = tuple(space.items())
        if self._rows[0] != key:
            self._rows = (key, {})
        cache = self._rows[1]
        held = cache.get((study.study_name, t.number))
        if held is not None and held[0] == t.params:
            return held[1]
        row = encode(space, t.params)
        cache[(study.study_name, t.number)] = (dict(t.params), row)
        return row

    def _running_row(self, space: dict[str, BaseDistribution], t: Any) -> np.ndarray | None:
        params = {**t.system_attrs.get(PROPOSAL_ATTR, {}), **t.params}
        if not params:
            return None
        row = encode(space, params)
        return None if np.isnan(row).all() else row

    def _maximize(self, post: Posterior, best: float | None, space: dict[str, BaseDistribution],
                  categorical: np.ndarray, X: np.ndarray, f: np.ndarray,
                  constraints: tuple[Constraint, ...], tried: np.ndarray) -> np.ndarray:
        dists = list(space.values())
        masks, counts = np.unique(~np.isnan(X), axis=0, return_counts=True)
        seen_anywhere = {d: set(X[~np.isnan(X[:, d]), d].astype(int)) for d in np.flatnonzero(categorical)}
        patterns = masks[np.argsort(-counts, kind="stable")][:_MAX_PATTERNS]
        # the candidate budget is shared among the patterns, and only the most promising ones are
        # refined: scoring and refining every pattern in full made a proposal on a four-pattern
        # space take four times as long as on a plain one
        n_candidates = max(self.n_candidates // len(patterns), min(self.n_candidates, 256))
        screened = []
        for mask in patterns:
            rows = np.all((~np.isnan(X)) == mask, axis=1)
            choices = {}
            for d, seen in seen_anywhere.items():
                here = set(X[rows, d][~np.isnan(X[rows, d])].astype(int))
                unseen = set(range(len(dists[d].choices))) - seen
                choices[d] = sorted(here | unseen) if mask[d] else []
            box = Box(categorical=categorical, active=mask, choices=choices,
                      snap=lambda d, u: snap_array(dists[d], u))
            top = np.flatnonzero(rows)[np.argsort(-f[rows])[:5]]
            screened.append(screen(post, best, box, X[top], self._rng, n_candidates=n_candidates,
                                   constraints=constraints))
        screened.sort(key=lambda s: -s.top)  # stable: ties keep the more frequent pattern first
        best_point, best_value = None, -math.inf
        for found in screened[:_POLISHED_PATTERNS]:
            point, value = polish(post, best, found, constraints=constraints, seen=tried)
            if value > best_value:
                best_point, best_value = point, value
        return best_point
