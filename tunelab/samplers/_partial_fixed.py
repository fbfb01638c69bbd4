"""Fix some parameters to given values and let another sampler choose the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunelab._constraints import InstanceOf, String, check, constrained
from tunelab._errors import InvalidArgumentError
from tunelab.samplers._base import Sampler
from tunelab.space import BaseDistribution


@constrained({"fixed_params": InstanceOf(Mapping, "a mapping of parameter name to value"),
              "base_sampler": InstanceOf(Sampler, "a tunelab Sampler")})
class PartialFixedSampler(Sampler):
    """``base_sampler`` with the parameters of ``fixed_params`` held at their values (Optuna's class).

    A fixed parameter takes its value whenever the objective asks for it; a value outside the
    distribution asked raises an error naming it (an enqueued trial's values still come first).
    Every other parameter, and every hook, goes to ``base_sampler``, which is told the joint
    search space without the fixed parameters, so a joint model proposes the others alone; the
    history it learns from still holds the fixed parameters' earlier values. ``fixed_params`` is
    copied: changing the mapping later does not change the sampler.

    >>> import tunelab
    >>> from tunelab.samplers import TPESampler
    >>> study = tunelab.create_study(sampler=TPESampler(seed=0))
    >>> objective = lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("y", -1, 1)
    >>> study.optimize(objective, n_trials=10)
    >>> study.sampler = PartialFixedSampler({"y": 0}, study.sampler)
    >>> study.optimize(objective, n_trials=10)
    >>> {t.params["y"] for t in study.trials[10:]}
    {0}
    """

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: Sampler) -> None:
        for name in fixed_params:
            check("fixed_params key", name, String(non_empty=True), where="PartialFixedSampler")
        self.fixed_params = dict(fixed_params)
        self.base_sampler = base_sampler

    def __repr__(self) -> str:
        return f"PartialFixedSampler({self.fixed_params!r}, {self.base_sampler!r})"

    def reseed_rng(self) -> None:
        self.base_sampler.reseed_rng()

    def before_trial(self, study: Any, trial: Any) -> None:
        self.base_sampler.before_trial(study, trial)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, BaseDistribution]:
        space = self.base_sampler.infer_relative_search_space(study, trial)
        return {name: d for name, d in space.items() if name not in self.fixed_params}

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return self.base_sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, name: str, distribution: BaseDistribution) -> Any:
        if name not in self.fixed_params:
            return self.base_sampler.sample_independent(study, trial, name, distribution)
        value = self.fixed_params[name]
        if not distribution.contains(value):
            raise InvalidArgumentError(f"fixed_params[{name!r}]={value!r} is invalid for PartialFixedSampler: "
                                       f"must lie in the distribution the objective asked for, {distribution!r}")
        return value

    def constraints_of(self, study: Any, trial: Any) -> Sequence[float] | None:
        return self.base_sampler.constraints_of(study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.base_sampler.after_trial(study, trial, state, values)
