"""Hyperband: several successive-halving brackets with different early-stopping rates."""

from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING

from tunelab._constraints import Integral, Options, constrained
from tunelab._errors import InvalidArgumentError, invalid
from tunelab._records import TrialState
from tunelab.pruners._asha import SuccessiveHalvingPruner
from tunelab.pruners._base import Pruner
from tunelab.pruners._common import set_system_attr

if TYPE_CHECKING:
    from tunelab.study import FrozenTrial, Study

#: System attribute recording the Hyperband bracket (its early-stopping rate) of a trial.
BRACKET_ATTR = "hyperband:bracket"


@constrained({"min_resource": Integral(min=1), "max_resource": (Integral(min=1), Options("auto")),
              "reduction_factor": Integral(min=2)})
class HyperbandPruner(Pruner):
    """Hyperband (Li et al., 2018) over asynchronous successive halving.

    With ``eta = reduction_factor``, there are ``B = floor(log_eta(max_resource / min_resource)) + 1``
    brackets; bracket ``e`` (``0 <= e < B``) is a :class:`SuccessiveHalvingPruner` with
    ``min_early_stopping_rate=e``, i.e. its first rung is at step ``min_resource * eta**e`` (bracket
    ``B - 1`` never stops a trial before ``max_resource``). A trial's bracket is a pure function of
    the study name and the trial number (a CRC-32 hash), weighted like Hyperband's bracket sizes
    ``ceil(B / (B - e) * eta ** (B - 1 - e))``; it is recorded in the trial's system attribute
    ``"hyperband:bracket"`` at its first ``should_prune`` call. A trial stops exactly when its
    bracket's successive halving stops it, comparing it only with trials of the same bracket (rung
    attributes ``"hb{e}:rung_{k}"``).

    Samplers are not starved: they keep seeing every trial of the study (a trial's bracket changes
    when it is stopped, not what it teaches), and pruned trials carry their projected final value
    (``system_attrs["projected_value"]``). A sampler that wants to condition on the bracket gets it
    before the trial runs from :meth:`bracket` (deterministic in the trial number), or afterwards
    from ``trial.system_attrs["hyperband:bracket"]``.

    Args:
        min_resource: step of the most aggressive bracket's first rung (``>= 1``).
        max_resource: the full training length in steps (``> min_resource``), or ``"auto"`` (the
            default, as in Optuna): one more than the last step reported by the study's first
            COMPLETE trial (the earliest to complete, then the lowest number), found when a trial
            asks once one has completed; no trial is stopped before that.
        reduction_factor: ``eta >= 2``.

    >>> pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    >>> pruner.n_brackets
    4
    >>> sorted({pruner.bracket("demo", n) for n in range(200)})
    [0, 1, 2, 3]
    """

    def __init__(self, *, min_resource: int = 1, max_resource: int | str = "auto", reduction_factor: int = 3) -> None:
        if max_resource != "auto" and max_resource <= min_resource:
            raise invalid("max_resource", max_resource, f"an integer > min_resource={min_resource}, or 'auto'",
                          where=type(self).__name__)
        self._min_resource, self._eta = min_resource, reduction_factor
        self._auto = max_resource == "auto"
        self._max_resource: int | None = None
        self.n_brackets: int | None = None
        if not self._auto:
            self._set_up(int(max_resource))

    def _set_up(self, max_resource: int) -> None:
        """Brackets for a known ``max_resource`` (a single one when it is no more than ``min_resource``)."""
        self._max_resource = max_resource
        ratio = max(self._max_resource / self._min_resource, 1.0)
        self.n_brackets = int(math.floor(math.log(ratio) / math.log(self._eta) + 1e-9)) + 1
        b = self.n_brackets
        self._weights = [math.ceil(b / (b - e) * self._eta ** (b - 1 - e)) for e in range(b)]
        self._brackets = [self._bracket_pruner(e) for e in range(b)]

    def _known(self, study: Study) -> bool:
        """Whether ``max_resource`` is known, working it out from the study's first COMPLETE trial if "auto"."""
        if self._max_resource is not None:
            return True
        done = [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.intermediate_values]
        if not done:
            return False
        first = min(done, key=lambda t: (t.datetime_complete is None, t.datetime_complete or 0, t.number))
        self._set_up(max(first.intermediate_values) + 1)
        return True

    @property
    def max_resource(self) -> int | None:
        """The full training length in steps (None while ``"auto"`` has not been worked out)."""
        return self._max_resource

    def _bracket_pruner(self, e: int) -> SuccessiveHalvingPruner:
        """The successive halving of bracket ``e``."""
        return SuccessiveHalvingPruner(min_resource=self._min_resource, reduction_factor=self._eta,
                                       min_early_stopping_rate=e, key=f"hb{e}")

    def __repr__(self) -> str:
        shown = "'auto'" if self._auto else self._max_resource
        return f"HyperbandPruner(min_resource={self._min_resource}, max_resource={shown}, reduction_factor={self._eta})"

    def bracket(self, study_name: str, number: int) -> int:
        """The bracket (early-stopping rate) of trial ``number`` in study ``study_name``."""
        if self._max_resource is None:
            raise InvalidArgumentError("HyperbandPruner(max_resource='auto') has no brackets until a trial of the "
                                       "study completes with reported values")
        slot = zlib.crc32(f"{study_name}:{number}".encode()) % sum(self._weights)
        for e, w in enumerate(self._weights):
            if slot < w:
                return e
            slot -= w
        raise AssertionError("unreachable")  # pragma: no cover

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if not self._known(study):
            return False
        e = self.bracket(study.study_name, trial.number)
        if trial.system_attrs.get(BRACKET_ATTR) != e:
            set_system_attr(study, trial, BRACKET_ATTR, e)
        return self._brackets[e].prune(study, trial)
