"""The dashboard's HTTP server: standard library only, a JSON API and a fixed table of assets.

No request path reaches the file system: the page, its script, its style sheet and plotly.js are
read once at start into :data:`Dashboard.assets`, and every other path is an API route matched by
a regular expression or a 404. Only GET and HEAD are served (the dashboard writes nothing).
"""

from __future__ import annotations

import json
import re
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tunelab._errors import StudyNotFoundError, TrialNotFoundError, TunelabError, invalid
from tunelab.dashboard import _plots
from tunelab.dashboard._cache import StudyCache, finite
from tunelab.dashboard._source import ReadOnlySource
from tunelab.reporting._safe import dumps, hide_url

#: Sent with every response: scripts, styles and data from this server only; no frames, no forms.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
_PAGE_SIZES = range(1, 501)


def load_assets() -> dict[str, tuple[bytes, str]]:
    """The fixed table ``{path: (body, content type)}`` of everything that is not API."""
    from tunelab._errors import require_extra

    plotly = require_extra("plotly", "dashboard")
    static = resources.files("tunelab.dashboard") / "static"
    table = {"/": ((static / "index.html").read_bytes(), _TYPES["html"])}
    for name in ("app.js", "app.css"):
        table[f"/static/{name}"] = ((static / name).read_bytes(), _TYPES[name.rsplit(".", 1)[1]])
    bundle = resources.files(plotly.__name__) / "package_data" / "plotly.min.js"
    table["/static/plotly.min.js"] = (bundle.read_bytes(), _TYPES["js"])
    return table


