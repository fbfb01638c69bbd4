"""The HTML report: self-contained, escaped, and showing the schedule-family comparison."""

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
