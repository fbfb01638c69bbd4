"""The dashboard's HTTP surface as a client sees it: JSON API, headers, escaping, refused paths."""

import csv
import http.client
import io
import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from studies import XSS_NAME

import tunelab

pytest.importorskip("plotly.graph_objects").Figure  # noqa: B018 - loaded before the server's threads run

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


def traces(figure):
    return {t.get("name"): t for t in figure["data"]}


def test_study_list_reports_counts_best_and_direction(server):
    studies = {s["name"]: s for s in get_json(server, "/api/studies")["studies"]}
    demo = studies["demo"]
    assert demo["directions"] == ["minimize"]
    assert demo["n_trials"] == 20
    assert demo["by_state"]["PRUNED"] == 4 and demo["by_state"]["FAIL"] == 1
    history = get_json(server, f"/api/studies/{demo['id']}/history")["figure"]
    assert demo["best"] == pytest.approx(min(traces(history)["Objective Value"]["y"]))
    assert studies[XSS_NAME]["directions"] == ["maximize"]  # the name comes back as data, unchanged
    assert studies["trade-off"]["directions"] == ["minimize", "minimize"]


def test_history_is_the_figure_of_tunelab_visualization(server, demo_url):
    """One figure layer: the dashboard sends the figure the Python API draws for the same trials."""
    h = get_json(server, "/api/studies/1/history")
    assert h["n_complete"] == 15 and h["n_shown"] == 15
    fig = h["figure"]
    assert fig["layout"]["title"]["text"] == "Optimization History Plot"
    best = traces(fig)["Best Value"]["y"]
    assert best == sorted(best, reverse=True) and best[-1] == min(traces(fig)["Objective Value"]["y"])
    study = tunelab.load_study(study_name="demo", storage=demo_url)
    ours = json.loads(tunelab.visualization.plot_optimization_history(study).to_json())
    assert [t["name"] for t in fig["data"]] == [t["name"] for t in ours["data"]]
    assert traces(fig)["Best Value"]["y"] == pytest.approx(list(traces(ours)["Best Value"]["y"]), rel=1e-5)


def test_a_multi_objective_study_has_a_history_per_objective_and_a_pareto_front(server):
    study = get_json(server, "/api/studies/3")
    assert study["objectives"] == ["size", "error"]
    second = get_json(server, "/api/studies/3/history?objective=1")["figure"]
    assert second["layout"]["yaxis"]["title"]["text"] == "error" and "Best Value" not in traces(second)
    assert "Infeasible Trial" in traces(second)
    status, _, body = get(server, "/api/studies/3/history?objective=2")
    assert status == 400 and b"objective=2 is invalid" in body
    front = get_json(server, "/api/studies/3/pareto")
    assert set(traces(front["figure"])) == {"Trial", "Best Trial", "Infeasible Trial"}
    assert front["n_infeasible"] > 0 and front["n_front"] == len(front["table"]) > 0
    sizes = [row["size"] for row in front["table"]]
    assert sizes == sorted(sizes) and all(row["feasible"] == "yes" for row in front["table"])
    assert {"trial", "size", "error", "x", "y"} <= set(front["table"][0])
    rows = get_json(server, "/api/studies/3/trials?limit=500")["rows"]
    assert {r["feasible"] for r in rows} == {True, False}  # the trial table marks infeasible trials
    assert {r["feasible"] for r in get_json(server, "/api/studies/1/trials")["rows"]} == {None}


