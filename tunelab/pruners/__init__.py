"""Pruners: stop unpromising trials early from the values they report.

:class:`Pruner` is the plug-in point (one method, ``prune(study, trial)``); ``BasePruner`` is the
same class under Optuna's name, so a pruner written for Optuna subclasses it unchanged.

Every pruner answers ``trial.should_prune()`` from the values the trial reported
(``trial.report(value, step)``) and those of the study's other trials:

- :class:`NopPruner` never stops a trial;
- :class:`MedianPruner` / :class:`PercentilePruner`: worse than a percentile of finished trials;
- :class:`ThresholdPruner`: outside a fixed band, or NaN;
- :class:`PatientPruner`: a wrapper that waits until the trial stops improving;
- :class:`SuccessiveHalvingPruner` (asynchronous successive halving) and :class:`HyperbandPruner`;
- :class:`WilcoxonPruner`: per-instance results (step = instance id) significantly worse than the
  best trial's, by a Wilcoxon signed-rank test;
- :class:`RescaledSuccessiveHalving`: schedule-aware rungs, each a shorter training with the
  learning-rate schedule compressed into the rung's budget; with ``compress_below=1/3`` the rungs
  from a third of training on are cooldown probes of one full-length run instead, the combination
  that ranked trials best at every rung in ``benchmarks/pruning``;
- :class:`RescaledHyperband`: Hyperband whose brackets are rescaled successive halving;
- :func:`cooldown_probe` / :func:`cooldown_rates`: schedule-aware rung values, measured after a
  short learning-rate cooldown from a snapshot.

Schedules with different horizons: report ``step = progress_step(step, total_steps)``, the
progress through the schedule in thousandths, so trials are compared at equal progress; the
percentile pruners compare each trial with the others' value *as of* the same step, so horizons
need not divide each other.

When a pruner stops a trial it stores the best estimate of where the trial was heading in
``trial.system_attrs["projected_value"]`` (see :func:`project`); ``TPESampler(use_projections=True)``
ranks pruned trials by it (after the complete ones) instead of by how far they got and their last
raw value (off by default: it did not find better configurations in ``benchmarks/pruning``).

Multi-objective studies report one vector per step (``trial.report([v1, v2], step)``); pruners
order vectors by Pareto dominance (non-dominated sorting), see each pruner's rule.
"""

from tunelab.pruners._asha import SuccessiveHalvingPruner
from tunelab.pruners._base import NopPruner, Pruner
from tunelab.pruners._common import PROJECTED_VALUE_ATTR, project
from tunelab.pruners._cooldown import cooldown_probe, cooldown_rates
from tunelab.pruners._hyperband import BRACKET_ATTR, HyperbandPruner
from tunelab.pruners._patience import PatientPruner
from tunelab.pruners._percentile import MedianPruner, PercentilePruner
from tunelab.pruners._progress import progress_step
from tunelab.pruners._rescaled import RescaledHyperband, RescaledSuccessiveHalving
from tunelab.pruners._threshold import ThresholdPruner
from tunelab.pruners._wilcoxon import WilcoxonPruner

#: Optuna's name for :class:`Pruner` (the same class).
BasePruner = Pruner

__all__ = [
    "BRACKET_ATTR",
    "PROJECTED_VALUE_ATTR",
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "Pruner",
    "RescaledHyperband",
    "RescaledSuccessiveHalving",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "cooldown_probe",
    "cooldown_rates",
    "progress_step",
    "project",
]
