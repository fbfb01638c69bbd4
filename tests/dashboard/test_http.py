"""The dashboard's HTTP surface as a client sees it: JSON API, headers, escaping, refused paths."""

import csv
import http.client
import io
import json
import urllib.error
import urllib.request

import pytest
from studies import XSS_NAME

import tunelab


def get(server, path, *, method="GET", headers=None):
    request = urllib.request.Request(server + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def get_json(server, path):
    status, _, body = get(server, path)
    assert status == 200, body
    return json.loads(body)


def raw_get(server, path):
    """Send ``path`` byte for byte (urllib would normalise ``..``)."""
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    return response.status, response.read()


def test_study_list_reports_counts_best_and_direction(server):
    studies = {s["name"]: s for s in get_json(server, "/api/studies")["studies"]}
    demo = studies["demo"]
    assert demo["directions"] == ["minimize"]
    assert demo["n_trials"] == 20
    assert demo["by_state"]["PRUNED"] == 4 and demo["by_state"]["FAIL"] == 1
    assert demo["best"] == pytest.approx(min(h for h in get_json(server, f"/api/studies/{demo['id']}/history")["values"]))
    assert studies[XSS_NAME]["directions"] == ["maximize"]  # the name comes back as data, unchanged


def test_history_best_so_far_never_worsens(server):
    h = get_json(server, "/api/studies/1/history")
    assert h["n_complete"] == 15
    assert h["best_values"] == sorted(h["best_values"], reverse=True)
    assert h["best_values"][-1] == min(h["values"])


def test_parallel_top_percent_keeps_the_best_trials(server):
    everything = get_json(server, "/api/studies/1/parallel?top=100")
    top = get_json(server, "/api/studies/1/parallel?top=20")
    assert top["n_selected"] == 3 and len(top["values"]) == 3
    assert top["values"] == sorted(everything["values"])[:3]
    width = next(a for a in top["axes"] if a["name"] == "width")
    assert width["log"] is True  # drawn in log10 units
    status, _, body = get(server, "/api/studies/1/parallel?top=0")
    assert status == 400 and b"top=0.0 is invalid" in body


def test_intermediate_curves_include_pruned_trials(server):
    curves = get_json(server, "/api/studies/1/intermediate")["curves"]
    pruned = [c for c in curves if c["state"] == "PRUNED"]
    assert pruned and all(c["steps"] == [0, 1, 2, 3] for c in pruned)


def test_learning_rate_prefers_the_recorded_trace(server):
    curves = get_json(server, "/api/studies/1/lr?trials=0,1")["curves"]
    by_number = {c["number"]: c for c in curves}
    assert by_number[0]["source"] == "lr_trace" and by_number[0]["steps"][:3] == [0, 5, 10]
    assert by_number[1]["source"] == "schedule" and by_number[1]["name"] == "lr"
    assert all(v > 0 for v in by_number[1]["values"][:10])


def test_timeline_uses_the_worker_attribute(server):
    bars = get_json(server, "/api/studies/1/timeline")["bars"]
    assert {b["worker"] for b in bars} == {"w0", "w1", "w2"}
    assert all(b["end"] >= b["start"] for b in bars)


def test_importance_scores_are_shares(server):
    params = get_json(server, "/api/studies/1/importance")["params"]
    assert {p["name"] for p in params} >= {"width", "activation"}
    assert all(0 <= p["score"] <= 1 for p in params)


def test_trial_table_sorts_filters_and_paginates(server):
    page = get_json(server, "/api/studies/1/trials?sort=value&limit=5&state=COMPLETE")
    values = [r["value"] for r in page["rows"]]
    assert page["total"] == 15 and len(values) == 5 and values == sorted(values)
    nxt = get_json(server, "/api/studies/1/trials?sort=value&limit=5&offset=5&state=COMPLETE")
    assert min(r["value"] for r in nxt["rows"]) >= max(values)
    pruned = get_json(server, "/api/studies/1/trials?state=pruned")
    assert {r["state"] for r in pruned["rows"]} == {"PRUNED"}
    by_width = get_json(server, "/api/studies/1/trials?sort=params.width&desc=1&limit=500")["rows"]
    widths = [r["params"]["width"] for r in by_width]
    assert widths == sorted(widths, reverse=True)
    status, _, body = get(server, "/api/studies/1/trials?sort=params.nope")
    assert status == 400 and b"sort='params.nope' is invalid" in body


def test_csv_export_follows_the_filter(server):
    status, headers, body = get(server, "/api/studies/1/trials.csv?state=COMPLETE&max=2")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert rows and all(r["state"] == "COMPLETE" and float(r["value"]) <= 2 for r in rows)
    assert "params.width" in rows[0]


def test_trial_page_data(server):
    t = get_json(server, "/api/studies/1/trials/7")
    assert t["state"] == "FAIL" and any("diverged" in line for line in t["log"])
    t = get_json(server, "/api/studies/1/trials/0")
    assert t["schedules"][0]["name"] == "lr" and t["schedules"][0]["steps"][-1] == 95  # up to the trace's end
    assert t["user_attrs"]["worker"] == "w0" and t["intermediate"]["steps"] == list(range(8))


def test_updates_move_only_new_trials(server, demo_url):
    before = get_json(server, "/api/studies/1/updates?since=0")
    assert len(before["rows"]) == 20
    assert get_json(server, f"/api/studies/1/updates?since={before['revision']}")["rows"] == []
    study = tunelab.load_study(study_name="demo", storage=demo_url)
    trial = study.ask()
    trial.suggest_int("width", 16, 256, log=True)
    study.tell(trial, 0.001)
    import time

    time.sleep(0.3)  # refreshes closer together than this are merged
    after = get_json(server, f"/api/studies/1/updates?since={before['revision']}")
    assert [r["number"] for r in after["rows"]] == [20]
    assert after["best"]["number"] == 20 and after["n_trials"] == 21


def test_security_headers_on_pages_and_api(server):
    for path in ("/", "/api/studies", "/static/app.js"):
        _, headers, _ = get(server, path)
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_plotly_is_served_locally(server):
    status, headers, body = get(server, "/static/plotly.min.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and len(body) > 1_000_000
    _, _, page = get(server, "/")
    assert b'src="/static/plotly.min.js"' in page and b"http" not in page.split(b"<body>")[0]


@pytest.mark.parametrize("path", [
    "/static/../../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/../tunelab/dashboard/_server.py",
    "/static/app.js/../../_server.py", "//etc/passwd", "/static/", "/index.html", "/api/studies/1/../../../etc/passwd",
])
def test_no_request_path_reaches_the_file_system(server, path):
    status, body = raw_get(server, path)
    assert status == 404
    assert b"root:" not in body and b"import" not in body


def test_unknown_things_are_404_with_a_message(server):
    for path in ("/api/studies/999", "/api/studies/1/trials/999", "/api/nope"):
        status, headers, body = get(server, path)
        assert status == 404 and headers["Content-Type"] == "application/json"
        assert json.loads(body)["error"]
    status, _, body = get(server, "/api/studies/999/trials/0")
    assert status == 404 and json.loads(body)["error"] == "no study with id 999"


def test_writes_are_refused(server):
    for method in ("POST", "PUT", "DELETE"):
        status, _, body = get(server, "/api/studies/1", method=method)
        assert status == 405 and b"read-only" in body


def test_foreign_host_header_is_refused(server):
    status, _, body = get(server, "/api/studies", headers={"Host": "attacker.example:80"})
    assert status == 403 and b"not served" in body


def test_missing_database_is_refused_not_created(tmp_path):
    from tunelab.dashboard import make_server

    with pytest.raises(tunelab.StorageError, match=r"new\.db.* does not exist \(nothing was created\)"):
        make_server(f"sqlite:///{tmp_path / 'new.db'}", port=0)
    assert not (tmp_path / "new.db").exists()


def test_dashboard_never_writes(server, demo_url):
    path = demo_url.removeprefix("sqlite:///")
    import sqlite3

    from tunelab.dashboard._source import ReadOnlySource

    source = ReadOnlySource(demo_url)
    with source._engine.connect() as conn, pytest.raises(Exception, match="readonly|read-only|query_only"):
        conn.exec_driver_sql("DELETE FROM tunelab_trials")
    source.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM tunelab_trials").fetchone()[0] > 0


def test_a_running_trial_is_updated_when_it_finishes(server, demo_url):
    import time

    study = tunelab.load_study(study_name="demo", storage=demo_url)
    trial = study.ask()
    trial.suggest_int("width", 16, 256, log=True)
    time.sleep(0.3)
    seen = get_json(server, "/api/studies/1/updates?since=0")
    assert seen["rows"][-1]["number"] == trial.number and seen["rows"][-1]["state"] == "RUNNING"
    study.tell(trial, 5.0)
    time.sleep(0.3)
    after = get_json(server, f"/api/studies/1/updates?since={seen['revision']}")
    assert [(r["number"], r["state"], r["value"]) for r in after["rows"]] == [(trial.number, "COMPLETE", 5.0)]