def test_parallel_coordinates_default_to_the_shared_parameters_and_take_a_selection(server):
    everything = get_json(server, "/api/studies/1/parallel?top=100")
    available = {a["name"]: a["count"] for a in everything["available"]}
    assert len(available) == 10 and available["width"] == 15  # every parameter, with how many trials set it
    assert set(everything["params"]) == {n for n, c in available.items() if c >= 15 / 2}
    labels = everything["figure"]["layout"]["xaxis"]["ticktext"]
    assert "width (log)" in labels  # drawn in log10 units
    top = get_json(server, "/api/studies/1/parallel?top=20")
    assert top["n_selected"] == 3 and top["n_lines"] == 3
    chosen = get_json(server, "/api/studies/1/parallel?params=" + quote(json.dumps(["lr.cosine.alpha", "width"])))
    assert chosen["params"] == ["lr.cosine.alpha", "width"]
    assert chosen["figure"]["layout"]["xaxis"]["ticktext"][1:] == ["lr.cosine.alpha", "width (log)"]
    assert "unset" in [a["text"] for a in chosen["figure"]["layout"]["annotations"]]  # cosine trials only
    status, _, body = get(server, "/api/studies/1/parallel?top=0")
    assert status == 400 and b"top=0.0 is invalid" in body
    status, _, body = get(server, "/api/studies/1/parallel?params=" + quote(json.dumps(["nope"])))
    assert status == 400 and b"params=['nope'] is invalid" in body
    status, _, body = get(server, "/api/studies/1/parallel?params=width")
    assert status == 400 and b"must be a JSON array of names" in body


def test_intermediate_values_mark_pruned_trials_and_use_log_axes_across_decades(server):
    fig = get_json(server, "/api/studies/1/intermediate")["figure"]
    pruned = traces(fig)["pruned here"]
    assert pruned["x"] == [3, 3, 3, 3]  # the demo prunes at step 3
    assert fig["layout"]["yaxis"]["type"] == "linear"  # 0.6 .. 8: one decade
    assert get_json(server, "/api/studies/4/intermediate")["figure"]["layout"]["yaxis"]["type"] == "log"  # 1 .. 1e-4


def test_learning_rate_prefers_the_recorded_trace(server):
    fig = get_json(server, "/api/studies/1/lr?trials=0,1")["figure"]
    by = traces(fig)
    assert by["trial 0 applied"]["x"][:3] == [0, 5, 10]
    [schedule] = [name for name in by if name.startswith("trial 1 lr: ")]
    assert all(v > 0 for v in by[schedule]["y"][:10])
    status, _, body = get(server, "/api/studies/1/lr?trials=0,x")
    assert status == 400


def test_timeline_uses_the_worker_attribute(server):
    fig = get_json(server, "/api/studies/1/timeline")["figure"]
    assert fig["layout"]["yaxis"]["categoryarray"] == ["w0", "w1", "w2"]
    assert all(x > 0 for t in fig["data"] for x in t["x"])


def test_importance_shows_spread_and_trial_counts(server):
    imp = get_json(server, "/api/studies/1/importance")
    assert imp["n_used"] == imp["n_complete"] == 15
    bars, labels = imp["figure"]["data"][0], imp["figure"]["data"][-1]
    assert set(bars["y"]) >= {"width", "activation"} and all(0 <= x <= 1 for x in bars["x"])
    assert any(t.endswith("· 15 of 15 trials") for t in labels["text"])
    assert any(t.startswith("not estimated: set in") for t in labels["text"])  # each family's own arguments
    per_objective = get_json(server, "/api/studies/3/importance")["figure"]
    assert [t["name"] for t in per_objective["data"]] == ["size", "error"]


def test_schedule_families(server):
    [item] = get_json(server, "/api/studies/1/families")["figures"]
    assert item["schedule"] == "lr"
    boxes = [t for t in item["figure"]["data"] if t["type"] == "box"]
    assert sorted(b["name"].split(" ")[0] for b in boxes) == ["cosine", "exponential"]
    assert get_json(server, "/api/studies/3/families")["figures"] == []


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
    applied, schedule = t["figures"]["curves"]
    assert applied["source"] == "lr_trace" and schedule["name"] == "lr"
    assert schedule["last_step"] == 95  # the schedule beside the trace, up to the trace's end
    assert len(t["figures"]["schedule"]["data"]) == 2 and t["figures"]["intermediate"]["data"]
    assert t["user_attrs"]["worker"] == "w0" and t["intermediate"]["steps"] == list(range(8))
    infeasible = next(n for n in range(30) if get_json(server, f"/api/studies/3/trials/{n}")["constraints"][0] > 0)
    assert infeasible is not None


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
