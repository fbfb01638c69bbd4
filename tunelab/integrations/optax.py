"""Use a tunelab schedule as an optax schedule (extra ``jax``).

``schedule(s)`` returns ``fn(step) -> learning rate``, usable wherever optax takes a schedule
(``optax.adam(learning_rate=schedule(s))``) and under ``jax.jit`` / ``jax.vmap``.

The trade: ``fn`` evaluates tunelab's float64 schedule on the host through ``jax.pure_callback``.
That is exact for every family and every step (the value is rounded once, to jax's default float
dtype: float32, or float64 with ``jax_enable_x64``; XLA then flushes float32 subnormals below
~1.2e-38 to zero) and needs no horizon, unlike a tabulated
schedule; the cost is one host round trip per call (microseconds on CPU; on an accelerator it
synchronises once per optimizer step), and the value is not differentiable with respect to the
schedule's arguments (nobody differentiates a learning rate through its schedule arguments in
optax training). Steps must be non-negative and, for integer-step families, integral, as
everywhere in tunelab; a bad step raises from inside the callback.

Example (needs jax and optax; run by the adapter tests, not as a doctest)::

    import jax, optax
    from tunelab.schedules import OneCycleLR
    fn = schedule(OneCycleLR(0.1, total_steps=1000))
    jax.jit(fn)(299)
    # Array(0.1, dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunelab._constraints import constrained
from tunelab._errors import require_extra
from tunelab.schedules import Schedule
from tunelab.schedules._base import SCHEDULE

__all__ = ["schedule"]


@constrained({"s": SCHEDULE}, where="tunelab.integrations.optax.schedule")
def schedule(s: Schedule) -> Any:
    """A jit-able optax schedule ``fn(step)`` equal to ``s(step)`` in jax's default float dtype."""
    jax = require_extra("jax", "jax")
    jnp = jax.numpy

    def host(step: np.ndarray) -> np.ndarray:  # Schedule.__call__ validates and casts to float64
        return np.asarray(s(np.asarray(step)), dtype=jnp.result_type(float))

    def fn(step: Any) -> Any:
        step = jnp.asarray(step)
        shape = jax.ShapeDtypeStruct(step.shape, jnp.result_type(float))
        return jax.pure_callback(host, shape, step, vmap_method="broadcast_all")

    fn.schedule = s  # the tunelab value behind it, for inspection
    return fn
