"""hydra/sweeper=tunelab: real Hydra multiruns (a ``hydra.main`` script run with ``--multirun`` in a
subprocess) whose jobs are the trials of a study in a SQLite file under tmp_path; the parsing of
``hydra.sweeper`` in-process."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("hydra")

import tunelab  # noqa: E402
from tunelab import TrialState  # noqa: E402
from tunelab.integrations import hydra as th  # noqa: E402

APP = '''
import json, math, os
import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
import tunelab
from tunelab.integrations import hydra as th

@hydra.main(version_base=None, config_path=".", config_name="config")
def main(cfg: DictConfig):
    num = HydraConfig.get().job.get("num")  # None in a single run
    seen = OmegaConf.to_container(cfg, resolve=True)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), f"seen-{{num}}.json"), "w") as f:
        json.dump(seen, f)
{body}

if __name__ == "__main__":
    main()
'''


def run(tmp_path, config, body="    return (cfg.x - 0.3) ** 2", *args, ok=True, multirun=True):
    """Write the app and its config into tmp_path and run a multirun; the finished process."""
    (tmp_path / "app.py").write_text(APP.format(body=body))
    (tmp_path / "config.yaml").write_text(config)
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "app.py", *(["--multirun"] if multirun else []),
         f"hydra.sweep.dir={tmp_path / 'multirun'}",
         f"hydra.run.dir={tmp_path / 'outputs'}", f"hydra.sweeper.storage=sqlite:///{tmp_path / 'tunelab.db'}",
         *args],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
    if ok:
        assert done.returncode == 0, done.stdout[-3000:]
    return done


def stored(tmp_path, name="app"):
    return tunelab.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 'tunelab.db'}")


def seen(tmp_path, num):
    import json

    return json.loads((tmp_path / f"seen-{num}.json").read_text())


HEAD = """\
defaults:
  - override hydra/sweeper: tunelab
  - _self_
x: 0.0
opt: adam
momentum: 0.0
epochs: 1
"""


def test_a_multirun_stores_each_job_as_a_trial_with_the_parameters_the_job_received(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 6
        n_jobs: 2
        sampler: {name: random, seed: 3}
        params:
          x: interval(-1, 1)
          opt: choice(sgd, adam)
          momentum: {space: "tag(log, interval(0.5, 0.99))", when: {opt: sgd}}
          epochs: 7
    """)
    body = "    return (cfg.x - 0.3) ** 2 + (cfg.momentum if cfg.opt == 'sgd' else 0.0) + cfg.epochs"
    done = run(tmp_path, config, body)
    study = stored(tmp_path)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    assert done.stdout.count("Launching 2 jobs") == 3
    for t in trials:  # trial number n ran as job n: it received exactly the stored parameters
        job = seen(tmp_path, t.number)
        assert job["x"] == t.params["x"] and job["opt"] == t.params["opt"] and job["epochs"] == 7
        assert ("momentum" in t.params) == (t.params["opt"] == "sgd")  # conditional: only with sgd
        assert job["momentum"] == t.params.get("momentum", 0.0)  # absent: the config's default
        assert t.values[0] == pytest.approx((job["x"] - 0.3) ** 2 + job["momentum"] + 7)
    assert {t.params["opt"] for t in trials} == {"sgd", "adam"}
    best = min(trials, key=lambda t: t.values[0])
    assert study.best_params == best.params
    results = (tmp_path / "multirun" / "optimization_results.yaml").read_text()
    assert f"best_value: {best.values[0]}" in results and "name: tunelab" in results


