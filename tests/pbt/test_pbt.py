"""PopulationBasedTraining on a study: generations, exploit/explore, lineage, checkpoints, resuming."""

import json

import numpy as np
import pytest

import tunelab
from tests.pbt import toys
from tunelab.pbt import PBTError, PopulationBasedTraining, result
from tunelab.samplers import RandomSampler
from tunelab.schedules import Schedule

P, BUDGET, INTERVAL, SPU = 6, 12, 2, 5


def make_study(storage=None, name="pbt", seed=3):
    return tunelab.create_study(storage=storage, study_name=name, sampler=RandomSampler(seed=seed),
                                pruner=tunelab.pruners.NopPruner())


def run(study, tmp_path, train=toys.train, **kwargs):
    pbt = PopulationBasedTraining(P, budget=BUDGET, interval=INTERVAL, steps_per_unit=SPU, seed=7,
                                  **kwargs)
    return pbt, pbt.optimize(study, train, save=toys.save, load=toys.load, checkpoint_dir=tmp_path / "ckpt")


def population(study):
    return [t for t in study.trials if "pbt" in t.user_attrs]


def test_every_member_trains_every_interval_once_as_one_trial(tmp_path):
    study = make_study()
    pbt, found = run(study, tmp_path)
    trials = population(study)
    assert len(trials) == P * pbt.n_generations == 36
    cells = sorted((t.user_attrs["pbt"]["generation"], t.user_attrs["pbt"]["member"]) for t in trials)
    assert cells == [(g, m) for g in range(6) for m in range(P)]
    for t in trials:
        g = t.user_attrs["pbt"]["generation"]
        assert (t.user_attrs["pbt"]["start"], t.user_attrs["pbt"]["stop"]) == (2 * g, 2 * g + 2)
    last = [t for t in trials if t.user_attrs["pbt"]["generation"] == 5]
    assert found.best_value == min(t.value for t in last)
    assert [iv.generation for iv in found.lineage] == list(range(6))


def test_the_bottom_quantile_copies_a_top_member_and_explores(tmp_path):
    study = make_study()
    pbt, _ = run(study, tmp_path)
    assert pbt.n_exploit == 2  # ceil(0.25 * 6)
    by_cell = {(t.user_attrs["pbt"]["generation"], t.user_attrs["pbt"]["member"]): t for t in population(study)}
    for g in range(1, pbt.n_generations):
        plan = study.system_attrs[f"pbt:generation:{g}"]
        prev = sorted((by_cell[(g - 1, m)].value, m) for m in range(P))
        top, bottom = {m for _, m in prev[:2]}, {m for _, m in prev[-2:]}
        assert {e["member"] for e in plan if e["exploited"]} == bottom
        for e in plan:
            trial = by_cell[(g, e["member"])]
            parent = study.trials[trial.user_attrs["pbt"]["parent"]]
            if e["exploited"]:
                assert parent.user_attrs["pbt"]["member"] in top and parent.user_attrs["pbt"]["member"] == e["parent_member"]
                assert set(e["perturbation"]) == {"lr", "momentum"}  # the float parameters
                for name, how in e["perturbation"].items():
                    assert how["from"] == parent.params[name] and how["to"] == trial.params[name]
                    if how["how"] != "resample":
                        assert how["to"] == pytest.approx(min(max(how["from"] * float(how["how"][1:]),
                                                                  0.0 if name == "momentum" else 1e-3),
                                                              0.5 if name == "momentum" else 0.9))
            else:  # goes on from its own checkpoint with its own values
                assert parent.user_attrs["pbt"]["member"] == e["member"]
                assert trial.params == parent.params