class Dashboard:
    """The application: a read-only source, one cache per study, and the API routes."""

    def __init__(self, storage: str) -> None:
        self.source = ReadOnlySource(storage)
        self.assets = load_assets()
        _plots.load_importance_backend()
        self._caches: dict[int, StudyCache] = {}
        self._lock = threading.Lock()
        self.routes = [
            (re.compile(r"/api/studies"), self.api_studies),
            (re.compile(r"/api/studies/(\d+)"), self.api_study),
            (re.compile(r"/api/studies/(\d+)/updates"), self.api_updates),
            (re.compile(r"/api/studies/(\d+)/history"), self.api_history),
            (re.compile(r"/api/studies/(\d+)/parallel"), self.api_parallel),
            (re.compile(r"/api/studies/(\d+)/importance"), lambda q, sid: self._memo(sid, "importance", _plots.importance)),
            (re.compile(r"/api/studies/(\d+)/timeline"), lambda q, sid: self._memo(sid, "timeline", _plots.timeline)),
            (re.compile(r"/api/studies/(\d+)/intermediate"),
             lambda q, sid: self._memo(sid, "intermediate", _plots.intermediate)),
            (re.compile(r"/api/studies/(\d+)/families"), lambda q, sid: self._memo(sid, "families", _plots.families)),
            (re.compile(r"/api/studies/(\d+)/pareto"), lambda q, sid: self._memo(sid, "pareto", _plots.pareto)),
            (re.compile(r"/api/studies/(\d+)/lr"), self.api_lr),
            (re.compile(r"/api/studies/(\d+)/pbt"), lambda q, sid: self._memo(sid, "pbt", _plots.pbt_lineage)),
            (re.compile(r"/api/studies/(\d+)/trials"), self.api_trials),
            (re.compile(r"/api/studies/(\d+)/trials\.csv"), self.api_csv),
            (re.compile(r"/api/studies/(\d+)/trials/(\d+)"), self.api_trial),
        ]

    def preload(self) -> None:
        """Read every study's trials and draw up its default plots now, so the first page is quick."""
        for summary in self.source.studies():
            sid = str(summary.study_id)
            for key, compute in (("importance", _plots.importance), ("timeline", _plots.timeline),
                                 ("intermediate", _plots.intermediate)):
                self._memo(sid, key, compute)
            self.api_history({}, sid)
            self.api_parallel({}, sid)
            if len(summary.directions) > 1:
                self._memo(sid, "pareto", _plots.pareto)
            self.study(sid).select(sort="number", desc=True)

    def study(self, study_id: str) -> StudyCache:
        sid = int(study_id)
        with self._lock:
            cache = self._caches.get(sid)
        if cache is None:
            name, directions = self.source.study(sid)
            attrs = self.source.study_user_attrs(sid)
            with self._lock:
                cache = self._caches.setdefault(sid, StudyCache(self.source, sid, name, directions, attrs))
        cache.refresh()
        return cache

    def _memo(self, sid: str, key: Any, compute: Any) -> Any:
        cache = self.study(sid)
        return cache.memo(key, lambda: compute(cache))

    # -- routes ---------------------------------------------------------------------------------------
    def api_studies(self, q: dict[str, str]) -> Any:
        out = []
        for s in self.source.studies():
            out.append({"id": s.study_id, "name": s.study_name, "directions": [d.name.lower() for d in s.directions],
                        "n_trials": s.n_trials, "by_state": s.n_by_state,
                        "best": finite(s.best_values[0]) if s.best_values else None,
                        "last_update": s.last_update.isoformat(timespec="seconds") if s.last_update else None,
                        "user_attrs": s.user_attrs})
        return {"studies": out}

    def api_study(self, q: dict[str, str], sid: str) -> Any:
        cache = self.study(sid)
        return {"id": cache.study_id, "name": cache.name, "directions": [d.name.lower() for d in cache.directions],
                "objectives": _plots.objective_names(cache), "schedules": _plots.schedule_names(cache),
                "pbt": _plots.is_population(cache),
                **_counts(cache)}

    def api_updates(self, q: dict[str, str], sid: str) -> Any:
        cache = self.study(sid)
        return {"rows": cache.since(_int(q, "since", 0)), **_counts(cache)}

    def api_history(self, q: dict[str, str], sid: str) -> Any:
        objective = _int(q, "objective", 0)
        return self._memo(sid, ("history", objective), lambda cache: _plots.history(cache, objective=objective))

    def api_parallel(self, q: dict[str, str], sid: str) -> Any:
        top = _float(q, "top", 100.0)
        if not 0 < top <= 100:
            raise invalid("top", top, "a percentage in (0, 100]")
        params = _names(q, "params")
        key = ("parallel", top, None if params is None else tuple(params))
        return self._memo(sid, key, lambda cache: _plots.parallel(cache, top_percent=top, params=params))

    def api_lr(self, q: dict[str, str], sid: str) -> Any:
        text = q.get("trials", "")
        try:
            numbers = [int(x) for x in text.split(",") if x.strip()]
        except ValueError:
            raise invalid("trials", text, "comma-separated trial numbers") from None
        return _plots.learning_rates(self.study(sid), numbers)

    def _selection(self, q: dict[str, str], sid: str) -> tuple[StudyCache, list[dict[str, Any]]]:
        cache = self.study(sid)
        rows = cache.select(sort=q.get("sort", "number"), desc=q.get("desc", "0") == "1", state=q.get("state", ""),
                            vmin=_float(q, "min", None), vmax=_float(q, "max", None))
        return cache, rows

    def api_trials(self, q: dict[str, str], sid: str) -> Any:
        cache, rows = self._selection(q, sid)
        offset, limit = _int(q, "offset", 0), _int(q, "limit", 50)
        if limit not in _PAGE_SIZES or offset < 0:
            raise invalid("limit", limit, "1..500 with offset >= 0")
        return {"total": len(rows), "offset": offset, "params": sorted(cache.distributions),
                "rows": cache.as_json(rows[offset:offset + limit]), "revision": cache.revision}

    def api_csv(self, q: dict[str, str], sid: str) -> Any:
        cache, rows = self._selection(q, sid)
        return _Download(cache.csv_text(rows).encode("utf-8"), f"study-{cache.study_id}-trials.csv")

    def api_trial(self, q: dict[str, str], sid: str, number: str) -> Any:
        _, directions = self.source.study(int(sid))  # an unknown study is named as such; no cache needed here
        t = self.source.trial(int(sid), int(number))
        return {"number": t.number, "state": t.state.name, "values": [finite(v) for v in t.values or ()] or None,
                "params": t.params, "distributions": {k: repr(d) for k, d in t.distributions.items()},
                "intermediate": {"steps": list(t.intermediate_values),
                                 "values": [finite(v) for v in t.intermediate_values.values()]},
                "user_attrs": t.user_attrs, "system_attrs": t.system_attrs,
                "start": t.datetime_start.isoformat(timespec="seconds") if t.datetime_start else None,
                "complete": t.datetime_complete.isoformat(timespec="seconds") if t.datetime_complete else None,
                "constraints": list(t.constraints) if t.constraints is not None else None,
                "figures": _plots.trial_figures(t, directions), "log": _log_lines(t)}


def _counts(cache: StudyCache) -> dict[str, Any]:
    """What the study page's header shows and each poll refreshes: counts, best trial, revision."""
    best = cache.best()
    return {"n_trials": len(cache.ordered), "by_state": cache.counts(),
            "best": cache.as_json([best])[0] if best else None, "params": sorted(cache.distributions),
            "revision": cache.revision}


class _Download:
    def __init__(self, body: bytes, filename: str) -> None:
        self.body, self.filename = body, filename


def _int(q: dict[str, str], name: str, default: int) -> int:
    try:
        return int(q[name]) if q.get(name, "") != "" else default
    except ValueError:
        raise invalid(name, q[name], "an integer") from None