def test_a_job_that_raises_or_returns_none_or_nan_ends_fail_with_its_reason_and_the_sweep_goes_on(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 4
        sampler: {name: random, seed: 0}
        params:
          x: interval(0, 1)
    """)
    body = """\
    mode = ["ok", "raise", "none", "nan"][num % 4]
    if mode == "raise":
        raise ValueError("bad batch")
    return {"ok": cfg.x, "none": None, "nan": float("nan")}[mode]"""
    run(tmp_path, config, body)
    trials = stored(tmp_path).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL, TrialState.FAIL]
    assert trials[0].values[0] == pytest.approx(trials[0].params["x"])
    assert trials[1].fail_reason == "the task raised ValueError: bad batch"
    assert "returned None" in trials[2].fail_reason
    assert "NaN" in trials[3].fail_reason


def test_a_task_reports_and_is_pruned_through_the_live_trial(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 8
        n_jobs: 3
        sampler: {name: random, seed: 1}
        pruner: {name: threshold, args: {upper: 0.5}}
        params:
          x: interval(0, 1)
    """)
    body = """\
    for step in range(3):
        th.report(cfg.x, step)
        if th.should_prune():
            raise tunelab.TrialPruned()
    assert th.trial().params["x"] == cfg.x
    return cfg.x"""
    run(tmp_path, config, body)
    trials = stored(tmp_path).trials
    assert len(trials) == 8
    for t in trials:
        if t.params["x"] > 0.5:
            assert t.state == TrialState.PRUNED and t.intermediate_values == {0: t.params["x"]}
        else:
            assert t.state == TrialState.COMPLETE and t.intermediate_values == {s: t.params["x"] for s in range(3)}
    assert {t.state for t in trials} == {TrialState.PRUNED, TrialState.COMPLETE}


def test_the_task_prunes_through_tunelab_report_and_should_prune_as_under_tunelab_run(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 6
        sampler: {name: random, seed: 2}
        pruner: {name: threshold, args: {upper: 0.5}}
        params:
          x: interval(0, 1)
    """)
    body = """\
    for step in range(3):
        tunelab.report(cfg.x, step=step)
        if tunelab.should_prune():
            raise tunelab.TrialPruned()
    return cfg.x"""
    run(tmp_path, config, body)
    trials = stored(tmp_path).trials
    assert {t.state for t in trials} == {TrialState.PRUNED, TrialState.COMPLETE}
    for t in trials:
        pruned = t.params["x"] > 0.5
        assert t.state == (TrialState.PRUNED if pruned else TrialState.COMPLETE)
        assert t.intermediate_values == {s: t.params["x"] for s in range(1 if pruned else 3)}


def test_a_rerun_resumes_the_study_and_runs_only_the_trials_still_owed(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 3
        sampler: {name: random, seed: 0}
        params:
          x: interval(0, 1)
    """)
    run(tmp_path, config)
    assert len(stored(tmp_path).trials) == 3
    again = run(tmp_path, config, "    return (cfg.x - 0.3) ** 2", "hydra.sweeper.n_trials=5")
    trials = stored(tmp_path).trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4] and all(t.state == TrialState.COMPLETE for t in trials)
    assert again.stdout.count("Launching 1 jobs") == 2
    done = run(tmp_path, config, "    return 0.0", "hydra.sweeper.n_trials=5")
    assert "Launching" not in done.stdout and len(stored(tmp_path).trials) == 5


