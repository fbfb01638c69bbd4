"""tunelab.visualization: Optuna's figure functions and tunelab's own, as plotly figures."""

from __future__ import annotations

import inspect
import math

import pytest
from viz_studies import mixed, two_objectives

import tunelab
from tunelab import schedules
from tunelab._records import FrozenTrial, TrialState
from tunelab.space import FloatDistribution

go = pytest.importorskip("plotly.graph_objects", reason="the plot extra (plotly) is not installed")
v = tunelab.visualization

OPTUNA_NAMES = ["plot_contour", "plot_edf", "plot_intermediate_values", "plot_optimization_history",
                "plot_parallel_coordinate", "plot_param_importances", "plot_pareto_front", "plot_rank", "plot_slice",
                "plot_timeline"]
TUNELAB_NAMES = ["plot_lr_schedules", "plot_schedule_families"]


@pytest.fixture(scope="module")
def study():
    return mixed()


@pytest.fixture(scope="module")
def mo():
    return two_objectives()


def names(fig):
    return [t.name for t in fig.data]


@pytest.mark.parametrize("name", OPTUNA_NAMES)
def test_optuna_names_take_optunas_arguments(name):
    """Every argument Optuna's function takes, tunelab's takes under the same name and kind."""
    optuna_vis = pytest.importorskip("optuna.visualization")
    theirs = inspect.signature(getattr(optuna_vis, name)).parameters
    ours = inspect.signature(getattr(v, name)).parameters
    for arg, p in theirs.items():
        assert arg in ours, f"{name} lacks {arg}"
        assert ours[arg].kind == p.kind, f"{name}({arg}): {ours[arg].kind} here, {p.kind} in Optuna"
    ours_mpl = inspect.signature(getattr(v.matplotlib, name)).parameters
    assert list(ours_mpl) == list(ours)


@pytest.mark.parametrize("name", OPTUNA_NAMES + TUNELAB_NAMES)
def test_every_function_draws_a_study_with_every_kind_of_trial(study, mo, name):
    fig = getattr(v, name)(mo if name == "plot_pareto_front" else study)
    assert isinstance(fig, go.Figure) and len(fig.data) >= 1
    fig.to_json()  # a valid figure, serialisable


def test_history_has_the_best_line_and_pruned_trials(study):
    fig = v.plot_optimization_history(study)
    assert names(fig) == ["Objective Value", "Pruned (last value)", "Best Value"]
    best = fig.data[-1].y
    assert list(best) == sorted(best, reverse=True)
    assert best[-1] == pytest.approx(study.best_value)


def test_values_spanning_decades_go_on_log_axes(study):
    assert v.plot_optimization_history(study).layout.yaxis.type == "log"
    assert v.plot_intermediate_values(study).layout.yaxis.type == "log"  # 1e-5 .. 1: five decades
    flat = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    flat.optimize(lambda t: 0.5 + t.suggest_float("x", 0, 0.1), n_trials=5)
    assert v.plot_optimization_history(flat).layout.yaxis.type == "linear"


def test_parallel_coordinates_keep_log_axes_and_mark_unset_conditional_parameters(study):
    fig = v.plot_parallel_coordinate(study, params=["x", "momentum", "optimizer"])
    labels = list(fig.layout.xaxis.ticktext)
    assert labels == ["Objective Value (log)", "x (log)", "momentum", "optimizer"]
    ticks = [a.text for a in fig.layout.annotations]
    assert "unset" in ticks and "0.001" in ticks and "sgd" in ticks  # momentum is set with sgd only
    lines = [t for t in fig.data if t.mode == "lines"]
    n_lines = sum(list(t.x).count(None) for t in lines)
    assert n_lines == len([t for t in study.trials if t.state == TrialState.COMPLETE])


