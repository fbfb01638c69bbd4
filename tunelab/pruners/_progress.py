"""Equal progress through the schedule: report steps that compare trials with different horizons."""

from __future__ import annotations

from tunelab._constraints import Integral, constrained
from tunelab._errors import invalid

#: Progress steps per whole schedule (thousandths).
PROGRESS_RESOLUTION = 1000


@constrained({"step": Integral(min=0), "total_steps": Integral(min=1), "resolution": Integral(min=1)})
def progress_step(step: int, total_steps: int, *, resolution: int = PROGRESS_RESOLUTION) -> int:
    """``step`` of a ``total_steps``-long schedule as progress through it, in ``1/resolution``.

    Report ``trial.report(value, step=progress_step(epoch + 1, n_epochs))`` when trials train for
    different lengths (a searched number of epochs, each with its schedule stretched over it):
    every pruner then compares trials at equal progress through their schedules (after 30% of
    the decay, say) rather than at the same raw step, where the longer schedule's rate is still
    high. The result is ``floor(step * resolution / total_steps)``, between 0 and ``resolution``.

    >>> progress_step(3, 10), progress_step(6, 20), progress_step(20, 20)
    (300, 300, 1000)
    """
    if step > total_steps:
        raise invalid("step", step, f"an integer in [0, total_steps={total_steps}]", where="progress_step")
    return step * resolution // total_steps
