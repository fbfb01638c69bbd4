"""What TPE remembers of a study: per-trial encodings, the good / bad split, co-occurrence groups.

A parameter is identified by its *key*, ``(name, distribution)``: a name asked with another
distribution is another parameter. Finished trials never change, so each one is encoded once
(cached by trial number) and the groups are refined incrementally: two keys share a group when
every finished trial holds both or neither of them, so a conditional branch's parameters are
modelled jointly and only on the trials that took that branch.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tunelab.pruners._common import PROJECTED_VALUE_ATTR
from tunelab.samplers._ranking import minimised, order_best_first, violation
from tunelab.samplers._tpe_parzen import Axis
from tunelab.space import BaseDistribution

Key = tuple[str, BaseDistribution]


def default_gamma(n: int) -> int:
    """How many of ``n`` ranked trials count as good: 10 %, rounded up, at most 25.

    >>> default_gamma(7), default_gamma(100), default_gamma(1000)
    (1, 10, 25)
    """
    return min(math.ceil(0.1 * n), 25)


class _Encoded:
    __slots__ = ("coords", "rank_key")

    def __init__(self, coords: dict[Key, float], rank_key: tuple | None) -> None:
        self.coords = coords
        self.rank_key = rank_key


class _GroupRows:
    """The model-space rows of one group, for every finished trial holding it, grown as trials finish."""

    __slots__ = ("upto", "pos", "array")

    def __init__(self, width: int) -> None:
        self.upto = 0  # how many of History._order were looked at
        self.pos: dict[int, int] = {}  # trial number -> row
        self.array = np.empty((0, width))


class History:
    """Incrementally updated view of a study's trials for TPE (not thread-safe: the sampler locks)."""

    def __init__(self, use_projections: bool = False, *, violation: Callable[[Any], float] = violation,
                 running: bool = True) -> None:
        self.use_projections = use_projections
        self._violation = violation
        self._with_running = running  # constant liar: running trials count as bad
        self._common: frozenset[Key] | None = None  # keys held by every usable finished trial
        self._encoded: dict[int, _Encoded] = {}
        self._axes: dict[Key, Axis] = {}
        self._groups: list[frozenset[Key]] = []
        self._last_seen: dict[Key, int] = {}
        self._order: list[int] = []  # encoded finished trials, in the order they were encoded
        self._rows: dict[tuple[Key, ...], _GroupRows] = {}
        self._ranked: list[tuple] = []  # one entry per usable finished trial (sorted for one objective)
        self.good: list[int] = []
        self.bad: list[int] = []
        self.running: list[dict[Key, float]] = []
        self.n_finished = 0

    def axis(self, key: Key) -> Axis:
        if key not in self._axes:
            self._axes[key] = Axis.of(key[1])
        return self._axes[key]

    def coords_of(self, params: dict[str, Any], distributions: dict[str, BaseDistribution]) -> dict[Key, float]:
        out = {}
        for name, dist in distributions.items():
            if dist.single():
                continue
            key = (name, dist)
            out[key] = self.axis(key).encode(dist.to_internal(params[name]))
        return out

    def update(self, study: Any, pending: dict[int, dict[Key, float]], gamma: Any) -> None:
        """Read the study once; encode new finished trials; split them into good and bad."""
        from tunelab.study import TrialState

        directions = study.directions
        self.running = []
        encoded = self._encoded
        n_before = len(self._order)
        for t in study.get_trials():
            if t.number in encoded:
                continue
            if t.state == TrialState.RUNNING:
                if not self._with_running:
                    continue
                coords = self.coords_of(t.params, t.distributions)
                coords.update(pending.get(t.number, {}))
                if coords:
                    self.running.append(coords)
            elif t.state.is_finished():
                enc = self._encode(t, directions, TrialState)
                encoded[t.number] = enc
                self._order.append(t.number)
                if enc.rank_key is not None:
                    keys = frozenset(enc.coords)
                    self._refine_groups(keys, t.number)
                    self._common = keys if self._common is None else self._common & keys
                    if len(directions) == 1:  # kept sorted: no re-sort per ask
                        category, values, viol = enc.rank_key
                        bisect.insort(self._ranked, (category, viol, *values, t.number))
                    else:
                        self._ranked.append((t.number,))
        self.n_finished = len(self._ranked)
        if len(self._order) > n_before:  # the split only changes when a trial finished since the last read
            self._split(gamma, len(directions))

    def _encode(self, t: Any, directions: Sequence[Any], states: Any) -> _Encoded:
        coords = self.coords_of(t.params, t.distributions)
        if t.state == states.COMPLETE and t.values is not None:
            return _Encoded(coords, (0, minimised(t.values, directions), self._violation(t)))
        if t.state == states.PRUNED and len(directions) == 1:
            sign = 1.0 if directions[0].name == "MINIMIZE" else -1.0
            projected = t.system_attrs.get(PROJECTED_VALUE_ATTR)
            if self.use_projections and isinstance(projected, (int, float)) and math.isfinite(projected):
                return _Encoded(coords, (1, [sign * float(projected)], 0.0))
            steps = [s for s, v in t.intermediate_values.items() if not math.isnan(v)]
            if steps:  # ranked by how far it got, then by its last value there
                last = max(steps)
                return _Encoded(coords, (2, [-float(last), sign * t.intermediate_values[last]], 0.0))
            return _Encoded(coords, (3, [], 0.0))
        return _Encoded(coords, None)  # FAIL, or a COMPLETE trial without values: nothing learned

    def _split(self, gamma: Any, n_objectives: int) -> None:
        """Best first: feasible COMPLETE by value (or Pareto rank and crowding), infeasible by
        violation, then PRUNED by the final value their pruner projected, then PRUNED without a
        projection by progress and last value."""
        n = len(self._ranked)
        if n_objectives == 1:
            ordered = [entry[-1] for entry in self._ranked]
        else:
            numbers = [entry[0] for entry in self._ranked]
            keys = [self._encoded[k].rank_key for k in numbers]
            ordered = [numbers[i] for i in order_best_first([k[1] for k in keys], [k[2] for k in keys])]
        n_good = max(1, min(int(gamma(n)), n)) if n else 0
        self.good, self.bad = ordered[:n_good], ordered[n_good:]

    def _refine_groups(self, keys: frozenset[Key], number: int) -> None:
        for k in keys:
            self._last_seen[k] = max(self._last_seen.get(k, -1), number)
        refined: list[frozenset[Key]] = []
        for g in self._groups:
            refined += [part for part in (g & keys, g - keys) if part]
        new = keys.difference(*self._groups) if self._groups else keys
        if new:
            refined.append(frozenset(new))
        self._groups = refined

    def groups(self, wanted: set[Key] | None = None) -> list[list[Key]]:
        """The co-occurrence groups (restricted to ``wanted``), in a reproducible order."""
        out = []
        for g in self._groups:
            keys = sorted((k for k in g if wanted is None or k in wanted), key=key_order)
            if keys:
                out.append(keys)
        return sorted(out, key=lambda ks: key_order(ks[0]))

    def common_keys(self) -> list[Key]:
        """The keys every usable finished trial holds (the intersection search space), in a reproducible order."""
        return sorted(self._common or (), key=key_order)

    def seen(self, key: Key) -> bool:
        """Whether some usable finished trial holds ``key``."""
        return key in self._last_seen

    def current_keys(self) -> dict[str, Key]:
        """For each name, its most recently seen key (a changed distribution replaces the old one)."""
        best: dict[str, Key] = {}
        for key, last in self._last_seen.items():
            if key[0] not in best or last > self._last_seen[best[key[0]]]:
                best[key[0]] = key
        return best

    def observations(self, keys: list[Key]) -> tuple[np.ndarray, np.ndarray]:
        """Model-space rows of the good and the bad trials holding every key (running ones count as bad).

        Each finished trial's row is built once per group; an ask only selects rows by number.
        """
        group = self._rows.setdefault(tuple(keys), _GroupRows(len(keys)))
        fresh = []
        for n in self._order[group.upto:]:
            coords = self._encoded[n].coords
            if all(k in coords for k in keys):
                group.pos[n] = len(group.pos)
                fresh.append([coords[k] for k in keys])
        group.upto = len(self._order)
        if fresh:
            group.array = np.vstack([group.array, np.asarray(fresh, dtype=float)])
        pos = group.pos
        good = group.array[[pos[n] for n in self.good if n in pos]]
        running = [[c[k] for k in keys] for c in self.running if all(k in c for k in keys)]
        bad = group.array[[pos[n] for n in self.bad if n in pos]]
        if running:
            bad = np.vstack([bad, np.asarray(running, dtype=float)])
        return good, bad


def key_order(key: Key) -> tuple[str, str]:
    return key[0], repr(key[1])
