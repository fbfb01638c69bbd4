"""``[pruner] budget``: a config trains each trial in rungs, the script run once per budget, unchanged."""

import json
import textwrap
import uuid

import pytest

import tunelab
from tunelab.config import ConfigError, load_config
from tunelab.runner import run_config

CONFIG = """\
seed = 0
[objective]
{objective}
[metric]
name = "loss"
[budget]
n_trials = {n_trials}
[sampler]
name = "random"
[pruner]
{pruner}
[parameters]
x = {{type = "float", low = 0.0, high = 1.0}}
lr = {{type = "schedule", families = ["constant", "cosine", "wsd"], initial = [1e-3, 1e-1], total_steps = 90}}
"""

# A script as a user writes it: trains for --epochs, reports each epoch and its best value at the end;
# it records what it was given so the test sees the rungs.
SCRIPT = """
    import argparse, json, tunelab
    p = argparse.ArgumentParser()
    p.add_argument("--x", type=float)
    p.add_argument("--lr")
    p.add_argument("--epochs", type=int, default=9)
    a = p.parse_args()
    lr = json.loads(a.lr)
    with open("runs.jsonl", "a") as f:
        f.write(json.dumps({"x": a.x, "epochs": a.epochs, "lr": lr}) + "\\n")
    losses = [a.x + 1.0 / (e + 1) for e in range(a.epochs)]
    for e, loss in enumerate(losses):
        tunelab.report(loss, step=e)
        if tunelab.should_prune():
            raise SystemExit("a rung is never stopped from inside")
    {final}
"""


def run(tmp_path, *, pruner='budget = "epochs"\nmax_budget = 9', final="tunelab.report(min(losses))", n_trials=9,
        objective='command = ["python", "train.py"]', storage=None):
    final = textwrap.indent(textwrap.dedent(final).strip(), "    ").lstrip()
    (tmp_path / "train.py").write_text(textwrap.dedent(SCRIPT.replace("{final}", final)))
    where = "" if storage is None else f'study = "rungs-{uuid.uuid4().hex[:8]}"\nstorage = "{storage}"\n'
    (tmp_path / "tune.toml").write_text(where + CONFIG.format(objective=objective, pruner=pruner, n_trials=n_trials))
    return run_config(load_config(tmp_path / "tune.toml"), show_progress=False)


def runs(tmp_path):
    return [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]


def test_no_pruner_named_runs_the_script_per_rung_under_the_schedule_aware_default(tmp_path):
    study = run(tmp_path)
    (space,) = [p.space for p in load_config(tmp_path / "tune.toml").parameters if p.name == "lr"]
    assert repr(study.pruner) == repr(tunelab.fidelity.default_pruner(9))
    by_x = {}
    for r in runs(tmp_path):
        by_x.setdefault(r["x"], []).append(r)
    for t in study.trials:
        mine = by_x[t.params["x"]]
        budgets = [r["epochs"] for r in mine]
        assert budgets == sorted(t.intermediate_values)  # one script run per rung, in rung order
        assert all(b in (1, 3, 9) for b in budgets)
        for r in mine:  # each rung's schedule rebuilt for its share of the 90 steps
            built = space.build(t.params, "lr", total_steps=10 * r["epochs"])
            assert r["lr"] == json.loads(json.dumps(built.to_config())), r
        for b in budgets:  # the rung's value is the script's final report: the best of its epochs
            assert t.intermediate_values[b] == pytest.approx(t.params["x"] + 1.0 / b)
        if t.state == tunelab.TrialState.COMPLETE:
            assert budgets[-1] == 9 and t.value == t.intermediate_values[9]
        else:
            assert t.state == tunelab.TrialState.PRUNED and budgets[-1] < 9
    assert {t.state for t in study.trials} == {tunelab.TrialState.COMPLETE, tunelab.TrialState.PRUNED}


