"""Learning-rate schedules as exact, portable, searchable values.

A :class:`Schedule` is an immutable value: ``schedule(step)`` is the learning rate at ``step`` for
an int (a float back) or a numpy array of steps (an array back). Families carry the names and
arguments of the frameworks they reproduce: Keras (``ExponentialDecay`` ...), PyTorch with
``base_lr`` in place of the optimizer (``StepLR`` ...), optax (``exponential_decay`` ...),
transformers-style (``get_cosine_schedule_with_warmup`` ...) and tunelab's own
(``WarmupStableDecay``, ``warmup``).

>>> from tunelab import schedules
>>> s = schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96, staircase=True)
>>> s(2500)
0.09216
>>> schedules.Schedule.from_config(s.to_config()) == s
True
"""

from tunelab.schedules._base import MAX_EXACT_STEP, Schedule, ScheduleError, schedule_families
from tunelab.schedules._convert import *  # noqa: F403
from tunelab.schedules._convert import __all__ as _convert_all
from tunelab.schedules._keras import *  # noqa: F403
from tunelab.schedules._keras import __all__ as _keras_all
from tunelab.schedules._optax import *  # noqa: F403
from tunelab.schedules._optax import __all__ as _optax_all
from tunelab.schedules._optax_composite import *  # noqa: F403
from tunelab.schedules._optax_composite import __all__ as _optax_composite_all
from tunelab.schedules._own import *  # noqa: F403
from tunelab.schedules._own import __all__ as _own_all
from tunelab.schedules._space import *  # noqa: F403
from tunelab.schedules._space import __all__ as _space_all
from tunelab.schedules._torch import *  # noqa: F403
from tunelab.schedules._torch import __all__ as _torch_all
from tunelab.schedules._transformers import *  # noqa: F403
from tunelab.schedules._transformers import __all__ as _transformers_all

__all__ = [
    "MAX_EXACT_STEP",
    "Schedule",
    "ScheduleError",
    "schedule_families",
    *_keras_all,
    *_optax_all,
    *_optax_composite_all,
    *_own_all,
    *_torch_all,
    *_transformers_all,
    *_space_all,
    *_convert_all,
]
