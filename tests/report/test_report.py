"""The HTML report: self-contained, escaped, drawn by tunelab.visualization, for one or several objectives."""

import json
import math
import re

import pytest

import tunelab
from tunelab import schedules
from tunelab.reporting import keras_code, render, torch_code, write_report

EVIL = "<script>alert('x')</script>"


def make_study():
    study = tunelab.create_study(study_name=f"s {EVIL}", sampler=tunelab.samplers.RandomSampler(seed=0))
    study.set_user_attr("metrics", ["val_loss"])
    space = schedules.space(families=["constant", "cosine"], initial=(1e-3, 1e-1))

    def objective(trial):
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        trial.suggest_categorical("optimizer", ["sgd", EVIL])
        lr = trial.suggest_schedule("lr", space, total_steps=100)
        for step in range(3):
            trial.report(x + 1 / (step + 1), step)
        if trial.number % 4 == 3:
            raise tunelab.TrialPruned()
        return x + (0.5 if trial.params["lr.family"] == "constant" else 0.0) + lr(0)

    study.optimize(objective, n_trials=16)
    return study


@pytest.fixture(scope="module")
def study():
    return make_study()


def test_the_report_is_self_contained_and_escapes_every_user_string(study):
    page = render(study)
    assert EVIL not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # shown, escaped
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)  # nothing fetched: works offline
    figures = figures_of(page)
    titles = {key: fig["layout"]["title"]["text"] for key, fig in figures.items()}
    assert titles == {"history-0": "Optimization History Plot", "importance": "Hyperparameter Importances",
                      "parallel": "Parallel Coordinate Plot", "intermediate": "Intermediate Values Plot (complete, "
                      "pruned; x: where pruned)", "timeline": "Timeline Plot", "lr": "Learning-rate schedules",
                      "families-lr": "Schedule families of lr"}


def test_the_report_draws_the_figures_of_tunelab_visualization(study):
    """One figure layer: the report's figures are the Python API's, for the same trials."""
    from tunelab import visualization as v

    figures = figures_of(render(study))
    ours = {"history-0": v.plot_optimization_history(study, target_name="val_loss"),
            "families-lr": v.plot_schedule_families(study, target_name="val_loss"),
            "intermediate": v.plot_intermediate_values(study)}
    for key, fig in ours.items():
        expected = json.loads(fig.to_json())
        assert [t.get("name") for t in figures[key]["data"]] == [t.get("name") for t in expected["data"]], key


def test_the_report_compares_the_best_decaying_schedule_with_the_best_constant(study):
    page = render(study)
    assert "Best decaying schedule (cosine," in page and "The decaying schedule is better by" in page
    table = page.split("<h3>Schedule lr: families</h3>", 1)[1].split("</table>", 1)[0]
    assert table.index("<td>cosine</td>") < table.index("<td>constant</td>")  # constant pays +0.5 here


def test_importance_shows_each_estimate_with_its_spread_and_trial_count(study):
    fig = figures_of(render(study))["importance"]
    bars, labels = fig["data"][0], fig["data"][-1]
    assert bars["type"] == "bar" and bars["error_x"]["array"]
    assert any(text.endswith("of 12 trials") and "±" in text for text in labels["text"])
    assert "set in fewer than 10 trials is listed without a number" in render(study)


def test_the_best_configuration_is_valid_python_for_both_frameworks(study):
    best = study.best_trial
    for code in (torch_code(best), keras_code(best)):
        compile(code, "<best>", "exec")
        assert "lr = CosineDecay(" in code
    sgd = best.params["optimizer"] == "sgd"  # the other choice is no optimizer torch knows
    assert ("torch.optim.SGD(model.parameters()" in torch_code(best)) == sgd
    assert ("optimizer = ...  # your torch optimizer" in torch_code(best)) == (not sgd)


def test_write_report_inlines_plotly_or_writes_it_beside_the_report(tmp_path, study):
    inline = write_report(study, tmp_path / "out" / "r.html")
    assert inline.read_text().startswith("<!DOCTYPE html>") and inline.stat().st_size > 3_000_000
    beside = write_report(study, tmp_path / "small" / "r.html", include_plotlyjs="directory")
    assert beside.stat().st_size < 300_000 and "<script src='plotly.min.js'></script>" in beside.read_text()
    assert (tmp_path / "small" / "plotly.min.js").stat().st_size > 3_000_000
    with pytest.raises(tunelab.InvalidArgumentError, match="include_plotlyjs='cdn' is invalid for write_report"):
        write_report(study, tmp_path / "x.html", include_plotlyjs="cdn")


