"""The dashboard's in-memory picture of one study, refreshed incrementally while trials are written.

Each study keeps the light columns of its trials (number, state, values, times, parameters,
worker). A refresh reads only trials newer than the largest id seen plus those still unfinished;
every row that changed gets the next *revision* number, so a page that has seen revision ``r``
asks for rows above ``r`` and only new data moves. Tables sort, filter and paginate here.
"""

from __future__ import annotations

import datetime
import json
import math
import threading
import time
from collections import OrderedDict
from typing import Any

from tunelab._errors import invalid
from tunelab._records import StudyDirection, TrialState
from tunelab.reporting._safe import csv_table
from tunelab.space import BaseDistribution

#: A refresh closer to the previous one than this reuses it (many pages polling one study).
MIN_REFRESH_S = 0.25
#: Results kept per study between changes (plots, summaries, table queries), least recently used
#: dropped first: any page can ask for a new filter or sort order, and each answer is kept.
MEMO_SIZE = 64
_FINISHED = {int(s) for s in TrialState if s.is_finished()}
_STATE_NAMES = {int(s): s.name for s in TrialState}


class StudyCache:
    """Light rows of one study's trials, with revisions for live updates."""

    def __init__(self, source: Any, study_id: int, name: str, directions: tuple[StudyDirection, ...],
                 user_attrs: dict[str, Any] | None = None) -> None:
        self.source = source
        self.study_id = study_id
        self.name = name
        self.directions = directions
        self.user_attrs = dict(user_attrs or {})
        self.minimize = directions[0] == StudyDirection.MINIMIZE
        self.rows: dict[int, dict[str, Any]] = {}
        self.ordered: list[dict[str, Any]] = []
        self.distributions: dict[str, BaseDistribution] = {}
        self.revision = 0
        self._max_id = -1
        self._unfinished: set[int] = set()
        self._refreshed = 0.0
        self._lock = threading.Lock()
        self._memo: OrderedDict[Any, Any] = OrderedDict()
        self._memo_revision = -1

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()``, kept until the study's next change (pages polling an idle study cost nothing);
        at most :data:`MEMO_SIZE` results are kept, the least recently used dropped first."""
        with self._lock:
            if self._memo_revision != self.revision:
                self._memo, self._memo_revision = OrderedDict(), self.revision
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            revision = self.revision
        value = compute()
        with self._lock:
            if self._memo_revision == revision:
                self._memo[key] = value
                self._memo.move_to_end(key)
                while len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
        return value

    @property
    def memo_size(self) -> int:
        """How many results the memo holds now (at most :data:`MEMO_SIZE`)."""
        with self._lock:
            return len(self._memo)

    def refresh(self) -> None:
        """Read what is new or was unfinished; give changed rows the next revision."""
        with self._lock:
            if time.monotonic() - self._refreshed < MIN_REFRESH_S:
                return
            fetched, kinds = self.source.light_trials(self.study_id, after_id=self._max_id,
                                                      also=sorted(self._unfinished))
            self.distributions.update(kinds)
            changed = False
            for row in fetched:
                old = self.rows.get(row["trial_id"])
                if old is not None and _same(old, row):
                    continue
                self.revision += 1
                row["rev"] = self.revision
                self.rows[row["trial_id"]] = row
                self._max_id = max(self._max_id, row["trial_id"])
                if row["state"] in _FINISHED:
                    self._unfinished.discard(row["trial_id"])
                else:
                    self._unfinished.add(row["trial_id"])
                changed = True
            if changed or not self.ordered:
                self.ordered = sorted(self.rows.values(), key=lambda r: r["number"])
            self._refreshed = time.monotonic()

    # -- summaries ----------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        def compute() -> dict[str, int]:
            out: dict[str, int] = {}
            for row in self.ordered:
                name = _STATE_NAMES[row["state"]]
                out[name] = out.get(name, 0) + 1
            return out

        return self.memo("counts", compute)

    def completed(self) -> list[dict[str, Any]]:
        """Finished trials with a finite first value, in number order."""
        return self.memo("completed", lambda: [r for r in self.ordered if r["state"] == int(TrialState.COMPLETE)
                                               and r["value"] is not None and math.isfinite(r["value"])])

    def ranked(self) -> list[dict[str, Any]]:
        """Completed trials, best first."""
        return self.memo("ranked", lambda: sorted(self.completed(), key=lambda r: r["value"], reverse=not self.minimize))

    def best(self) -> dict[str, Any] | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None

    def since(self, revision: int) -> list[dict[str, Any]]:
        return self.as_json([r for r in self.ordered if r["rev"] > revision])

    def with_params(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows``, each with its ``"params"`` read (kept for finished trials, which never change)."""
        missing = [r for r in rows if "params" not in r or r["state"] not in _FINISHED]
        if missing:
            whole = len(missing) > len(self.ordered) // 2
            if whole:
                missing = list(self.ordered)
            found = self.source.params(self.study_id, None if whole else [r["trial_id"] for r in missing])
            for r in missing:
                r["params"] = found.get(r["trial_id"], {})
        return rows

    def as_json(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row_json(r) for r in self.with_params(rows)]

    def by_number(self, numbers: list[int]) -> list[dict[str, Any]]:
        wanted = set(numbers)
        return [r for r in self.ordered if r["number"] in wanted]

    # -- the trial table ------------------------------------------------------------------------------
    def select(self, *, sort: str = "number", desc: bool = False, state: str = "",
               vmin: float | None = None, vmax: float | None = None) -> list[dict[str, Any]]:
        """Rows filtered by state and value range, sorted by ``sort`` (a column or ``params.<name>``)."""
        return self.memo(("select", sort, desc, state, vmin, vmax), lambda: self._select(sort, desc, state, vmin, vmax))

    def _select(self, sort: str, desc: bool, state: str, vmin: float | None, vmax: float | None) -> list[dict[str, Any]]:
        rows = self.ordered
        if state:
            if state.upper() not in TrialState.__members__:
                raise invalid("state", state, f"one of {list(TrialState.__members__)}")
            code = int(TrialState[state.upper()])
            rows = [r for r in rows if r["state"] == code]
        if vmin is not None:
            rows = [r for r in rows if r["value"] is not None and r["value"] >= vmin]
        if vmax is not None:
            rows = [r for r in rows if r["value"] is not None and r["value"] <= vmax]
        key = _sort_key(sort, self.distributions)
        if sort.startswith("params."):
            self.with_params(rows)
        present = [r for r in rows if key(r) is not None]
        missing = [r for r in rows if key(r) is None]
        present.sort(key=key, reverse=desc)
        return present + missing  # rows without the column sort last either way

    def csv_text(self, rows: list[dict[str, Any]]) -> str:
        names = sorted(self.distributions)
        header = ["number", "state", "value", "duration_s", "datetime_start", "datetime_complete", "worker"]
        return csv_table(header + [f"params.{n}" for n in names],
                         ([j["number"], j["state"], j["value"], j["duration"], j["start"], j["complete"], j["worker"]]
                          + [j["params"].get(n) for n in names] for j in self.as_json(rows)))