def test_a_named_pruner_with_budgets_and_a_script_that_reports_only_steps(tmp_path):
    study = run(tmp_path, final="", pruner='name = "RescaledSuccessiveHalving"\n'
                'args = {min_resource = 1, max_resource = 9}\nbudget = "epochs"\nmax_budget = 9')
    assert type(study.pruner).__name__ == "RescaledSuccessiveHalving"
    first = [r["epochs"] for r in runs(tmp_path) if r["x"] == study.trials[0].params["x"]]
    assert first == [1, 3, 9]  # the first trial at each rung goes on
    for t in study.trials:  # no final report: the rung's value is the last epoch's
        for b, v in t.intermediate_values.items():
            assert v == pytest.approx(t.params["x"] + 1.0 / b)
    assert any(t.state == tunelab.TrialState.PRUNED for t in study.trials)


def test_a_function_objective_gets_the_budget_as_a_keyword(tmp_path):
    (tmp_path / "objective.py").write_text(textwrap.dedent("""
        CALLS = []
        def train(trial, epochs):
            CALLS.append((trial.number, epochs))
            return trial.params["x"] + 1.0 / epochs
    """))
    study = run(tmp_path, objective='function = "objective:train"', n_trials=6)
    import objective

    for t in study.trials:
        assert [e for n, e in objective.CALLS if n == t.number] == sorted(t.intermediate_values)
    assert repr(study.pruner).startswith("RescaledHyperband(")


@pytest.mark.parametrize(("pruner", "message"), [
    ('budget = "epochs"', r"\[pruner\] budget needs max_budget too"),
    ("max_budget = 9", r"\[pruner\] max_budget needs budget too"),
    ('budget = "x"\nmax_budget = 9', r"pruner.budget='x' is invalid: 'x' is a searched parameter"),
    ('budget = "n epochs"\nmax_budget = 9', r"pruner.budget='n epochs' is invalid: must be the name of the script"),
    ('budget = "epochs"\nmax_budget = 0', r"max_budget"),
])
def test_bad_budgets_are_refused_before_anything_runs(tmp_path, pruner, message):
    (tmp_path / "train.py").write_text("")
    (tmp_path / "tune.toml").write_text(CONFIG.format(objective='command = ["python", "train.py"]', pruner=pruner,
                                                      n_trials=1))
    with pytest.raises((ConfigError, tunelab.InvalidArgumentError), match=message):
        load_config(tmp_path / "tune.toml")
    assert not (tmp_path / "tune.db").exists()


def test_a_script_killed_in_the_middle_of_a_rung_is_retried_from_that_rung(tmp_path, sql_url):
    """SIGKILL from outside (here the script's own hand, once): the trial is lost and queued again;
    the retry reports the finished rung again without running it and trains from the lost one."""
    study = run(tmp_path, n_trials=1, storage=sql_url, pruner='name = "RescaledSuccessiveHalving"\n'
                'args = {min_resource = 1, max_resource = 9}\nbudget = "epochs"\nmax_budget = 9',
                final=textwrap.dedent("""
                    import os, pathlib, signal
                    if a.epochs == 3 and not pathlib.Path("died").exists():
                        pathlib.Path("died").touch()
                        os.kill(os.getpid(), signal.SIGKILL)
                    tunelab.report(min(losses))"""))
    lost, retry = study.trials
    assert lost.state == tunelab.TrialState.FAIL and "killed by signal 9" in lost.fail_reason
    assert sorted(lost.intermediate_values) == [1]
    assert retry.retry_of == lost.number and retry.state == tunelab.TrialState.COMPLETE
    assert [r["epochs"] for r in runs(tmp_path)] == [1, 3, 3, 9]  # the 1-epoch rung is not run again
    assert retry.intermediate_values[1] == lost.intermediate_values[1]
    assert sorted(retry.intermediate_values) == [1, 3, 9]


def test_the_digits_rungs_example_config_trains_train_py_in_rungs():
    from pathlib import Path

    path = Path(__file__).parents[2] / "examples" / "digits" / "rungs.toml"
    config = load_config(path)
    assert config.budget == ("epochs", 27) and config.pruner is None
    assert config.objective.command[1:] == ("train.py", "--patience=100")
    assert "--epochs" in (path.parent / "train.py").read_text()  # the argument the rungs set
