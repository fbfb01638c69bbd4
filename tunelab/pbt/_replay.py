"""Replaying a winning lineage from scratch: the same ``train``, the lineage's hyperparameters
interval by interval, the discovered learning-rate schedule, another seed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tunelab._constraints import Function, InstanceOf, Integral, constrained
from tunelab.pbt._lineage import PBTResult
from tunelab.pbt._member import IntervalObjective, Member

__all__ = ["replay"]


def replay_seed(seed: int, generation: int) -> int:
    """``member.seed`` in interval ``generation`` of a replay (a stream apart from the run's members')."""
    return int(np.random.SeedSequence([seed, 2**31, generation]).generate_state(1)[0])


@constrained({"found": InstanceOf(PBTResult, "a PBTResult (what optimize returned, or tunelab.pbt.result(study))"),
              "train": Function(what="a callable train(member, state)"),
              "save": (None, Function(what="a callable save(state, path)")),
              "load": (None, Function(what="a callable load(path) -> state")),
              "seed": Integral(min=0)}, where="tunelab.pbt.replay")
def replay(found: PBTResult, train: Callable[..., Any], *, seed: int = 0, save: Callable[..., Any] | None = None,
           load: Callable[..., Any] | None = None) -> float:
    """Train one model from scratch along the winner's lineage and return its final value.

    ``train`` is the function the population trained with: it is called once per interval, in this
    process, with a :class:`~tunelab.FixedTrial` holding that interval's hyperparameters, with
    ``member.schedule`` the winner's whole learning-rate schedule and ``member.seed`` drawn from
    ``seed``. The state passes from one interval to the next through ``save`` / ``load`` in a
    temporary directory when they are given (exactly as in the run), else in memory when ``train``
    returns ``(value, state)``, else through ``member.save_path`` / ``member.checkpoint``. Nothing
    is written to any study.

    ``found`` is what :meth:`PopulationBasedTraining.optimize` returned (or
    :func:`tunelab.pbt.result` of the study). To train with the schedule alone in your own loop,
    hand ``found.schedule`` to :func:`tunelab.integrations.torch.scheduler` (or the Keras / optax
    adapters).
    """
    from tunelab.study._fixed import FixedTrial

    settings = found.settings
    state = None
    value = float("nan")
    with tempfile.TemporaryDirectory(prefix="tunelab-pbt-replay-") as tmp:
        previous: Path | None = None
        for i, interval in enumerate(found.lineage):
            trial = FixedTrial(interval.params, number=i)
            save_path = Path(tmp) / f"interval_{i}"
            save_path.mkdir()
            member = Member(trial, member=interval.member, generation=interval.generation, start=interval.start,
                            stop=interval.stop, seed=replay_seed(seed, interval.generation), checkpoint=previous,
                            save_path=save_path, settings=settings, lrs=[], schedule=found.schedule)
            out = train(member, state)
            if save is not None or isinstance(out, tuple):  # (value, state): the state goes on
                value, state = IntervalObjective(train, save or _keep, load, Path(tmp), settings)._outcome(out)
            else:  # a train that writes member.save_path and reads member.checkpoint itself
                value = IntervalObjective(train, None, None, Path(tmp), settings)._outcome(out)[0]
            if save is not None:
                save(state, save_path)
                state = load(save_path)
            previous = save_path
    return value



def _keep(state: Any, path: Path) -> None:
    """Stands for ``save`` when the state passes in memory."""
