"""The lineage figure draws who copied whom."""

import pytest

import tunelab
from tests.pbt import toys
from tunelab.pbt import PopulationBasedTraining
from tunelab.samplers import RandomSampler


def test_the_lineage_figure_has_a_jump_per_exploit_and_the_winner_bold(tmp_path):
    pytest.importorskip("plotly")
    from tunelab.visualization._pbt import plot_pbt_lineage

    study = tunelab.create_study(sampler=RandomSampler(seed=0))
    found = PopulationBasedTraining(4, budget=6, interval=2, seed=0).optimize(
        study, toys.train, save=toys.save, load=toys.load, checkpoint_dir=tmp_path)
    fig = plot_pbt_lineage(study)
    traces = {t.name: t for t in fig.data}
    exploits = sum(e["exploited"] for g in (1, 2) for e in study.system_attrs[f"pbt:generation:{g}"])
    winner_exploits = sum(1 for a, b in zip(found.lineage, found.lineage[1:]) if a.member != b.member)
    assert list(traces["exploit"].x).count(None) == exploits - winner_exploits
    assert list(traces["winner"].y)[1::3] == [iv.member for iv in found.lineage[1:]]
    assert len(traces["interval"].x) == 12 and "member" in traces["interval"].text[0]
    assert tunelab.visualization.plot_lr_schedules(study, [found.best_trial], schedule="lr").data


def test_the_report_of_a_population_shows_its_lineage(tmp_path):
    pytest.importorskip("plotly")
    from tunelab.reporting._html import render

    study = tunelab.create_study(sampler=RandomSampler(seed=0))
    PopulationBasedTraining(3, budget=4, interval=2, seed=0).optimize(
        study, toys.train, save=toys.save, load=toys.load, checkpoint_dir=tmp_path)
    page = render(study, include_plotlyjs=False)
    assert "Population lineage (who copied whom)" in page and "Learning rates of the best trials" in page
    plain = tunelab.create_study()
    plain.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert "Population lineage" not in render(plain, include_plotlyjs=False)