def test_unknown_parameters_and_multi_objective_without_target_are_refused(study, mo):
    with pytest.raises(tunelab.InvalidArgumentError, match=r"params=\['nope'\] is invalid for plot_slice: 'nope'"):
        v.plot_slice(study, params=["nope"])
    with pytest.raises(tunelab.InvalidArgumentError, match="target=None is invalid for plot_optimization_history: "
                                                          "must be a callable .* the study has 2 objectives"):
        v.plot_optimization_history(mo)
    fig = v.plot_optimization_history(mo, target=lambda t: t.values[1], target_name="f1")
    assert fig.layout.yaxis.title.text == "f1" and "Best Value" not in names(fig)  # no direction for a target
    with pytest.raises(tunelab.InvalidArgumentError, match="targets=None is invalid for plot_pareto_front: must be a "
                                                          "function choosing 2 or 3 values per trial: the study has 1"):
        v.plot_pareto_front(study)
    with pytest.raises(tunelab.InvalidTypeError, match="params='x' .* is invalid for plot_contour"):
        v.plot_contour(study, params="x")


def test_pareto_front_marks_infeasible_trials_and_never_puts_them_on_the_front(mo):
    fig = v.plot_pareto_front(mo, target_names=["size", "error"])
    by = {t.name: t for t in fig.data}
    assert set(by) == {"Trial", "Best Trial", "Infeasible Trial"}
    assert fig.layout.xaxis.title.text == "size"
    trials = {t.number: t for t in mo.trials}
    infeasible = {n for n, t in trials.items() if t.constraints[0] > 0}
    assert len(by["Infeasible Trial"].x) == len(infeasible) > 0
    front = [int(text.split(":")[0].split()[1]) for text in by["Best Trial"].text]
    assert front and not set(front) & infeasible
    hidden = v.plot_pareto_front(mo, include_dominated_trials=False)
    assert "Trial" not in names(hidden)


def test_pareto_front_in_three_dimensions_and_with_targets():
    study = tunelab.create_study(directions=["minimize"] * 3, sampler=tunelab.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("a", 0, 1), 1 - t.params["a"], t.suggest_float("b", 0, 1)), n_trials=12)
    assert {t.type for t in v.plot_pareto_front(study).data} == {"scatter3d"}
    two = v.plot_pareto_front(study, targets=lambda t: t.values[:2], target_names=["a", "1-a"])
    assert {t.type for t in two.data} == {"scatter"}
    with pytest.raises(tunelab.InvalidArgumentError, match="target_names=.* must be a list of 2 names"):
        v.plot_pareto_front(study, targets=lambda t: t.values[:2], target_names=["a"])


def test_importance_bars_show_spread_and_trial_counts(study):
    fig = v.plot_param_importances(study)
    bars = fig.data[0]
    assert bars.type == "bar" and bars.error_x.array is not None
    text = " ".join(fig.data[-1].text)
    n_complete = len(study.get_trials(states=(TrialState.COMPLETE,)))
    assert f"· {n_complete} of {n_complete} trials" in text  # x, layers, optimizer: set in every trial
    assert "not estimated: set in" in text  # the schedule families' arguments are set in a few trials each


def test_timeline_lanes_by_trial_or_by_worker(study):
    by_trial = v.plot_timeline(study)
    assert {t.name for t in by_trial.data} >= {"Complete", "Pruned", "Fail"}
    assert len(v.plot_timeline(study, n_recent_trials=5).layout.yaxis.categoryarray) == 5
    by_worker = v.plot_timeline(study, lanes="worker")
    assert list(by_worker.layout.yaxis.categoryarray) == ["w0", "w1"]
    with pytest.raises(tunelab.InvalidArgumentError, match="lanes='gpu' is invalid for plot_timeline"):
        v.plot_timeline(study, lanes="gpu")


def test_lr_schedules_prefer_the_recorded_trace(study):
    fig = v.plot_lr_schedules(study, [0, 1])
    assert names(fig)[0] == "trial 0 applied" and names(fig)[1].startswith("trial 1 lr: ")
    both = v.plot_lr_schedules(study, [0], compare=True)
    assert len(both.data) == 2 and max(both.data[1].x) == 54  # the schedule over the steps the trace covers
    with pytest.raises(tunelab.InvalidArgumentError, match=r"trials=\[999\] is invalid for plot_lr_schedules"):
        v.plot_lr_schedules(study, [999])