def row_json(r: dict[str, Any]) -> dict[str, Any]:
    """A light row as the pages see it: external parameter values, ISO times, state names."""
    duration = r["complete"] - r["start"] if r["start"] is not None and r["complete"] is not None else None
    return {
        "number": r["number"], "state": _STATE_NAMES[r["state"]], "value": finite(r["value"]),
        "values": [finite(v) for v in json.loads(r["values_json"])] if r["values_json"] else None,
        "duration": round(duration, 3) if duration is not None else None,
        "start": _iso(r["start"]), "complete": _iso(r["complete"]), "worker": r["worker"],
        "params": {n: dist.to_external(v) for n, (v, dist) in r["params"].items()},
        "feasible": None if r.get("constraints") is None else all(c <= 0 for c in r["constraints"]),
    }


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: those become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _iso(stamp: float | None) -> str | None:
    return None if stamp is None else datetime.datetime.fromtimestamp(stamp).isoformat(timespec="seconds")


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a[k] == b[k] for k in ("state", "value", "complete", "worker"))


def _sort_key(sort: str, distributions: dict[str, BaseDistribution]) -> Any:
    columns = {"number": lambda r: r["number"], "value": lambda r: finite(r["value"]),
               "state": lambda r: _STATE_NAMES[r["state"]],
               "duration": lambda r: (r["complete"] - r["start"]) if r["complete"] and r["start"] else None,
               "start": lambda r: r["start"], "worker": lambda r: r["worker"]}
    if sort in columns:
        return columns[sort]
    name = sort[len("params."):] if sort.startswith("params.") else None
    if name is None or name not in distributions:
        allowed = sorted(columns) + [f"params.{n}" for n in sorted(distributions)]
        raise invalid("sort", sort, f"one of {allowed}")

    def param(r: dict[str, Any]) -> Any:
        found = r["params"].get(name)
        return None if found is None else found[0]  # internal value: numbers, or a category's index

    return param