def test_a_sweep_killed_hard_leaves_no_trial_running_the_next_sweep_runs_it_again(tmp_path):
    import os
    import signal
    import time

    from tests.execution.checks import assert_clean

    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 3
        heartbeat_interval: 0.2
        sampler: {name: random, seed: 0}
        params:
          x: interval(0, 1)
    """)
    body = """\
    marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "started")
    first = not os.path.exists(marker)
    open(marker, "a").close()
    if first:  # the first job of the first sweep: long enough to be killed in
        import time
        time.sleep(120)
    return cfg.x"""
    (tmp_path / "app.py").write_text(APP.format(body=body))
    (tmp_path / "config.yaml").write_text(config)
    sweep = subprocess.Popen(
        [sys.executable, "app.py", "--multirun", f"hydra.sweep.dir={tmp_path / 'multirun'}",
         f"hydra.sweeper.storage=sqlite:///{tmp_path / 'tunelab.db'}"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "started").exists():
            assert sweep.poll() is None and time.monotonic() < deadline, "the first job never started"
            time.sleep(0.05)
        os.killpg(sweep.pid, signal.SIGKILL)
        sweep.wait(timeout=30)
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    lost = stored(tmp_path).trials
    assert [t.state for t in lost] == [TrialState.RUNNING] and lost[0].params  # what a hard kill leaves
    time.sleep(1.0)  # past the grace period (four heartbeat intervals)
    run(tmp_path, config, body)
    trials = assert_clean(stored(tmp_path))
    assert trials[0].state == TrialState.FAIL and "no heartbeat" in trials[0].fail_reason
    assert trials[1].retry_of == 0 and trials[1].params == lost[0].params
    assert [t.state for t in trials[1:]] == [TrialState.COMPLETE] * 3  # the budget: 3 counted trials


def test_a_schedule_space_reaches_the_task_as_the_schedule_the_trial_stores(tmp_path):
    config = HEAD + textwrap.dedent("""\
    lr: "StepLR(0.1, step_size=30)"
    hydra:
      sweeper:
        n_trials: 4
        direction: [minimize, maximize]
        sampler: {name: random, seed: 2}
        params:
          lr:
            schedule: {families: [exponential, wsd, cosine], initial: [0.001, 0.1], total_steps: 100}
    """)
    body = "    s = th.schedule(cfg.lr)\n    return float(s(0)), float(s(50))"
    run(tmp_path, config, body)
    trials = stored(tmp_path).trials
    assert len(trials) == 4 and all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        schedule = t.schedule("lr")
        assert th.schedule(seen(tmp_path, t.number)["lr"]) == schedule
        assert t.values == pytest.approx((schedule(0), schedule(50)))
        assert t.params["lr.family"] in ("exponential", "wsd", "cosine")


def test_a_command_line_sweep_replaces_the_configs_entry_and_a_fixed_override_reaches_every_job(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 4
        sampler: {name: random, seed: 0}
        params:
          x: interval(-1, 1)
    """)
    run(tmp_path, config, "    return cfg.x", "x=range(2, 4)", "epochs=9")
    trials = stored(tmp_path).trials
    assert {t.params["x"] for t in trials} <= {2, 3, 4} and all(isinstance(t.params["x"], int) for t in trials)
    assert [seen(tmp_path, t.number)["epochs"] for t in trials] == [9] * 4
    run(tmp_path, config, "    return cfg.x", "x=0.125", "hydra.sweeper.study_name=fixed")  # no sweep left
    trials = stored(tmp_path, "fixed").trials
    assert [t.params for t in trials] == [{}] * 4 and [t.values[0] for t in trials] == [0.125] * 4


