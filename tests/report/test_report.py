"""The HTML report: self-contained, escaped, and showing the schedule-family comparison."""

import json
import math
import re

import pytest

import tunelab
from tunelab import schedules
from tunelab.reporting import family_rows, importances, keras_code, render, torch_code, write_report

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
    for title in ("Optimization history", "Parameter importance", "Parallel coordinates", "Intermediate values",
                  "Learning-rate schedules of the best trials", "Best value per schedule family"):
        assert title in page


def test_the_report_compares_the_best_decaying_schedule_with_the_best_constant(study):
    rows = family_rows(study.trials, True, "lr")
    assert [r["family"] for r in rows] == ["cosine", "constant"]  # constant pays +0.5 here
    assert rows[0]["trials"] + rows[1]["trials"] == 12
    page = render(study)
    assert "Best decaying schedule (cosine," in page and "The decaying schedule is better by" in page


def test_importance_finds_the_parameter_that_drives_the_value(study):
    imp = importances(study.trials)
    assert all(0.0 <= v <= 1.0 for v in imp.values())
    assert imp["optimizer"] < min(imp["x"], imp["lr.family"])  # the optimizer has no effect on the value here


def test_the_best_configuration_is_valid_python_for_both_frameworks(study):
    best = study.best_trial
    for code in (torch_code(best), keras_code(best)):
        compile(code, "<best>", "exec")
        assert "lr = CosineDecay(" in code
    sgd = best.params["optimizer"] == "sgd"  # the other choice is no optimizer torch knows
    assert ("torch.optim.SGD(model.parameters()" in torch_code(best)) == sgd
    assert ("optimizer = ...  # your torch optimizer" in torch_code(best)) == (not sgd)


def test_write_report_and_multi_objective_studies_are_refused(tmp_path, study):
    assert write_report(study, tmp_path / "out" / "r.html").read_text().startswith("<!DOCTYPE html>")
    multi = tunelab.create_study(directions=["minimize", "maximize"])
    with pytest.raises(tunelab.InvalidArgumentError, match="has 2 objectives: the HTML report covers single"):
        render(multi)


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
