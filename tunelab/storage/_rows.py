"""Turning SQL rows into FrozenTrial and StudySummary records, and the finished-trial cache."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tunelab._records import FrozenTrial, StudyDirection, StudySummary, TrialState, core_fields, split_core
from tunelab.space import BaseDistribution, distribution_from_json
from tunelab.storage import _schema as S

#: Stored timestamps (seconds since the epoch) back to datetimes.
from_timestamp = datetime.datetime.fromtimestamp


@dataclasses.dataclass
class TrialCache:
    """Trials of one study already read. Finished ones never change, so they are kept for good."""

    trials: dict[int, FrozenTrial] = dataclasses.field(default_factory=dict)  # by trial_id
    unfinished: set[int] = dataclasses.field(default_factory=set)
    max_id: int = -1
    directions: tuple[StudyDirection, ...] | None = None
    _ordered: list[FrozenTrial] | None = None

    def merge(self, fetched: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Fold freshly read trials in and return every trial ordered by number."""
        for trial in fetched:
            known = self.trials.get(trial.trial_id)
            if known is not None and known.state.is_finished():
                continue  # a slower concurrent read must not bring back an older, unfinished snapshot
            self.trials[trial.trial_id] = trial
            self.max_id = max(self.max_id, trial.trial_id)
            if trial.state.is_finished():
                self.unfinished.discard(trial.trial_id)
            else:
                self.unfinished.add(trial.trial_id)
        if fetched or self._ordered is None:
            self._ordered = sorted(self.trials.values(), key=lambda t: t.number)
        return list(self._ordered)


#: The trial columns a record is built from (not ``write_token``, which older files lack).
_TRIAL_COLUMNS = ("trial_id", "number", "state", "values_json", "datetime_start", "datetime_complete")


def assemble_trials(tx: Any, where: Any) -> list[FrozenTrial]:
    """Read the trials matching ``where`` (a condition on the trials table) with all their parts."""
    t = S.trials
    rows = tx.execute(sa.select(*(t.c[name] for name in _TRIAL_COLUMNS)).where(where).order_by(t.c.number)).all()
    if not rows:
        return []
    # reads run statement by statement: bound the id subquery so trials created after the first
    # statement (always with higher ids) do not bring parts of trials not read
    ids = sa.select(t.c.trial_id).where(where & (t.c.trial_id <= max(r.trial_id for r in rows)))
    if len(rows) <= 200:
        ids = [r.trial_id for r in rows]
    params: dict[int, dict[str, tuple[float, BaseDistribution]]] = {r.trial_id: {} for r in rows}
    dist_cache: dict[str, BaseDistribution] = {}
    p = S.trial_params
    for trial_id, name, value, dist_json in tx.execute(
            sa.select(p.c.trial_id, p.c.name, p.c.value, p.c.distribution_json).where(p.c.trial_id.in_(ids))):
        dist = dist_cache.get(dist_json)
        if dist is None:
            dist = dist_cache[dist_json] = distribution_from_json(dist_json)
        params[trial_id][name] = (value, dist)
    inter: dict[int, dict[int, float]] = {r.trial_id: {} for r in rows}
    iv = S.trial_intermediate
    for trial_id, step, value in tx.execute(
            sa.select(iv.c.trial_id, iv.c.step, iv.c.value).where(iv.c.trial_id.in_(ids)).order_by(iv.c.step)):
        inter[trial_id][int(step)] = float("nan") if value is None else float(value)
    attrs: dict[int, dict[str, dict[str, Any]]] = {r.trial_id: {"user": {}, "system": {}, "core": {}} for r in rows}
    a = S.trial_attrs
    for trial_id, kind, key, value_json in tx.execute(
            sa.select(a.c.trial_id, a.c.kind, a.c.key, a.c.value_json).where(a.c.trial_id.in_(ids))):
        attrs[trial_id][kind][key] = json.loads(value_json)
    out = []
    for r in rows:
        ps = params[r.trial_id]
        system, legacy = split_core(attrs[r.trial_id]["system"])  # files of schema 1, opened read-only
        out.append(FrozenTrial(
            number=r.number,
            state=TrialState(r.state),
            values=tuple(json.loads(r.values_json)) if r.values_json is not None else None,
            params={n: d.to_external(v) for n, (v, d) in ps.items()},
            distributions={n: d for n, (_, d) in ps.items()},
            intermediate_values=inter[r.trial_id],
            user_attrs=attrs[r.trial_id]["user"],
            system_attrs=system,
            datetime_start=from_timestamp(r.datetime_start) if r.datetime_start is not None else None,
            datetime_complete=from_timestamp(r.datetime_complete) if r.datetime_complete is not None else None,
            trial_id=r.trial_id,
            **core_fields({**legacy, **attrs[r.trial_id]["core"]}),
        ))
    return out


def summaries_from_rows(study_rows: Sequence[Any], counts: Sequence[Any], attrs: Sequence[Any]) -> list[StudySummary]:
    """Build study summaries from the studies table, per-state aggregates and user attributes."""
    by_study: dict[int, list[Any]] = {}
    for row in counts:
        by_study.setdefault(row[0], []).append(row)
    user: dict[int, dict[str, Any]] = {}
    for row in attrs:
        user.setdefault(row.study_id, {})[row.key] = json.loads(row.value_json)
    out = []
    for s in study_rows:
        directions = tuple(StudyDirection[d] for d in json.loads(s.directions))
        n_by_state: dict[str, int] = {}
        best = None
        last = s.created
        for _, state, n, lo, hi, stamp in by_study.get(s.study_id, []):
            n_by_state[TrialState(state).name] = int(n)
            if stamp is not None:
                last = max(last, stamp)
            if state == int(TrialState.COMPLETE) and len(directions) == 1 and lo is not None:
                best = (lo,) if directions[0] == StudyDirection.MINIMIZE else (hi,)
        out.append(StudySummary(
            study_name=s.study_name, study_id=s.study_id, directions=directions,
            n_trials=sum(n_by_state.values()), n_by_state=n_by_state, best_values=best,
            datetime_start=from_timestamp(s.created), last_update=from_timestamp(last), user_attrs=user.get(s.study_id, {}),
        ))
    return out
