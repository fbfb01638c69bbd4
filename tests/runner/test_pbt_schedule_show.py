"""``tunelab schedule show --study NAME --storage URL`` prints a population-based training winner's
learning rate, read from the study."""

import tunelab
from tests.pbt import toys
from tests.runner.clirun import run
from tunelab.pbt import PopulationBasedTraining


def test_schedule_show_reads_the_winner_schedule_from_the_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'pbt.db'}"
    study = tunelab.create_study(storage=url, study_name="population", sampler=tunelab.samplers.RandomSampler(seed=0))
    found = PopulationBasedTraining(4, budget=4, interval=2, steps_per_unit=3, seed=2).optimize(
        study, toys.train, save=toys.save, load=toys.load, executor="thread")
    done = run("schedule", "show", "--study", "population", "--storage", url, "--every", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == repr(found.schedule)
    table = [line.split() for line in lines[2:]]
    assert [int(s) for s, _ in table] == [0, 3, 6, 9]  # the run's 12 steps, every third
    assert [float(v) for _, v in table] == [found.schedule(int(s)) for s, _ in table]


def test_schedule_show_refuses_a_study_that_is_no_population_and_two_sources(tmp_path):
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    tunelab.create_study(storage=url, study_name="plain").optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    done = run("schedule", "show", "--study", "plain", "--storage", url)
    assert done.returncode != 0 and "holds no finished population-based training interval" in done.stderr
    assert "Traceback" not in done.stderr
    both = run("schedule", "show", "StepLR(0.1, step_size=3)", "--study", "plain", "--storage", url)
    assert both.returncode != 0 and "invalid with --study: give one or the other" in both.stderr
    assert "Traceback" not in both.stderr
