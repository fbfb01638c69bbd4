"""The live dashboard draws a population-based training study's lineage with the report's own figure
function, and serves every route of a PBT study and of an ordinary one without error."""

import json
import threading
import urllib.request

import pytest

import tunelab
from tests.pbt import toys
from tunelab.pbt import PopulationBasedTraining

plotly = pytest.importorskip("plotly.graph_objects")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A database with a finished PBT study, one stopped before any interval finished, and a search."""
    from tunelab.dashboard import make_server

    folder = tmp_path_factory.mktemp("pbt-dashboard")
    url = f"sqlite:///{folder / 'pbt.db'}"
    storage = tunelab.storage.get_storage(url)
    population = tunelab.create_study(storage=storage, study_name="population",
                                      sampler=tunelab.samplers.RandomSampler(seed=0))
    PopulationBasedTraining(4, budget=6, interval=2, steps_per_unit=2, seed=1).optimize(
        population, toys.train, save=toys.save, load=toys.load, executor="thread")
    started = tunelab.create_study(storage=storage, study_name="started")
    started.set_system_attr("pbt:config", dict(population.system_attrs["pbt:config"]))
    search = tunelab.create_study(storage=storage, study_name="search")
    search.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    srv = make_server(url, port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", population
    srv.shutdown()
    srv.server_close()


def get_json(base, path):
    with urllib.request.urlopen(base + path) as response:
        assert response.status == 200
        return json.loads(response.read())


def ids(base):
    return {s["name"]: s["id"] for s in get_json(base, "/api/studies")["studies"]}


def test_the_dashboard_serves_the_lineage_figure_of_the_report(served):
    from tunelab.dashboard._plots import figure
    from tunelab.visualization._pbt import lineage_spec

    base, population = served
    sid = ids(base)["population"]
    assert get_json(base, f"/api/studies/{sid}")["pbt"] is True
    served_figure = get_json(base, f"/api/studies/{sid}/pbt")
    assert served_figure["n_intervals"] == 12
    expected = json.loads(json.dumps(figure(lineage_spec(population))))
    assert served_figure["figure"] == expected  # the very figure tunelab report draws
    assert {t.get("name") for t in served_figure["figure"]["data"]} >= {"winner"}


@pytest.mark.parametrize("name", ["population", "started", "search"])
def test_every_route_answers_for_pbt_and_other_studies(served, name):
    base, _ = served
    sid = ids(base)[name]
    study = get_json(base, f"/api/studies/{sid}")
    assert study["pbt"] is (name != "search")
    for route in ("history", "parallel", "importance", "timeline", "intermediate", "families", "lr?trials=0,1",
                  "trials", "pbt"):
        get_json(base, f"/api/studies/{sid}/{route}")
    lineage = get_json(base, f"/api/studies/{sid}/pbt")
    if name == "search":
        assert lineage == {"figure": None}
    elif name == "started":  # a population with no finished interval yet: an empty figure that says so
        assert lineage["n_intervals"] == 0
        assert "no finished population-based training interval" in json.dumps(lineage["figure"])
