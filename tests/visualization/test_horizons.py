"""Exact horizons, as a property: every family of ``schedules.space()`` drawn at random horizons
(tiny ones included) records its horizon on the trial, and every schedule figure, plotly and
matplotlib, builds and draws each schedule over exactly that horizon.

hypothesis is not a dependency: the examples are seeded random draws, the same on every run.
"""

from __future__ import annotations

import math
import random

import pytest

import tunelab
from tunelab import schedules
from tunelab.schedules._space import FAMILIES
from tunelab.visualization import plot_lr_schedules, plot_schedule_families

pytest.importorskip("plotly", reason="the plot extra (plotly) is not installed")
matplotlib = pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is not installed")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
vm = pytest.importorskip("tunelab.visualization.matplotlib")

#: Every family the space offers (the default ones and transformers' opt-in ones).
EVERY_FAMILY = sorted(FAMILIES)
TRIALS_PER_STUDY = 6


def _horizons(rng: random.Random) -> list[int]:
    """Tiny horizons always, then a random spread over decades."""
    tiny = [rng.randint(1, 5) for _ in range(3)]
    return tiny + [rng.randint(6, 60), rng.randint(61, 5000), rng.randint(5001, 2_000_000)]


def _study(family: str, seed: int) -> tuple[tunelab.Study, dict[int, int]]:
    """A study of one family whose trials draw their schedule at random horizons; number -> horizon."""
    rng = random.Random(f"{family}/{seed}")
    study = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=seed))
    space = schedules.space(families=[family])
    drawn: dict[int, int] = {}
    for total_steps in _horizons(rng)[:TRIALS_PER_STUDY]:
        trial = study.ask()
        lr = trial.suggest_schedule("lr", space, total_steps=total_steps)
        drawn[trial.number] = total_steps
        study.tell(trial, float(lr(0)) + rng.random())
    return study, drawn


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("family", EVERY_FAMILY)
def test_every_family_draws_over_the_recorded_horizon(family, seed):
    study, drawn = _study(family, seed)
    for t in study.trials:
        assert t.schedule_configs["lr"]["horizon"] == drawn[t.number]  # recorded where the trial keeps schedules
        assert t.schedule("lr") == schedules.Schedule.from_config(t.schedule_configs["lr"])
    numbers = sorted(drawn)

    fig = plot_lr_schedules(study, numbers)
    assert len(fig.data) == len(numbers)
    for trace, number in zip(fig.data, numbers):
        assert trace.name.startswith(f"trial {number} lr: ")
        assert trace.x[0] == 0 and max(trace.x) == drawn[number]
        assert all(y is None or math.isfinite(y) for y in trace.y)
    assert len([t for t in plot_schedule_families(study).data if t.type == "box"]) == 1

    ax = vm.plot_lr_schedules(study, numbers)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [t.name for t in fig.data]
    assert [max(line.get_xdata()) for line in lines] == [drawn[n] for n in numbers]
    vm.plot_schedule_families(study).figure.canvas.draw()


def test_horizons_survive_a_storage_and_the_default_figure(tmp_path):
    """Through SQLite, in a space of every family with its own total_steps, and with the default trials."""
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 'h.db'}", study_name="h",
                                 sampler=tunelab.samplers.RandomSampler(seed=3))
    rng = random.Random(3)
    drawn = {}
    for _ in range(30):
        horizon = rng.choice([2, 3, 4, 5, rng.randint(6, 10**6)])
        space = schedules.space(families=EVERY_FAMILY, total_steps=horizon)  # the space's own horizon
        trial = study.ask()
        study.tell(trial, trial.suggest_schedule("lr", space)(0))
        drawn[trial.number] = horizon
    loaded = tunelab.load_study(study_name="h", storage=f"sqlite:///{tmp_path / 'h.db'}")
    assert {t.number: t.schedule_configs["lr"]["horizon"] for t in loaded.trials} == drawn
    fig = plot_lr_schedules(loaded)  # the 5 best
    assert len(fig.data) == 5
    for trace in fig.data:
        assert max(trace.x) == drawn[int(trace.name.split()[1])]