def _one_cycle_study(total_steps):
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=2))
    space = schedules.space(families=["one_cycle"], initial=(1e-3, 1e-1))
    study.optimize(lambda t: t.suggest_schedule("lr", space, total_steps=total_steps)(0), n_trials=6)
    return study


@pytest.mark.parametrize("total_steps", [10, 100, 999, 5000])
def test_one_cycle_schedules_are_drawn_to_their_end_never_past_it(total_steps):
    fig = v.plot_lr_schedules(_one_cycle_study(total_steps))
    assert fig.data and all(max(t.x) == total_steps for t in fig.data)  # OneCycleLR raises past total_steps


@pytest.mark.parametrize("family", sorted(schedules.space().to_config()["families"]))
@pytest.mark.parametrize("horizon", [1, 7, 1000, 123457])
def test_every_family_of_the_default_space_draws_at_any_horizon(family, horizon):
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=horizon))
    space = schedules.space(families=[family])
    study.optimize(lambda t: t.suggest_schedule("lr", space, total_steps=max(horizon, 2))(0), n_trials=3)
    fig = v.plot_lr_schedules(study)
    assert len(fig.data) == 3 and all(all(y is None or math.isfinite(y) for y in t.y) for t in fig.data)
    assert len(v.plot_schedule_families(study).data) == 2  # one box, the best


def test_schedule_families_show_each_family_best_first(study):
    fig = v.plot_schedule_families(study, "lr")
    boxes = [t for t in fig.data if t.type == "box"]
    bests = list(fig.data[-1].y)
    assert len(boxes) == 3 and bests == sorted(bests)
    assert all(t.name.endswith(")") for t in boxes)  # "cosine (7)": the number of trials
    with pytest.raises(tunelab.InvalidArgumentError, match="schedule='wd' is invalid for plot_schedule_families"):
        v.plot_schedule_families(study, "wd")


def test_an_empty_study_gives_figures_that_say_why():
    empty = tunelab.create_study()
    for name in OPTUNA_NAMES + TUNELAB_NAMES:
        if name == "plot_pareto_front":
            continue
        fig = getattr(v, name)(empty)
        assert isinstance(fig, go.Figure)
    fig = v.plot_optimization_history(empty)
    assert "no complete trial" in fig.layout.annotations[0].text


def test_several_studies_with_error_bars():
    studies = []
    for seed in range(3):
        s = tunelab.create_study(study_name=f"s{seed}", sampler=tunelab.samplers.RandomSampler(seed=seed))
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        studies.append(s)
    assert len(v.plot_optimization_history(studies).data) == 6
    bars = v.plot_optimization_history(studies, error_bar=True)
    assert len(bars.data) == 2 and bars.data[0].error_y.array is not None
    assert len(v.plot_edf(studies).data) == 3


def test_a_trials_view_draws_like_the_study(study):
    from tunelab.visualization._common import TrialsView

    view = TrialsView(study.trials, study.directions, study_name=study.study_name)
    assert v.plot_slice(view).to_json() == v.plot_slice(study).to_json()
    with pytest.raises(tunelab.InvalidTypeError, match="study=3 .* is invalid for plot_slice: must be a Study"):
        v.plot_slice(3)


def test_is_available_and_the_lazy_namespace():
    assert v.is_available() and v.matplotlib.is_available()
    assert set(OPTUNA_NAMES + TUNELAB_NAMES) <= set(v.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'plot_nothing'"):
        v.plot_nothing  # noqa: B018


def test_odd_stored_values_never_break_a_figure():
    trials = [FrozenTrial(i, TrialState.COMPLETE, (float(i) if i != 2 else math.inf,), {"x": 0.1 * i},
                          {"x": FloatDistribution(0, 1)}, user_attrs={"lr_trace": "garbage" if i else [[0, None], "x"]})
              for i in range(4)]
    from tunelab.visualization._common import TrialsView

    view = TrialsView(trials, ["minimize"])
    assert v.plot_optimization_history(view).data[0].y == (0.0, 1.0, 3.0)  # inf left out
    assert "no schedule or lr_trace" in v.plot_lr_schedules(view, [1]).layout.annotations[0].text
