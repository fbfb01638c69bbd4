"""tunelab.visualization.matplotlib: the same figures as matplotlib Axes, from the same computed data."""

from __future__ import annotations

import pytest
from viz_studies import mixed, two_objectives

import tunelab

matplotlib = pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
matplotlib.use("Agg")
vm = pytest.importorskip("tunelab.visualization.matplotlib")
plt = pytest.importorskip("matplotlib.pyplot")

NAMES = [n for n in vm.__all__ if n != "is_available"]


@pytest.fixture(scope="module")
def study():
    return mixed(20)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", NAMES)
def test_every_function_returns_axes_that_save(study, name, tmp_path):
    target = two_objectives(12) if name == "plot_pareto_front" else study
    grid = {"params": ["x", "layers", "momentum"]} if name in ("plot_contour", "plot_rank") else {}  # 3 x 3 panels
    found = getattr(vm, name)(target, **grid)
    ax = found.flat[0] if hasattr(found, "flat") else found
    assert isinstance(ax, matplotlib.axes.Axes)
    ax.figure.savefig(tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 1000


def test_the_twins_show_what_the_plotly_figures_show(study):
    ax = vm.plot_optimization_history(study)
    assert ax.get_title() == "Optimization History Plot" and ax.get_yscale() == "log"  # values span decades
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Objective Value", "Pruned (last value)",
                                                                   "Best Value"]
    bars = vm.plot_param_importances(study)
    texts = [t.get_text() for t in bars.texts]
    assert any("not estimated: set in" in t for t in texts) and any("±" in t for t in texts)
    slices = vm.plot_slice(study, params=["x", "optimizer"])
    assert len(slices) == 2 and slices[0].get_xscale() == "log"


def test_the_twins_check_their_arguments_as_the_plotly_functions_do(study):
    with pytest.raises(tunelab.InvalidArgumentError, match=r"params=\['nope'\] is invalid for plot_contour"):
        vm.plot_contour(study, params=["nope"])
    with pytest.raises(tunelab.InvalidTypeError, match="target_name=3 .* is invalid for plot_edf"):
        vm.plot_edf(study, target_name=3)
