"""trial.set_schedule: a hand-built schedule is recorded on the trial like a searched one, with its
horizon, and every surface (figures, report, dashboard) draws it over exactly that horizon."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

import tunelab
from tunelab import schedules
from tunelab.trial import FixedTrial

pytest.importorskip("plotly", reason="the plot extra (plotly) is not installed")
v = pytest.importorskip("tunelab.visualization")


def _study(storage: str | None = None) -> tunelab.Study:
    """Trials 0-2 set OneCycleLR, a transformers cosine and a constant by hand; trial 3 searches one."""
    study = tunelab.create_study(storage=storage, study_name="hand", sampler=tunelab.samplers.RandomSampler(seed=0))
    hand = [(schedules.OneCycleLR(0.1, total_steps=40), 40),
            (schedules.get_cosine_schedule_with_warmup(0.01, 5, 300), 300),
            (schedules.constant_schedule(0.003), 77)]
    for i, (schedule, total_steps) in enumerate(hand):
        trial = study.ask()
        trial.set_schedule("lr", schedule, total_steps=total_steps)
        study.tell(trial, float(i))
    trial = study.ask()
    trial.suggest_schedule("lr", schedules.space(families=["exponential"]), total_steps=12)
    study.tell(trial, 3.0)
    return study


HORIZONS = {0: 40, 1: 300, 2: 77, 3: 12}


def test_a_set_schedule_is_kept_like_a_suggested_one():
    study = _study()
    t = study.trials[1]
    assert t.schedule("lr") == schedules.get_cosine_schedule_with_warmup(0.01, 5, 300)
    assert t.schedule_configs["lr"]["horizon"] == 300 and t.params == {}
    fig = v.plot_lr_schedules(study, [0, 1, 2, 3])
    assert [max(trace.x) for trace in fig.data] == [40, 300, 77, 12]
    assert fig.data[1].name == "trial 1 lr: get_cosine_schedule_with_warmup"
    boxes = [trace.name for trace in v.plot_schedule_families(study).data if trace.type == "box"]
    # a searched schedule by its space's family key, a set one by its schedule family
    assert sorted(boxes) == ["OneCycleLR (1)", "constant_schedule (1)", "exponential (1)",
                             "get_cosine_schedule_with_warmup (1)"]


def test_without_total_steps_the_schedule_own_length_is_drawn():
    study = tunelab.create_study()
    trial = study.ask()
    trial.set_schedule("lr", schedules.StepLR(0.1, step_size=30))
    study.tell(trial, 1.0)
    assert "horizon" not in study.trials[0].schedule_configs["lr"]
    assert max(v.plot_lr_schedules(study).data[0].x) == 30  # the fallback: its longest length


def test_the_report_and_the_dashboard_draw_the_recorded_horizons(tmp_path):
    from tunelab.reporting import _figures

    url = f"sqlite:///{tmp_path / 'hand.db'}"
    study = _study(url)
    [lr] = [spec for key, spec in _figures.figures(study, study.trials, ["value"]) if key == "lr"]
    assert {int(t["name"].split()[1]): max(t["x"]) for t in lr["data"]} == HORIZONS
    from tunelab.dashboard import make_server

    srv = make_server(url, port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}/api/studies/1"
    try:
        with urllib.request.urlopen(base + "/lr?trials=0,1,2,3") as response:
            data = json.loads(response.read())["figure"]["data"]
        assert {int(t["name"].split()[1]): max(t["x"]) for t in data} == HORIZONS
        for number, horizon in HORIZONS.items():
            with urllib.request.urlopen(f"{base}/trials/{number}") as response:
                [curve] = json.loads(response.read())["figures"]["curves"]
            assert curve["last_step"] == horizon
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("make", [lambda: tunelab.create_study().ask(), lambda: FixedTrial({})],
                         ids=["Trial", "FixedTrial"])
def test_only_schedules_are_accepted(make):
    trial = make()
    where = type(trial).__name__ + ".set_schedule"
    with pytest.raises(tunelab.InvalidTypeError,
                       match=rf"^schedule='cosine' \(type str\) is invalid for {where}: must be a tunelab schedule"):
        trial.set_schedule("lr", "cosine")
    with pytest.raises(TypeError, match=rf"schedule=ReduceLROnPlateau.* is invalid for {where}"):
        trial.set_schedule("lr", schedules.ReduceLROnPlateau(0.1))
    with pytest.raises(ValueError, match=rf"total_steps=0 is invalid for {where}"):
        trial.set_schedule("lr", schedules.StepLR(0.1, 3), total_steps=0)


@pytest.mark.parametrize("make", [lambda p: tunelab.create_study().ask(), FixedTrial], ids=["Trial", "FixedTrial"])
def test_a_name_is_searched_or_set_not_both(make):
    params = {"lr.family": "constant", "lr.constant.initial": 0.01}
    space = schedules.space(families=["constant"], total_steps=10)
    trial = make(params)
    trial.suggest_schedule("lr", space)
    with pytest.raises(ValueError, match=r"name='lr' is invalid for (Fixed)?Trial.set_schedule: .* searched"):
        trial.set_schedule("lr", schedules.StepLR(0.1, 3))
    trial.set_schedule("wd", schedules.StepLR(0.1, 3))
    trial.set_schedule("wd", schedules.StepLR(0.2, 3))  # setting again replaces it
    with pytest.raises(ValueError, match=r"name='wd' is invalid for (Fixed)?Trial.suggest_schedule: .* set_schedule"):
        trial.suggest_schedule("wd", space)


def test_fixed_trial_keeps_configs_and_horizons():
    trial = FixedTrial({"lr.family": "constant", "lr.constant.initial": 0.01})
    trial.suggest_schedule("lr", schedules.space(families=["constant"]), total_steps=9)
    trial.set_schedule("wd", schedules.StepLR(0.1, 3), total_steps=20)
    assert trial.schedule_configs == {
        "lr": {"family": "constant_schedule", "args": {"value": 0.01}, "horizon": 9},
        "wd": {"family": "StepLR", "args": {"base_lr": 0.1, "step_size": 3, "gamma": 0.1}, "horizon": 20}}


def test_a_finished_trial_refuses():
    study = tunelab.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(tunelab.TrialFinishedError, match="set_schedule refused"):
        trial.set_schedule("lr", schedules.StepLR(0.1, 3))


def _dashboard_families(url: str) -> list:
    """The schedule-family figures the dashboard serves for study 1 of ``url``."""
    from tunelab.dashboard import make_server

    srv = make_server(url, port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{srv.server_address[1]}/api/studies/1/families") as response:
            return json.loads(response.read())["figures"]
    finally:
        srv.shutdown()
        srv.server_close()


def test_the_dashboard_draws_the_families_of_a_study_that_only_set_schedules(tmp_path):
    url = f"sqlite:///{tmp_path / 'set.db'}"
    study = tunelab.create_study(storage=url, study_name="set-only")
    for i, schedule in enumerate([schedules.StepLR(0.1, 3), schedules.StepLR(0.2, 3), schedules.constant_schedule(0.01)]):
        trial = study.ask()
        trial.set_schedule("lr", schedule, total_steps=9)
        study.tell(trial, float(i))
    [found] = _dashboard_families(url)
    assert found["schedule"] == "lr"
    boxes = {t["name"]: t["y"] for t in found["figure"]["data"] if t["type"] == "box"}
    assert boxes == {"StepLR (2)": [0.0, 1.0], "constant_schedule (1)": [2.0]}


def test_the_dashboard_reads_a_family_stored_after_the_arguments(tmp_path):
    # a config whose "family" is not its first key (written by hand or another JSON writer) is read whole
    url = f"sqlite:///{tmp_path / 'order.db'}"
    study = tunelab.create_study(storage=url, study_name="order")
    for i in range(2):
        trial = study.ask()
        study.storage.set_trial_attr(trial._trial_id, "core", "schedule:lr",
                                     {"args": {"base_lr": 0.1, "step_size": 3, "gamma": 0.5}, "family": "StepLR"})
        study.tell(trial, float(i))
    [found] = _dashboard_families(url)
    assert {t["name"]: t["y"] for t in found["figure"]["data"] if t["type"] == "box"} == {"StepLR (2)": [0.0, 1.0]}
