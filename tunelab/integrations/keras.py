"""Use a tunelab schedule as a Keras learning rate (extra ``keras``).

``learning_rate(schedule)`` returns a ``keras.optimizers.schedules.LearningRateSchedule`` to pass
as an optimizer's ``learning_rate``. It is registered as serialisable (``tunelab>TunelabSchedule``):
``get_config``/``from_config`` and saving/loading a model with its optimizer keep the schedule,
as long as this module is imported before loading.

How it evaluates: the step (the optimizer's ``iterations``) is handed to the float64 schedule on
the host — through ``jax.pure_callback`` on the JAX backend, ``tf.numpy_function`` on TensorFlow,
directly on the eager torch/numpy backends — and the value comes back as float32, the dtype
Keras' own schedules return. This is exact (the framework's float32 rounding of tunelab's
float64 value) and works under ``jax.jit`` and ``tf.function``; the price is one host round trip
per optimizer step, and on TensorFlow, XLA compilation (``jit_compile=True``, used by default
only on GPU/TPU) cannot compile ``numpy_function``: compile the model with ``jit_compile=False``
there.

Example (needs keras; run by the adapter tests, not as a doctest)::

    import keras
    from tunelab.schedules import CosineDecay
    opt = keras.optimizers.SGD(learning_rate=learning_rate(CosineDecay(0.1, 1000)))
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tunelab._constraints import constrained
from tunelab._errors import require_extra
from tunelab.schedules import Schedule
from tunelab.schedules._base import SCHEDULE

__all__ = ["learning_rate", "schedule_class"]

#: Said when Keras is installed but its backend is not.
BACKEND_HINT = "Keras 3 needs a backend: install tensorflow, jax or torch and set KERAS_BACKEND to it"


@functools.cache
def schedule_class() -> type:
    """The registered ``TunelabSchedule`` class (built on first use, so keras loads only then)."""
    keras = require_extra("keras", "keras", hint=BACKEND_HINT)

    @keras.saving.register_keras_serializable(package="tunelab", name="TunelabSchedule")
    @constrained({"schedule": SCHEDULE})
    class TunelabSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """A Keras ``LearningRateSchedule`` whose value at ``step`` is ``schedule(step)``."""

        def __init__(self, schedule: Schedule) -> None:
            self.schedule = schedule

        def _host(self, step: Any) -> np.ndarray:  # Schedule.__call__ validates and casts to float64
            return np.asarray(self.schedule(np.asarray(step)), dtype=np.float32)

        def __call__(self, step: Any) -> Any:
            backend = keras.backend.backend()
            if backend == "jax":
                import jax

                step = jax.numpy.asarray(step)
                shape = jax.ShapeDtypeStruct(np.shape(step), np.float32)
                return jax.pure_callback(self._host, shape, step, vmap_method="broadcast_all")
            if backend == "tensorflow":
                import tensorflow as tf

                value = tf.numpy_function(self._host, [step], tf.float32, stateful=False)
                value.set_shape(step.shape)
                return value
            return keras.ops.convert_to_tensor(self._host(keras.ops.convert_to_numpy(step)))

        def get_config(self) -> dict[str, Any]:
            return {"schedule": self.schedule.to_config()}

        @classmethod
        def from_config(cls, config: dict[str, Any]) -> TunelabSchedule:
            return cls(Schedule.from_config(config["schedule"]))

    return TunelabSchedule


@constrained({"schedule": SCHEDULE})
def learning_rate(schedule: Schedule) -> Any:
    """A serialisable Keras ``LearningRateSchedule`` evaluating ``schedule`` (see the module notes)."""
    return schedule_class()(schedule)
