"""Thin adapters that run tunelab schedules inside the training frameworks.

Each submodule imports its framework when it is imported (never before), and a missing framework
raises :class:`tunelab.MissingExtraError` naming the extra to install:

- :mod:`tunelab.integrations.torch` (extra ``torch``): ``scheduler(optimizer, schedule)``, a
  ``torch.optim.lr_scheduler.LRScheduler`` evaluated in closed form, exact on resume.
- :mod:`tunelab.integrations.keras` (extra ``keras``): ``learning_rate(schedule)``, a serialisable
  ``keras.optimizers.schedules.LearningRateSchedule``.
- :mod:`tunelab.integrations.optax` (extra ``jax``): ``schedule(s)``, a jit-able optax schedule.
"""

__all__: list[str] = []