def test_a_single_run_of_a_task_configured_for_the_sweeper_runs_without_a_trial(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        params:
          x: interval(-1, 1)
    """)
    body = "    assert th.trial() is None and not th.should_prune()\n    th.report(1.0, 0)\n    return cfg.x"
    done = run(tmp_path, config, body, "x=0.5", multirun=False)  # warnings are errors (-W error)
    assert seen(tmp_path, None)["x"] == 0.5
    assert not (tmp_path / "tunelab.db").exists() and "Warning" not in done.stdout


def test_a_bad_sweeper_key_stops_the_run_with_a_message_naming_it(tmp_path):
    config = HEAD + textwrap.dedent("""\
    hydra:
      sweeper:
        n_trials: 2
        params:
          x: interval(-1, 1)
    """)
    done = run(tmp_path, config, "    return cfg.x", "hydra.sweeper.direction=up", ok=False)
    assert done.returncode != 0
    assert "hydra.sweeper.direction='up' is invalid: must be 'minimize', 'maximize'" in done.stdout


def test_the_example_tunes_the_digits_classifier_and_its_pruner_stops_poor_trials(tmp_path):
    pytest.importorskip("sklearn")
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "hydra" / "train.py"
    done = subprocess.run(
        [sys.executable, str(script), "--multirun", f"hydra.sweep.dir={tmp_path / 'multirun'}",
         f"hydra.sweeper.storage=sqlite:///{tmp_path / 'tunelab.db'}", "hydra.sweeper.n_trials=8", "epochs=6",
         "hydra.sweeper.params.lr.schedule.total_steps=6"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:]
    study = stored(tmp_path, "digits-sgd")
    assert len(study.trials) == 8 and study.direction.name == "MAXIMIZE"
    assert study.best_value > 0.9  # a linear model on the digits: well above chance (0.1)
    assert {t.state for t in study.trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert all(len(t.intermediate_values) <= 6 for t in study.trials)
    assert study.best_trial.schedule("lr") is not None


def test_hydra_finds_the_sweeper_by_its_group_name_with_the_documented_defaults(tmp_path):
    (tmp_path / "app.py").write_text(APP.format(body="    return 0.0"))
    (tmp_path / "config.yaml").write_text("x: 0.0\n")
    done = subprocess.run([sys.executable, "app.py", "hydra/sweeper=tunelab", "--cfg", "hydra", "-p", "hydra.sweeper"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    shown = done.stdout
    assert "_target_: hydra_plugins.tunelab_sweeper.tunelab_sweeper.TunelabSweeper" in shown
    for line in ("direction: minimize", "study_name: ${hydra.job.name}", "storage: null", "n_trials: 20",
                 "n_jobs: 1", "sampler: null", "pruner: null", "params: null"):
        assert line in shown.splitlines(), line
    assert not list(tmp_path.glob("outputs"))  # printing the config runs nothing


# -- parsing, in process ---------------------------------------------------------------------------------------
def test_the_override_spellings_become_the_distributions_the_optuna_sweeper_gives():
    from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

    space = th.SearchSpace.parse({
        "a": "interval(0, 1)", "b": "int(interval(1, 10))", "c": "tag(log, interval(0.001, 0.1))",
        "d": "tag(log, int(interval(1, 64)))", "e": "range(1, 9, 2)", "f": "range(0.5, 2.5, step=0.5)",
        "g": "choice(a, 1, true)", "+h": "choice(x, y)", "fixed": "3",
    })
    got = {p.name: p.space for p in space.params}
    assert got == {
        "a": FloatDistribution(0.0, 1.0), "b": IntDistribution(1, 10), "c": FloatDistribution(0.001, 0.1, log=True),
        "d": IntDistribution(1, 64, log=True), "e": IntDistribution(1, 9, step=2),
        "f": FloatDistribution(0.5, 2.5, step=0.5), "g": CategoricalDistribution(["a", 1, True]),
        "h": CategoricalDistribution(["x", "y"]),
    }
    assert space.fixed == ("fixed=3",)
    assert space.overrides({"g": "a", "h": "y", "a": 0.5}) == ["fixed=3", "a=0.5", "g=a", "+h=y"]


@pytest.mark.parametrize("value", ["1", "true", "a b", "it's", "x,y", "null"])
def test_a_string_choice_reaches_the_job_as_that_string(value):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    space = th.SearchSpace.parse({"k": "choice(a, b)"})
    (override,) = space.overrides({"k": value})
    assert OverridesParser.create().parse_overrides([override])[0].value() == value


@pytest.mark.parametrize(("params", "message"), [
    ({"x": "interval(1)"}, r"hydra.sweeper.params.x 'x=interval\(1\)' is invalid"),
    ({"x": "interval(2, 1)"}, r"hydra.sweeper.params.x='interval\(2, 1\)' is invalid: low=2.0 .*high=1.0"),
    ({"x": "tag(fast, interval(0, 1))"}, r"tagged only with \['log'\] \(got tags \['fast'\]\)"),
    ({"x": "shuffle(range(1, 4))"}, r"without shuffle"),
    ({"x": "tag(log, interval(0, 1))"}, r"hydra.sweeper.params.x='tag\(log, interval\(0, 1\)\)' is invalid"),
    ({"x": {"space": "interval(0, 1)", "if": {"y": 1}}}, r"hydra.sweeper.params.x=.* is invalid: must be a sweep"),
    ({"x": {"space": "3"}}, r"hydra.sweeper.params.x.space='3' is invalid: must be a sweep"),
    ({"y": "choice(a, b)", "x": {"space": "interval(0, 1)", "when": {"z": "a"}}},
     r"hydra.sweeper.params.x.when=\{'z': 'a'\} is invalid: must be keyed by parameters defined above it "
     r"\(one of \['y'\]\); 'z' is not one"),
    ({"y": "choice(a, b)", "x": {"space": "interval(0, 1)", "when": {"y": "c"}}},
     r"hydra.sweeper.params.x.when.y='c' is invalid: must be a value y can take"),
    ({"lr": {"schedule": {"families": ["cosine"]}}}, r"hydra.sweeper.params.lr.schedule.total_steps=None is invalid"),
    ({"lr": {"schedule": {"families": ["cosin"], "total_steps": 10}}},
     r"hydra.sweeper.params.lr.schedule: family='cosin' is invalid.*did you mean 'cosine'"),
    ({"~x": "choice(1, 2)"}, r"hydra.sweeper.params key='~x' is invalid"),
    (["x"], r"hydra.sweeper.params=\['x'\] is invalid: must be a mapping"),
])
def test_a_bad_params_entry_is_refused_naming_the_key_the_value_and_what_is_allowed(params, message):
    with pytest.raises(tunelab.TunelabError, match=message):
        th.SearchSpace.parse(params)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: th.directions("up"), r"hydra.sweeper.direction='up' is invalid: must be 'minimize', 'maximize'"),
    (lambda: th.directions([]), r"hydra.sweeper.direction=\[\] is invalid"),
    (lambda: th.plugin("sampler", "tp"), r"hydra.sweeper: sampler.name='tp' is invalid: .*did you mean 'tpe'"),
    (lambda: th.plugin("pruner", {"name": "threshold", "args": {"high": 1}}),
     r"hydra.sweeper: pruner.args.high is invalid: ThresholdPruner takes"),
    (lambda: th.plugin("sampler", {"kind": "tpe"}), r"hydra.sweeper.sampler=\{'kind': 'tpe'\} is invalid"),
    (lambda: th.plugin("sampler", 3), r"hydra.sweeper.sampler=3 is invalid"),
    (lambda: th.open_study(study_name="", storage=None, direction="minimize", sampler=None, pruner=None),
     r"hydra.sweeper.study_name='' is invalid"),
    (lambda: th.open_study(study_name="s", storage="foo://x", direction="minimize", sampler=None, pruner=None),
     r"hydra.sweeper: storage='foo://x' is invalid: must be a sqlite:/// or postgresql:// URL"),
    (lambda: th.run_sweep(None, th.SearchSpace((), (), ()), launch=None, n_trials=0),
     r"hydra.sweeper.n_trials=0 is invalid: must be a positive integer"),
    (lambda: th.run_sweep(None, th.SearchSpace((), (), ()), launch=None, n_trials=2, n_jobs=True),
     r"hydra.sweeper.n_jobs=True is invalid: must be a positive integer"),
])
def test_a_bad_sweeper_setting_is_refused_naming_it(call, message):
    with pytest.raises(tunelab.TunelabError, match=message):
        call()


def test_plugins_are_built_by_name_with_their_arguments_and_seed():
    from tunelab.pruners import ThresholdPruner
    from tunelab.samplers import RandomSampler

    sampler = th.plugin("sampler", {"name": "random", "seed": 4})
    assert isinstance(sampler, RandomSampler)
    assert isinstance(th.plugin("pruner", {"name": "threshold", "args": {"upper": 1.0}}), ThresholdPruner)
    assert th.plugin("pruner", None) is None and th.plugin("sampler", sampler) is sampler
    assert th.directions(["Minimize", "maximize"]) == ["minimize", "maximize"]


def test_the_task_helpers_do_nothing_outside_a_sweep_and_schedule_reads_every_form():
    from tunelab import schedules

    assert th.trial() is None and th.should_prune() is False
    th.report(1.0, 0)
    step = schedules.StepLR(0.1, step_size=30)
    assert th.schedule("StepLR(base_lr=0.1, step_size=30)") == step
    assert th.schedule(step.to_config()) == step and th.schedule(step) is step
    with pytest.raises(tunelab.TunelabError, match=r"value=3 is invalid for tunelab.integrations.hydra.schedule"):
        th.schedule(3)


def test_every_family_of_a_schedule_space_goes_through_an_override_and_back():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from tunelab.schedules._space import FAMILIES

    for family in FAMILIES:
        space = th.SearchSpace.parse({"lr": {"schedule": {"families": [family], "total_steps": 50}}})
        live = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0)).ask()
        values = space.suggest(live)
        (override,) = space.overrides(values)
        text = OverridesParser.create().parse_overrides([override])[0].value()
        assert th.schedule(text) == values["lr"], family
        assert math.isfinite(float(th.schedule(text)(10)))


def test_without_hydra_the_module_names_the_extra_and_import_tunelab_does_not_import_hydra(monkeypatch):
    import importlib

    monkeypatch.setitem(sys.modules, "hydra", None)
    monkeypatch.delitem(sys.modules, "tunelab.integrations.hydra")
    with pytest.raises(tunelab.MissingExtraError, match=r"'hydra' is not installed.*pip install 'tunelab\[hydra\]'"):
        importlib.import_module("tunelab.integrations.hydra")
    code = ("import sys, tunelab; assert 'hydra' not in sys.modules; "
            "m = tunelab.integrations.hydra; assert 'hydra' in sys.modules; print(m.SearchSpace.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "SearchSpace"


def _returns(values):
    from hydra.core.utils import JobReturn, JobStatus

    out = []
    for value in values:
        ret = JobReturn()
        ret.status = JobStatus.FAILED if isinstance(value, BaseException) else JobStatus.COMPLETED
        ret.return_value = value
        out.append(ret)
    return out


def test_an_interrupted_batch_ends_fail_uncounted_and_a_rerun_runs_the_whole_budget():
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    space = th.SearchSpace.parse({"x": "interval(0, 1)"})

    def interrupted(overrides, first):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        th.run_sweep(study, space, launch=interrupted, n_trials=4, n_jobs=2)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    assert all(t.fail_reason.startswith("interrupted: KeyboardInterrupt") for t in study.trials)
    launched = []

    def launch(overrides, first):
        launched.append((first, overrides))
        return _returns([float(o[0].split("=")[1]) for o in overrides])

    th.run_sweep(study, space, launch=launch, n_trials=4, n_jobs=3)
    assert [first for first, _ in launched] == [0, 3] and [len(o) for _, o in launched] == [3, 1]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 4 and all(t.values[0] == t.params["x"] for t in complete)


def test_a_batch_that_does_not_compose_ends_fail_and_stops_the_sweep_with_the_error():
    study = tunelab.create_study()
    space = th.SearchSpace.parse({"x": "interval(0, 1)"})

    def validate(batch):
        raise ValueError("Could not override 'x'")

    with pytest.raises(ValueError, match="Could not override"):
        th.run_sweep(study, space, launch=None, n_trials=3, n_jobs=2, validate=validate)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    assert study.trials[0].fail_reason == "the sweep could not start it: ValueError: Could not override 'x'"


def test_a_pruned_job_keeps_its_last_report_and_a_failed_one_its_error():
    study = tunelab.create_study()
    space = th.SearchSpace.parse({"x": "interval(0, 1)"})

    def launch(overrides, first):
        th._LIVE[first].report(0.25, 0)  # the live trial the task would get from th.trial()
        return _returns([tunelab.TrialPruned(), RuntimeError("out of memory")])

    th.run_sweep(study, space, launch=launch, n_trials=2, n_jobs=2)
    pruned, failed = study.trials
    assert pruned.state == TrialState.PRUNED and pruned.values == (0.25,)
    assert failed.state == TrialState.FAIL and failed.fail_reason == "the task raised RuntimeError: out of memory"
    assert th._LIVE == {}  # the batch's live trials are let go


# -- the Optuna sweeper's own spellings ------------------------------------------------------------------------
def test_an_optuna_sweeper_config_runs_with_its_optuna_sampler_target_and_its_seed_only_sampler(tmp_path):
    # the Optuna sweeper's documented sampler spelling: Hydra must not build an optuna object (optuna
    # need not be installed); the class of the same name in tunelab.samplers is used, with the seed
    for sampler, built in [("{_target_: optuna.samplers.TPESampler, seed: 7}", "TPESampler"),
                           ("{seed: 7}", "AutoSampler")]:
        config = HEAD + textwrap.dedent(f"""\
        hydra:
          sweeper:
            sampler: {sampler}
            pruner: {{_target_: optuna.pruners.NopPruner}}
            study_name: s{built}
            n_trials: 3
            params:
              x: range(-2, 2, step=0.5)
        """)
        done = run(tmp_path, config, "    return cfg.x ** 2")
        assert f"sampler: {built}, pruner: NopPruner" in done.stdout
        assert len(stored(tmp_path, f"s{built}").trials) == 3


def test_an_optuna_target_is_read_as_the_tunelab_class_of_that_name_or_refused_naming_it():
    from tunelab.pruners import MedianPruner
    from tunelab.samplers import TPESampler

    a = th.plugin("sampler", {"_target_": "optuna.samplers.TPESampler", "seed": 3, "n_startup_trials": 4})
    b = th.plugin("sampler", {"_target_": "tunelab.samplers.TPESampler", "seed": 3, "n_startup_trials": 4})
    assert isinstance(a, TPESampler) and isinstance(b, TPESampler)
    assert isinstance(th.plugin("pruner", {"_target_": "optuna.pruners.MedianPruner"}), MedianPruner)
    with pytest.raises(tunelab.TunelabError, match=r"hydra.sweeper.sampler._target_='optuna.samplers.NSGAIIISampler' "
                                                   r"is invalid: must be .*tunelab has no NSGAIIISampler"):
        th.plugin("sampler", {"_target_": "optuna.samplers.NSGAIIISampler"})
    with pytest.raises(tunelab.TunelabError, match=r"sampler.consider_prior is invalid: TPESampler takes"):
        th.plugin("sampler", {"_target_": "optuna.samplers.TPESampler", "consider_prior": True})
    with pytest.raises(tunelab.TunelabError, match=r"hydra.sweeper.sampler._target_='collections.OrderedDict' is "
                                                   r"invalid: must be .*building a tunelab.samplers.Sampler"):
        th.plugin("sampler", {"_target_": "collections.OrderedDict"})
    with pytest.raises(tunelab.TunelabError, match=r"hydra.sweeper.sampler=.* is invalid: must be a name "
                                                   r"\(hydra/sweeper/sampler=<name> sets one\) or a _target_, not both"):
        th.plugin("sampler", {"name": "grid", "_target_": "optuna.samplers.GridSampler"})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("custom_search_space", "app.extend", r"hydra.sweeper.custom_search_space='app.extend' is invalid: must be null"
                                          r": tunelab's sweeper has no custom_search_space.*when.*trial\(\)"),
    ("max_failure_rate", "0.5", r"hydra.sweeper.max_failure_rate=0.5 is invalid: must be null: .*FAIL"),
    ("search_space", "{x: {type: float, low: 0, high: 1}}",
     r"hydra.sweeper.search_space=\{.*\} is invalid: must be null: .*hydra.sweeper.params"),
])
def test_an_optuna_sweeper_key_tunelab_lacks_is_refused_saying_what_to_write_instead(tmp_path, key, value, message):
    import re

    config = HEAD + f"hydra:\n  sweeper:\n    n_trials: 2\n    {key}: {value}\n    params:\n      x: interval(-1, 1)\n"
    done = run(tmp_path, config, "    return cfg.x", ok=False)
    assert done.returncode != 0 and re.search(message, done.stdout), done.stdout[-2000:]
    assert not (tmp_path / "seen-0.json").exists()  # refused before any job ran


def test_the_sampler_is_chosen_by_the_optuna_sweepers_config_group_and_seeded_by_the_sampler_key(tmp_path):
    config = textwrap.dedent("""\
    defaults:
      - override hydra/sweeper: tunelab
      - override hydra/sweeper/sampler: nsgaii
    x: 0.0
    y: 0.0
    hydra:
      sweeper:
        sampler: {seed: 123}
        direction: [minimize, minimize]
        n_trials: 3
        params:
          x: range(0, 4, step=0.5)
          y: range(0, 2, step=0.5)
    """)
    done = run(tmp_path, config, "    return cfg.x + cfg.y, (cfg.x - 2) ** 2 + cfg.y")
    assert "sampler: NSGAIISampler" in done.stdout and len(stored(tmp_path).trials) == 3
    done = run(tmp_path, HEAD + "hydra:\n  sweeper:\n    n_trials: 4\n", "    return cfg.x",
               "hydra/sweeper/sampler=random", "x=interval(0, 1)", "hydra.sweeper.study_name=second")
    assert "sampler: RandomSampler" in done.stdout


def test_the_sampler_group_holds_every_sampler_of_tunelab_but_the_wrapper():
    from hydra_plugins.tunelab_sweeper.tunelab_sweeper import SAMPLER_GROUP
    from tunelab.config._plugins import available

    assert set(SAMPLER_GROUP) == set(available("sampler")) - {"partialfixed"}  # it needs a base sampler


def test_the_grid_sampler_takes_its_grid_from_params_and_the_sweep_ends_when_every_point_ran(tmp_path):
    config = textwrap.dedent("""\
    defaults:
      - override hydra/sweeper: tunelab
      - override hydra/sweeper/sampler: grid
    x: 0
    opt: adam
    hydra:
      sweeper:
        n_trials: 20
        n_jobs: 4
        params:
          x: range(-1, 1)
          opt: choice(sgd, adam)
    """)
    run(tmp_path, config, "    return cfg.x")
    trials = stored(tmp_path).trials
    assert sorted((t.params["x"], t.params["opt"]) for t in trials) == sorted(
        (x, o) for x in (-1, 0, 1) for o in ("sgd", "adam"))  # each point once, range's stop included
    assert {t.state for t in trials} == {TrialState.COMPLETE}


def test_a_grid_needs_discrete_parameters_and_says_which_one_is_not():
    space = th.SearchSpace.parse({"x": "range(0.0, 1.0, step=0.25)", "n": "tag(log, int(interval(1, 4)))",
                                  "o": "choice(a, b)"})
    assert space.grid() == {"x": [0.0, 0.25, 0.5, 0.75, 1.0], "n": [1, 2, 3, 4], "o": ["a", "b"]}
    with pytest.raises(tunelab.TunelabError, match=r"hydra.sweeper.params.y=FloatDistribution\(.*\) is invalid: "
                                                   r"must be discrete for the grid sampler"):
        th.SearchSpace.parse({"y": "interval(0, 1.5)"}).grid()
    built = th.plugin("sampler", {"name": "grid"}, space=space)
    assert built.search_space["o"] == ("a", "b")


def test_the_pruner_is_chosen_by_its_config_group_as_the_sampler_is(tmp_path):
    from hydra_plugins.tunelab_sweeper.tunelab_sweeper import PRUNER_GROUP
    from tunelab.config._plugins import available

    assert set(PRUNER_GROUP) == set(available("pruner")) - {"patient", "nop"} | {"none"}  # patient wraps one
    done = run(tmp_path, HEAD + "hydra:\n  sweeper:\n    n_trials: 2\n    pruner: {args: {min_resource: 2}}\n",
               "    return cfg.x", "hydra/sweeper/pruner=hyperband", "x=interval(0, 1)")
    assert "pruner: HyperbandPruner" in done.stdout


def test_the_sweepers_heartbeat_defaults_are_tunelab_runs():
    """The plugin's config does not import tunelab at Hydra's start-up, so it repeats the numbers:
    they must stay those of `tunelab run` (docs/hydra.md says "as tunelab run")."""
    from hydra_plugins.tunelab_sweeper.tunelab_sweeper import TunelabSweeperConf
    from tunelab.config._storage import HEARTBEAT_S, RETRIES

    conf = TunelabSweeperConf()
    assert (conf.heartbeat_interval, conf.grace_period, conf.retries) == (HEARTBEAT_S, None, RETRIES)