def test_the_winner_schedule_is_exactly_the_rate_every_step_used(tmp_path):
    study = make_study()
    _, found = run(study, tmp_path)
    used = toys.load(found.checkpoint)["used"]  # carried through every checkpoint of the lineage
    assert [s for s, _ in used] == list(range(BUDGET * SPU))  # nothing lost, nothing run twice
    assert all(found.schedule(s) == rate for s, rate in used)
    assert [found.schedule(s * SPU * INTERVAL) for s in range(6)] == [iv.params["lr"] for iv in found.lineage]
    again = Schedule.from_config(json.loads(json.dumps(found.schedule.to_config())))
    assert again == found.schedule
    # the winner's last trial holds the same schedule; each trial its lineage's so far
    assert study.trials[found.best_trial].schedule("lr") == found.schedule
    assert result(study) == found


def test_the_winner_schedule_drives_a_torch_optimizer(tmp_path):
    torch = pytest.importorskip("torch")
    from tunelab.integrations.torch import scheduler

    study = make_study()
    _, found = run(study, tmp_path)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=found.schedule(0))
    sched = scheduler(opt, found.schedule)
    seen = []
    for _ in range(BUDGET * SPU):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == [found.schedule(s) for s in range(BUDGET * SPU)]


def test_linear_segments_ramp_between_perturbation_points(tmp_path):
    study = make_study()
    _, found = run(study, tmp_path, lr_segment="linear")
    used = toys.load(found.checkpoint)["used"]
    assert all(found.schedule(s) == rate for s, rate in used)
    lrs = [iv.params["lr"] for iv in found.lineage]
    changed = next(g for g in range(1, 6) if lrs[g] != lrs[g - 1])
    first = changed * INTERVAL * SPU
    assert found.schedule(first) == pytest.approx(lrs[changed - 1])  # starts where the last interval ended
    assert found.schedule(first + 5) == pytest.approx((lrs[changed - 1] + lrs[changed]) / 2)
    assert found.schedule(BUDGET * SPU) == pytest.approx(lrs[-1])


def test_a_run_stopped_by_an_error_resumes_to_the_same_result(tmp_path):
    reference = make_study(name="reference")
    _, expected = run(reference, tmp_path / "a")

    calls = {"n": 0}

    def flaky(member, state):
        if member.generation == 3 and member.member == 2 and calls["n"] == 0:
            calls["n"] += 1
            raise RuntimeError("disk full")
        return toys.train(member, state)

    study = make_study(name="resumed")
    with pytest.raises(RuntimeError, match="disk full"):
        run(study, tmp_path / "b", train=flaky)
    assert "pbt:generation:4" not in study.system_attrs
    _, found = run(study, tmp_path / "b", train=flaky)
    assert found.best_value == expected.best_value
    assert found.schedule == expected.schedule
    failed = [t for t in population(study) if t.state == tunelab.TrialState.FAIL]
    assert len(failed) == 1 and "disk full" in failed[0].fail_reason
    assert len(population(study)) == P * 6 + 1


def test_a_member_that_fails_every_retry_stops_the_run_naming_it(tmp_path):
    def broken(member, state):
        if member.generation == 1 and member.member == 0:
            raise RuntimeError("bad batch")
        return toys.train(member, state)

    study = make_study()
    pbt = PopulationBasedTraining(3, budget=4, interval=2, max_retries=1, seed=0)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="bad batch"):
            pbt.optimize(study, broken, save=toys.save, load=toys.load, checkpoint_dir=tmp_path)
    with pytest.raises(PBTError, match=r"member 0's interval 1 failed 2 times \(max_retries=1\).*bad batch"):
        pbt.optimize(study, broken, save=toys.save, load=toys.load, checkpoint_dir=tmp_path)


def test_checkpoints_live_beside_the_sqlite_file_and_old_ones_go(tmp_path):
    study = make_study(storage=f"sqlite:///{tmp_path / 'runs.db'}", name="digits")
    pbt = PopulationBasedTraining(3, budget=6, interval=2, seed=0)
    found = pbt.optimize(study, toys.train, save=toys.save, load=toys.load)
    root = tmp_path / "runs.db.pbt" / "digits"
    assert found.checkpoint == root / f"trial_{found.best_trial}"
    last = sorted(t.number for t in population(study) if t.user_attrs["pbt"]["generation"] == 2)
    assert sorted(p.name for p in root.iterdir()) == sorted(f"trial_{n}" for n in last)