def test_a_multi_objective_report_shows_the_pareto_front_and_marks_infeasible_trials():
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=tunelab.samplers.RandomSampler(seed=1))
    study.set_user_attr("metrics", ["size", "error"])

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 5), trial.suggest_float("y", 0, 3)
        trial.set_constraint([x - 4.0])
        return 4 * x**2 + 4 * y**2, (x - 5) ** 2 + (y - 5) ** 2

    study.optimize(objective, n_trials=40)
    page = render(study)
    figures = figures_of(page)
    assert {"history-0", "history-1", "pareto", "importance"} <= set(figures)
    assert {t["name"] for t in figures["pareto"]["data"]} == {"Trial", "Best Trial", "Infeasible Trial"}
    assert figures["pareto"]["layout"]["xaxis"]["title"]["text"] == "size"
    front = page.split("<h2>Pareto front: the trade-offs</h2>", 1)[1].split("</table>", 1)[0]
    n_infeasible = sum(1 for t in study.trials if t.constraints[0] > 0)
    assert front.count("<tr>") == len(study.best_trials) + 1  # the header, one row per trial on the front
    assert page.count("<tr class='infeasible'>") == n_infeasible > 0
    assert f"({n_infeasible} complete but infeasible)" in page


def test_a_study_whose_best_trials_use_one_cycle_renders():
    """The report crashed with ScheduleError: step=1000.0 is invalid for OneCycleLR."""
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    space = schedules.space(families=["one_cycle", "constant"], initial=(1e-3, 1e-1))
    study.optimize(lambda t: t.suggest_schedule("lr", space, total_steps=200)(0), n_trials=10)
    lr = figures_of(render(study))["lr"]
    assert lr["data"] and max(max(t["x"]) for t in lr["data"]) == 200


def test_a_large_study_lists_the_best_and_latest_trials(tmp_path):
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=700)
    page = render(study)
    shown = int(re.search(r"(\d+) of 700 trials: the 100 best and the 100 latest\.", page).group(1))
    table = page.split("<h2>Trials</h2>", 1)[1]
    assert 100 < shown <= 200 and table.count("<tr>") == shown + 1 and len(page) < 5_000_000


LINK = '<a href="https://evil.example/">lr</a>'


def figures_of(page):
    """The figures as the page's script hands them to plotly (JSON.parse-able: no NaN, no Infinity)."""
    text = page.split("const figs = ", 1)[1].split(";\nfor (const", 1)[0]
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"the page's JSON holds {name}"))


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def test_a_parameter_name_is_never_a_live_link(tmp_path):
    study = tunelab.create_study(study_name=LINK, sampler=tunelab.samplers.RandomSampler(seed=0))
    study.set_user_attr("metrics", [LINK])
    study.optimize(lambda t: t.suggest_float(LINK, 0, 1) + len(t.suggest_categorical("c", [LINK, "b"])), n_trials=8)
    page = render(study)
    body = page.split("</head>", 1)[1]  # past the inlined plotly.js
    assert "<a " not in body and "&lt;a href=&quot;https://evil.example/&quot;&gt;lr&lt;/a&gt;" in body
    shown = list(strings(figures_of(page)))
    assert any("&lt;a href=" in s for s in shown)  # plotly shows the entity as the character
    assert not any("<" in s or ">" in s for s in shown)  # ... and gets no tag to turn into a link


def test_non_finite_values_and_odd_attributes_render(tmp_path):
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    for c in (math.inf, -math.inf, 1.0):
        study.enqueue_trial({"c": c})
    study.set_user_attr("metrics", 5)  # user attributes hold anything; the report still renders
    study.set_user_attr("schedule_steps", "soon")
    study.set_user_attr("nan", math.nan)

    def objective(trial):
        c = trial.suggest_categorical("c", [math.inf, -math.inf, 1.0])
        trial.suggest_schedule("lr", schedules.space(families=["constant", "cosine"], initial=(1e-3, 1e-1),
                                                     total_steps=100))
        trial.set_user_attr("schedule_steps", {"lr": math.nan})
        trial.report(math.inf, 0)
        return 1.0 if math.isinf(c) else 2.0

    study.optimize(objective, n_trials=3)
    page = render(study)
    figures_of(page)
    assert "<td>inf</td>" in page and "<td>-inf</td>" in page
