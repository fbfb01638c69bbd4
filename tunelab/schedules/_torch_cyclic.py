"""PyTorch's cyclic families: ``CosineAnnealingWarmRestarts``, ``CyclicLR`` and ``OneCycleLR``.

Same conventions as ``_torch``: torch's names and arguments with ``base_lr`` (or ``max_lr``) in
place of the optimizer; the value at step ``k`` is the lr after ``k`` calls of ``step()``. Cycle
counts and positions inside a cycle are integer arithmetic (exact up to ``2**53``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tunelab._constraints import Options, Real
from tunelab.schedules._base import (
    FLAG,
    MAX_EXACT_STEP,
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_STEPS,
    Schedule,
    ScheduleError,
    family_args,
)
from tunelab.schedules._kernel import floor_div
from tunelab.schedules._torch_base import raised_cosine

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]


@family_args({"base_lr": POSITIVE, "T_0": POSITIVE_STEPS, "T_mult": POSITIVE_STEPS, "eta_min": NON_NEGATIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class CosineAnnealingWarmRestarts(Schedule):
    """Cosine annealing with warm restarts, SGDR (torch ``CosineAnnealingWarmRestarts``).

    Cycle ``i`` lasts ``T_i = T_0 * T_mult ** i`` steps and starts at
    ``S_i = T_0 * (T_mult ** i - 1) / (T_mult - 1)`` (``i * T_0`` when ``T_mult = 1``); with
    ``T_cur = k - S_i`` for the cycle holding ``k``:

    ``lr(k) = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``

    The cycle is found exactly (integer starts, no logarithm), so a restart step always gives
    ``base_lr``: torch's ``step(epoch)`` path computes the cycle with a float ``log`` and can land
    one cycle too low there; its plain ``step()`` path agrees with tunelab.

    Args:
        base_lr: the optimizer's initial lr, > 0.
        T_0: length of the first cycle, an integer >= 1.
        T_mult: growth of the cycle length after each restart, an integer >= 1.
        eta_min: the minimum, >= 0.

    >>> s = CosineAnnealingWarmRestarts(1.0, T_0=2, T_mult=2)
    >>> [round(v, 12) for _, v in s.table(7)]
    [1.0, 0.5, 1.0, 0.853553390593, 0.5, 0.146446609407, 1.0]
    """

    base_lr: float
    T_0: int
    T_mult: int = 1
    eta_min: float = 0.0

    def _cycles(self) -> tuple[np.ndarray, np.ndarray]:
        """Start step and length of every cycle that starts at or before ``2**53``."""
        starts, lengths = [0], [self.T_0]
        while starts[-1] + lengths[-1] <= MAX_EXACT_STEP:
            starts.append(starts[-1] + lengths[-1])
            lengths.append(lengths[-1] * self.T_mult)
        return np.asarray(starts, dtype=np.float64), np.asarray(lengths, dtype=np.float64)

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        if self.T_mult == 1:
            t_cur, t_i = np.fmod(steps, float(self.T_0)), float(self.T_0)
        else:
            starts, lengths = self._cycles()
            which = np.searchsorted(starts, steps, side="right") - 1
            t_cur, t_i = steps - starts[which], lengths[which]
        return self.eta_min + (self.base_lr - self.eta_min) * raised_cosine(t_cur, t_i)


@family_args({"base_lr": NON_NEGATIVE, "max_lr": POSITIVE, "step_size_up": POSITIVE_STEPS,
              "step_size_down": (None, POSITIVE_STEPS), "mode": Options("triangular", "triangular2", "exp_range"),
              "gamma": POSITIVE})
@dataclasses.dataclass(frozen=True, repr=False)
class CyclicLR(Schedule):
    """Cyclical learning rate between ``base_lr`` and ``max_lr`` (torch ``CyclicLR``).

    A cycle lasts ``total = step_size_up + step_size_down`` steps; with ``r = k mod total`` and
    ``cycle = floor(k / total) + 1``, the triangle is ``x = r / step_size_up`` going up and
    ``(total - r) / step_size_down`` going down, and

    ``lr(k) = base_lr + (max_lr - base_lr) * x * scale``, where ``scale`` is 1 (``"triangular"``),
    ``1 / 2 ** (cycle - 1)`` (``"triangular2"``) or ``gamma ** k`` (``"exp_range"``).

    Torch also cycles the momentum inversely to the lr; a Schedule describes the lr only, so that
    part is not modelled. Custom ``scale_fn`` is not supported (a function is not a portable value).

    Args:
        base_lr: lower bound of the cycle, >= 0 (torch overrides the optimizer's lr with it).
        max_lr: upper bound of the cycle, > 0.
        step_size_up: steps of the rising half, an integer >= 1.
        step_size_down: steps of the falling half, an integer >= 1; ``None`` means ``step_size_up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: base of the ``"exp_range"`` scale, > 0.

    >>> CyclicLR(0.0, 1.0, step_size_up=2, step_size_down=1, mode="triangular2").table(7)
    [(0, 0.0), (1, 0.5), (2, 1.0), (3, 0.0), (4, 0.25), (5, 0.5), (6, 0.0)]
    """

    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        up = float(self.step_size_up)
        down = float(self.step_size_down if self.step_size_down is not None else self.step_size_up)
        total = up + down
        r = np.fmod(steps, total)
        x = np.where(r <= up, r / up, (total - r) / down)
        if self.mode == "triangular":
            scale = 1.0
        elif self.mode == "triangular2":
            scale = 0.5 ** floor_div(steps, total)
        else:
            scale = self.gamma**steps
        return self.base_lr + (self.max_lr - self.base_lr) * x * scale


@family_args({"max_lr": POSITIVE, "total_steps": POSITIVE_STEPS, "pct_start": Real(0, 1, min_open=True, max_open=True),
              "anneal_strategy": Options("cos", "linear"), "div_factor": POSITIVE, "final_div_factor": POSITIVE,
              "three_phase": FLAG})
@dataclasses.dataclass(frozen=True, repr=False)
class OneCycleLR(Schedule):
    """The 1cycle policy (torch ``OneCycleLR``): warm up to ``max_lr``, then anneal far below.

    With ``initial = max_lr / div_factor`` and ``min = initial / final_div_factor``, the phases end
    at steps ``e1 = pct_start * total_steps - 1`` and ``total_steps - 1`` (two phases:
    ``initial -> max_lr -> min``) or ``e1``, ``2 * pct_start * total_steps - 2`` and
    ``total_steps - 1`` (``three_phase``: ``initial -> max_lr -> initial -> min``). In the phase
    ``(s, e]`` from ``a`` to ``b``, with ``p = (k - s) / (e - s)``:

    ``lr(k) = b + (a - b) * (1 + cos(pi * p)) / 2`` (``"cos"``) or ``a + (b - a) * p`` (``"linear"``)

    Steps run from 0 to ``total_steps`` inclusive (torch's last allowed step extends the final
    phase by one step); a larger step raises ScheduleError, as torch raises.

    Args:
        max_lr: the peak lr, > 0.
        total_steps: the length of the cycle, an integer >= 1 large enough that every phase is at
            least one step long.
        pct_start: fraction of the steps spent rising, 0 < pct_start < 1.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        div_factor: ``max_lr / initial``, > 0.
        final_div_factor: ``initial / min``, > 0.
        three_phase: use the symmetric three-phase variant of the original paper.

    >>> s = OneCycleLR(1.0, total_steps=10, pct_start=0.3, anneal_strategy="linear", div_factor=10.0,
    ...                final_div_factor=1.0)
    >>> [round(v, 6) for _, v in s.table(10)]
    [0.1, 0.55, 1.0, 0.871429, 0.742857, 0.614286, 0.485714, 0.357143, 0.228571, 0.1]
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False

    def __post_init__(self) -> None:
        ends = [0.0] + [end for end, _, _ in self._phases()]
        if any(b <= a for a, b in zip(ends, ends[1:])):
            raise ScheduleError(
                f"total_steps={self.total_steps} is invalid for {self.family}: too small for its phases with "
                f"pct_start={self.pct_start!r} (phase ends {ends[1:]} must increase from step 0)"
            )

    def _phases(self) -> list[tuple[float, float, float]]:
        """``(end_step, start_lr, end_lr)`` per phase, with torch's float phase ends."""
        initial = self.max_lr / self.div_factor
        low = initial / self.final_div_factor
        first_end = float(self.pct_start * self.total_steps) - 1
        last_end = float(self.total_steps - 1)
        if self.three_phase:
            second_end = float(2 * self.pct_start * self.total_steps) - 2
            return [(first_end, initial, self.max_lr), (second_end, self.max_lr, initial),
                    (last_end, initial, low)]
        return [(first_end, initial, self.max_lr), (last_end, self.max_lr, low)]

    def _evaluate(self, steps: np.ndarray) -> np.ndarray:
        if steps.size and float(steps.max()) > self.total_steps:
            raise ScheduleError(
                f"step={float(steps.max())!r} is invalid for {self.family}: must be at most "
                f"total_steps={self.total_steps} (torch raises past it too)"
            )
        out = np.empty_like(steps)
        todo = np.ones(steps.shape, dtype=bool)
        begin = 0.0
        phases = self._phases()
        for i, (end, a, b) in enumerate(phases):
            mask = todo & (steps <= end) if i < len(phases) - 1 else todo
            pct = (steps[mask] - begin) / (end - begin)
            if self.anneal_strategy == "cos":
                out[mask] = b + (a - b) / 2.0 * (np.cos(math.pi * pct) + 1)
            else:
                out[mask] = (b - a) * pct + a
            todo &= ~mask
            begin = end
        return out