def test_keep_checkpoints_keeps_every_trial_and_a_missing_one_is_named(tmp_path):
    study = make_study()
    pbt = PopulationBasedTraining(3, budget=6, interval=2, keep_checkpoints=True, seed=0)
    pbt.optimize(study, toys.train, save=toys.save, load=toys.load, checkpoint_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 9
    import shutil

    shutil.rmtree(tmp_path / "trial_0")
    other = make_study(name="other")
    pbt2 = PopulationBasedTraining(3, budget=6, interval=2, seed=0)
    pbt2.optimize(other, toys.train, save=toys.save, load=toys.load, checkpoint_dir=tmp_path / "o")
    shutil.rmtree(tmp_path / "o")
    bigger = PopulationBasedTraining(3, budget=8, interval=2, seed=0)
    with pytest.raises(PBTError, match="budget=8 is invalid for study 'other'.*budget=6"):
        bigger.optimize(other, toys.train, save=toys.save, load=toys.load, checkpoint_dir=tmp_path / "o")


def test_a_missing_parent_checkpoint_is_named(tmp_path):
    def lose_checkpoints(member, state):
        if member.generation == 1 and member.member == 0:  # runs first: the others' parents vanish
            import shutil

            for path in tmp_path.glob("trial_*"):
                shutil.rmtree(path)
        return toys.train(member, state)

    study = make_study()
    pbt = PopulationBasedTraining(2, budget=4, interval=1, seed=0)
    with pytest.raises(PBTError, match=r"the checkpoint of trial \d that member 1 starts generation 1 from is "
                                       r"missing: .*trial_\d"):
        pbt.optimize(study, lose_checkpoints, save=toys.save, load=toys.load, checkpoint_dir=tmp_path)


def test_without_save_and_load_train_writes_its_own_checkpoint(tmp_path):
    def by_path(member, state):
        assert state is None
        previous = None if member.checkpoint is None else toys.load(member.checkpoint)
        value, new = toys.train(member, previous)
        toys.save(new, member.save_path)
        return value

    study = make_study()
    found = PopulationBasedTraining(3, budget=4, interval=2, seed=0).optimize(
        study, by_path, checkpoint_dir=tmp_path)
    assert [s for s, _ in toys.load(found.checkpoint)["used"]] == list(range(4))


def test_replay_retrains_the_lineage_from_scratch(tmp_path):
    study = make_study()
    _, found = run(study, tmp_path)
    seen = []

    def recording(member, state):
        seen.append((member.generation, member.trial.params["lr"] if member.trial.params else None))
        value, new = toys.train(member, state)
        seen[-1] = (member.generation, member.trial.params["lr"], member.trial.params["momentum"])
        return value, new

    a = tunelab.pbt.replay(found, recording, seed=1, save=toys.save, load=toys.load)
    assert seen == [(iv.generation, iv.params["lr"], iv.params["momentum"]) for iv in found.lineage]
    assert a == tunelab.pbt.replay(found, toys.train, seed=1)  # through save/load or in memory: the same
    b = tunelab.pbt.replay(found, toys.train, seed=2)
    assert a != b and np.isfinite(b)
    assert a < 5.0 and b < 5.0  # from 3.0 everywhere (loss 26) to near the optimum, as the winner did


def test_tunelab_schedule_show_takes_the_winner_as_printed(tmp_path, capsys):
    from tunelab.cli import main

    study = make_study()
    _, found = run(study, tmp_path)
    assert main(["schedule", "show", repr(found.schedule), "--steps", str(BUDGET * SPU), "--every", "10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == repr(found.schedule)
    assert [float(line.split()[1]) for line in lines[2:]] == [found.schedule(s) for s in range(0, 60, 10)]
