"""Thin adapters that run tunelab schedules inside the training frameworks.

Each submodule imports its framework when it is first used (never before, so ``import tunelab``
and ``tunelab.integrations`` stay light), and a missing framework raises
:class:`tunelab.MissingExtraError` naming the extra to install:

- :mod:`tunelab.integrations.torch` (extra ``torch``): ``scheduler(optimizer, schedule)``, a
  ``torch.optim.lr_scheduler.LRScheduler`` evaluated in closed form, exact on resume.
- :mod:`tunelab.integrations.keras` (extra ``keras``): ``learning_rate(schedule)``, a serialisable
  ``keras.optimizers.schedules.LearningRateSchedule``.
- :mod:`tunelab.integrations.optax` (extra ``jax``): ``schedule(s)``, a jit-able optax schedule.
- :mod:`tunelab.integrations.lightning`, :mod:`tunelab.integrations.keras_callbacks`,
  :mod:`tunelab.integrations.torch_pruning`: reporting and pruning from training loops; they record
  the rate each optimizer step applied and warn once, naming the fix, when it is not the trial's
  schedule (stepped per epoch, twice per step, another scheduler): docs/stepping.md.
- :mod:`tunelab.integrations.sklearn` (extra ``sklearn``): ``TunelabSearchCV``, a scikit-learn
  search estimator whose candidates are a study's trials (Optuna's ``OptunaSearchCV``).
- :mod:`tunelab.integrations.transformers` (extra ``transformers``): a Hugging Face ``Trainer``
  ``PruningCallback`` and ``optimizers(model, schedule)``, the Trainer's optimizer and scheduler.
- :mod:`tunelab.integrations.hydra` (extra ``hydra``): the ``hydra/sweeper=tunelab`` plugin's search
  space, study and loop, and the task's ``trial()`` / ``report`` / ``should_prune`` / ``schedule``.
- :mod:`tunelab.integrations.mlflow` (extra ``mlflow``), :mod:`tunelab.integrations.wandb` (extra
  ``wandb``): ``MLflowCallback`` and ``WeightsAndBiasesCallback`` for ``optimize(callbacks=[...])``
  (Optuna's), logging each trial's parameters, values, curves and applied learning rate: docs/tracking.md.

The submodules are reached as attributes (``tunelab.integrations.torch.scheduler(...)``) after a
plain ``import tunelab``, as the README's snippets do.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("hydra", "keras", "keras_callbacks", "lightning", "mlflow", "optax", "sklearn", "torch",
               "torch_pruning", "transformers", "wandb")

__all__ = list(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"tunelab.integrations.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'tunelab.integrations' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