def _float(q: dict[str, str], name: str, default: Any) -> Any:
    try:
        return float(q[name]) if q.get(name, "") != "" else default
    except ValueError:
        raise invalid(name, q[name], "a number") from None


def _names(q: dict[str, str], name: str) -> list[str] | None:
    """A list of names given as a JSON array (names may hold commas); None when not given."""
    text = q.get(name, "")
    if text == "":
        return None
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
        raise invalid(name, text, "a JSON array of names, e.g. [\"lr\", \"width\"]")
    return found


def _one_line(exc: BaseException, url: str) -> str:
    """An unexpected error's message for the console: its first line, without the storage's password."""
    return hide_url(str(exc).strip().split("\n", 1)[0][:500], url)


def _log_lines(t: Any) -> list[str]:
    """What the trial page shows as its log: a ``log`` attribute, then the failure reason."""
    lines: list[str] = []
    for attrs in (t.user_attrs, t.system_attrs):
        log = attrs.get("log")
        if isinstance(log, str):
            lines += log.splitlines()
        elif isinstance(log, list):
            lines += [str(x) for x in log]
    if t.fail_reason is not None:
        lines.append(f"failed: {t.fail_reason}")
    return lines


def make_handler(app: Dashboard, *, allowed_hosts: frozenset[str] | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "tunelab-dashboard"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:  # quiet: errors only
            pass

        def _send(self, status: int, body: bytes, content_type: str, *, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            extra = {"Cache-Control": "no-store", **(extra or {})}
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            # stored values may hold NaN or infinity, which JSON.parse refuses: they go as text
            self._send(status, dumps(data).encode("utf-8"), "application/json")

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": message})

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            if allowed_hosts is not None and host not in allowed_hosts:  # DNS rebinding
                self._error(HTTPStatus.FORBIDDEN, f"host {host!r} is not served")
                return
            parts = urlsplit(self.path)
            if parts.path in app.assets:
                body, ctype = app.assets[parts.path]
                self._send(HTTPStatus.OK, body, ctype, extra={"Cache-Control": "max-age=3600"} if parts.path != "/" else None)
                return
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            for pattern, fn in app.routes:
                match = pattern.fullmatch(parts.path)
                if match:
                    self._route(fn, query, match.groups())
                    return
            self._error(HTTPStatus.NOT_FOUND, "not found")

        do_HEAD = do_GET  # noqa: N815

        def _route(self, fn: Any, query: dict[str, str], groups: tuple[str, ...]) -> None:
            try:
                result = fn(query, *groups)
                if isinstance(result, _Download):
                    status, body, ctype = HTTPStatus.OK, result.body, "text/csv; charset=utf-8"
                    extra = {"Content-Disposition": f'attachment; filename="{result.filename}"'}
                else:
                    status, body, ctype, extra = HTTPStatus.OK, dumps(result).encode("utf-8"), "application/json", {}
            except (StudyNotFoundError, TrialNotFoundError) as exc:
                self._error(HTTPStatus.NOT_FOUND, str(exc))
            except TunelabError as exc:
                self._error(HTTPStatus.BAD_REQUEST, str(exc))
            except Exception as exc:  # a bug must not take the server down; say so on its console
                print(f"tunelab dashboard: {self.path}: {type(exc).__name__}: {_one_line(exc, app.source.url)}",
                      file=sys.stderr)
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error (see the server's console)")
            else:
                self._send(status, body, ctype, extra=extra)

        def _refuse(self) -> None:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "the dashboard is read-only: GET and HEAD only")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    return Handler


class _Server(ThreadingHTTPServer):
    """The HTTP server, whose ``server_close()`` also closes the dashboard's database connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: Dashboard) -> None:
        self.app = app  # before binding: a failed bind calls server_close()
        super().__init__(address, handler)

    def server_close(self) -> None:
        super().server_close()
        self.app.source.close()


def make_server(storage: str, *, host: str = "127.0.0.1", port: int = 8080, preload: bool = True) -> ThreadingHTTPServer:
    """A dashboard server for ``storage`` (not started: call ``serve_forever()``, then ``server_close()``,
    which also closes the database connections; port 0 picks one).

    With ``preload`` a background thread reads every study's trials at once, so the first page a
    user opens finds them in memory.
    """
    app = Dashboard(storage)
    wildcard = host in ("0.0.0.0", "::", "")
    allowed = None if wildcard else frozenset({host, "localhost", "127.0.0.1", "[::1]"})
    server = _Server((host, port), make_handler(app, allowed_hosts=allowed), app)
    if preload:
        threading.Thread(target=app.preload, name="tunelab-dashboard-preload", daemon=True).start()
    return server
