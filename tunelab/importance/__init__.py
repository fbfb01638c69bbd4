"""Parameter importance: how much of the value's variance each parameter explains, and on how many trials.

``get_param_importances`` follows Optuna's name and arguments and returns ``{name: importance}``;
``estimate_param_importances`` returns the same estimates with what they rest on (a
:class:`ParamImportance` per parameter: its spread over the forest's trees and the number of trials
that set it). The default evaluator is :class:`FanovaImportanceEvaluator` (fANOVA on random forests,
scikit-learn from the ``plot`` extra), which estimates a conditional parameter only on the trials
that set it, weighs it by their share of the study, and leaves a parameter set in too few trials
unestimated instead of ranking noise.

>>> import tunelab
>>> study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2 + 0 * t.suggest_float("y", 0, 1), n_trials=40)
>>> imp = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
>>> list(imp), imp["x"] > 0.9
(['x', 'y'], True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tunelab._constraints import Bool, InstanceOf, constrained
from tunelab._records import FrozenTrial
from tunelab.importance._evaluator import FanovaImportanceEvaluator, ParamImportance
from tunelab.visualization._common import PARAMS, STUDY, TARGET

__all__ = ["FanovaImportanceEvaluator", "ParamImportance", "estimate_param_importances", "get_param_importances"]

_TABLE = {"study": STUDY, "evaluator": (None, InstanceOf(FanovaImportanceEvaluator)), "params": PARAMS,
          "target": TARGET, "normalize": Bool()}


@constrained(_TABLE)
def estimate_param_importances(study: Any, *, evaluator: FanovaImportanceEvaluator | None = None,
                               params: Sequence[str] | None = None,
                               target: Callable[[FrozenTrial], float] | None = None,
                               normalize: bool = True) -> list[ParamImportance]:
    """Every parameter's importance with its spread and trial count, estimated ones largest first.

    Args:
        study: the study (its COMPLETE trials with a finite value are used).
        evaluator: how to estimate (default: ``FanovaImportanceEvaluator()``).
        params: the parameters to assess (default: every parameter of the COMPLETE trials).
        target: the value to explain, ``target(frozen_trial) -> float``; needed for multi-objective studies.
        normalize: scale the estimated importances (and their spreads) so that they sum to one.
    """
    found = (evaluator or FanovaImportanceEvaluator()).estimate(study, params, target=target)
    if not normalize:
        return found
    total = sum(e.importance for e in found if e.importance is not None)
    estimated = [e for e in found if e.importance is not None]
    if not estimated:
        return found
    if total <= 0:  # nothing explains anything: equal shares, as Optuna does
        share = 1.0 / len(estimated)
        return [e if e.importance is None else _scaled(e, 0.0, share) for e in found]
    return [e if e.importance is None else _scaled(e, 1.0 / total) for e in found]


def _scaled(e: ParamImportance, factor: float, offset: float = 0.0) -> ParamImportance:
    import dataclasses

    return dataclasses.replace(e, importance=e.importance * factor + offset, std=(e.std or 0.0) * factor)


@constrained(_TABLE)
def get_param_importances(study: Any, *, evaluator: FanovaImportanceEvaluator | None = None,
                          params: Sequence[str] | None = None, target: Callable[[FrozenTrial], float] | None = None,
                          normalize: bool = True) -> dict[str, float]:
    """``{parameter: importance}``, largest first, for the parameters that could be estimated.

    A parameter set in fewer than the evaluator's ``min_trials`` COMPLETE trials is left out
    (:func:`estimate_param_importances` lists it with its count). Arguments as
    :func:`estimate_param_importances`.
    """
    found = estimate_param_importances(study, evaluator=evaluator, params=params, target=target, normalize=normalize)
    return {e.name: e.importance for e in found if e.importance is not None}
