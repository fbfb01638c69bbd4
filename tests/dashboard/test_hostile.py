"""Studies a user can make that once broke the dashboard, and queries a page can send without end."""

import json
import math
import threading
import urllib.error
import urllib.request

import pytest

import tunelab
from tunelab.dashboard import _cache
from tunelab.dashboard._server import Dashboard

INF_CHOICES = [math.inf, -math.inf, 1.0]


def make_odd_studies(path) -> str:
    """A study whose attributes are NaN and infinite, one whose categorical choices are infinite."""
    url = f"sqlite:///{path}"
    odd = tunelab.create_study(storage=url, study_name="nan-attrs")
    odd.set_user_attr("score", math.nan)
    odd.set_user_attr("limits", [math.inf, -math.inf])
    odd.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    choices = tunelab.create_study(storage=url, study_name="inf-choices",
                                   sampler=tunelab.samplers.GridSampler({"c": INF_CHOICES}))

    def objective(trial):
        c = trial.suggest_categorical("c", INF_CHOICES)
        trial.set_user_attr("seen", c)
        trial.report(math.nan, 0)
        return 1.0 if math.isinf(c) else math.inf

    choices.optimize(objective, n_trials=3)
    return url


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    """The dashboard server over those studies."""
    pytest.importorskip("plotly", reason="the dashboard extra (plotly) is not installed")
    from tunelab.dashboard import make_server

    srv = make_server(make_odd_studies(tmp_path_factory.mktemp("odd") / "odd.db"), port=0, preload=False)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def odd_server(odd):
    return f"http://127.0.0.1:{odd.server_address[1]}"


def strict_json(server, path):
    """The answer parsed as a browser's JSON.parse would: NaN and Infinity are not JSON."""
    with urllib.request.urlopen(server + path) as response:
        assert response.status == 200
        text = response.read().decode()

    def refuse(name):
        raise AssertionError(f"{path} sent {name}, which JSON.parse refuses")

    return json.loads(text, parse_constant=refuse)


def test_a_nan_study_attribute_does_not_break_the_study_list(odd_server):
    studies = {s["name"]: s for s in strict_json(odd_server, "/api/studies")["studies"]}
    assert set(studies) == {"nan-attrs", "inf-choices"}  # every study listed, not only the sane one
    assert studies["nan-attrs"]["user_attrs"] == {"score": "nan", "limits": ["inf", "-inf"]}


@pytest.mark.parametrize("path", [
    "/api/studies/2", "/api/studies/2/trials", "/api/studies/2/trials?sort=params.c&desc=1",
    "/api/studies/2/updates?since=0", "/api/studies/2/parallel", "/api/studies/2/history",
    "/api/studies/2/importance", "/api/studies/2/intermediate", "/api/studies/2/timeline",
    "/api/studies/2/trials/0", "/api/studies/2/trials/1", "/api/studies/2/trials/2", "/api/studies/2/lr?trials=0,1,2",
])
def test_infinite_categorical_choices_render_on_every_route(odd_server, path):
    strict_json(odd_server, path)


def test_infinite_choices_are_shown_by_name_in_the_trial_table_and_page(odd_server):
    rows = strict_json(odd_server, "/api/studies/2/trials")["rows"]
    assert sorted(r["params"]["c"] for r in rows if isinstance(r["params"]["c"], str)) == ["-inf", "inf"]
    trial = strict_json(odd_server, "/api/studies/2/trials/0")
    assert trial["params"]["c"] == "inf" and trial["user_attrs"]["seen"] == "inf"
    assert trial["intermediate"]["values"] == [None]  # a NaN point is a gap in the plot
    with urllib.request.urlopen(odd_server + "/api/studies/2/trials.csv") as response:
        assert "inf" in response.read().decode()


def test_the_query_memo_stays_bounded_over_10000_distinct_queries(tmp_path):
    pytest.importorskip("plotly", reason="the dashboard extra (plotly) is not installed")
    app = Dashboard(make_odd_studies(tmp_path / "odd.db"))
    try:
        expected = app.api_trials({"min": "0.5"}, "2")["rows"]
        for i in range(10_000):  # every one a new filter of an idle study, as any page could send
            app.api_trials({"min": str(i / 10_000), "sort": ("value", "number")[i % 2]}, "2")
            app.api_parallel({"top": str(1 + i / 1000)}, "2")
        cache = app.study("2")
        assert cache.memo_size == _cache.MEMO_SIZE
        assert app.api_trials({"min": "0.5"}, "2")["rows"] == expected  # evicted answers are recomputed alike
    finally:
        app.source.close()


def test_a_storage_password_never_appears_in_dashboard_errors():
    from tunelab.dashboard._source import ReadOnlySource

    with pytest.raises(tunelab.TunelabError, match=r"mysql://alice:\*\*\*@db.example/x") as info:
        ReadOnlySource("mysql://alice:s3cret-pw@db.example/x")
    assert "s3cret-pw" not in str(info.value)


def test_an_answer_that_cannot_be_encoded_is_a_500_with_a_message(odd, odd_server, monkeypatch, capsys):
    routes = [(pattern, (lambda q: {"bad": object()}) if pattern.pattern == "/api/studies" else fn)
              for pattern, fn in odd.app.routes]
    monkeypatch.setattr(odd.app, "routes", routes)
    try:
        urllib.request.urlopen(odd_server + "/api/studies")
    except urllib.error.HTTPError as exc:
        assert exc.code == 500 and json.loads(exc.read())["error"].startswith("internal error")
    else:
        raise AssertionError("an answer that cannot be encoded must be a 500")
