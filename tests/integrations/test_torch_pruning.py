"""The plain-PyTorch helpers: snapshots, cooldown probes and the trial reporter."""

import pytest

torch = pytest.importorskip("torch")

import tunelab  # noqa: E402
from tunelab import pruners  # noqa: E402
from tunelab.integrations import torch_pruning  # noqa: E402


def _setup():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(32, 4), torch.randn(32, 1)

    def train_step():
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()

    def evaluate():
        with torch.no_grad():
            return float(torch.nn.functional.mse_loss(model(x), y))

    return model, optimizer, train_step, evaluate


def test_a_cooldown_probe_leaves_training_exactly_where_it_was():
    model, optimizer, train_step, evaluate = _setup()
    for _ in range(5):
        train_step()
    reference = _setup()
    for _ in range(5):
        reference[2]()
    probed = torch_pruning.cooldown_probe(model, optimizer, train_step=train_step, evaluate=evaluate,
                                          steps_so_far=5, fraction=0.6)
    assert probed != evaluate()
    for _ in range(3):  # continuing after the probe matches a run that never probed
        train_step()
        reference[2]()
    assert torch.equal(model.weight, reference[0].weight)
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_snapshot_rejects_what_is_not_a_module():
    with pytest.raises(tunelab.InvalidTypeError, match=r"model=.* must be a torch.nn.Module"):
        torch_pruning.snapshot("model", None)


def test_reporter_records_the_applied_rates_and_prunes():
    study = tunelab.create_study(pruner=pruners.ThresholdPruner(upper=1.0))
    trial = study.ask()
    model, optimizer, train_step, _ = _setup()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    reporter = torch_pruning.TrialReporter(trial, optimizer)
    for _ in range(4):
        train_step()
        reporter.record_lr()
        scheduler.step()
    reporter.report(0.5, 0)
    assert trial.user_attrs["lr_trace"] == [[0, 0.1], [1, 0.1], [2, 0.05], [3, 0.05]]
    with pytest.raises(tunelab.TrialPruned):
        reporter.report(2.0, 1)


# --- the applied rate, checked against the trial's schedule -----------------------------------

import re  # noqa: E402
import warnings  # noqa: E402

from tunelab.integrations.torch import scheduler as tunelab_scheduler  # noqa: E402

STEPS, PER_EPOCH = 12, 4


def _loop(drawn, order, *, per_epoch=False, twice=False, other=False):
    """Train 12 steps as the docs show (or with one mistake); the trial and the warnings raised."""
    trial, schedule = drawn
    model, optimizer, train_step, _ = _setup()
    sched = tunelab_scheduler(optimizer, schedule)
    extra = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9) if other else None
    reporter = torch_pruning.TrialReporter(trial, optimizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in range(STEPS // PER_EPOCH):
            for _ in range(PER_EPOCH):
                train_step()
                if order == "record-first":
                    reporter.record_lr()
                if not per_epoch:
                    sched.step()
                if twice:
                    sched.step()
                if extra is not None:
                    extra.step()
                if order == "documented":
                    reporter.record_lr()
            if per_epoch:
                sched.step()
            reporter.report(0.5, epoch)
    return trial, schedule, [str(w.message) for w in caught if str(w.message).startswith("tunelab:")]


@pytest.mark.parametrize("order", ["documented", "record-first"])
def test_the_trace_at_step_k_is_the_schedule_at_k_in_either_order(drawn, order):
    trial, schedule, warned = _loop(drawn, order)
    trace = trial.user_attrs["lr_trace"]
    assert [s for s, _ in trace] == list(range(STEPS))
    assert [lr for _, lr in trace] == pytest.approx([float(schedule(k)) for k in range(STEPS)], rel=1e-12)
    assert warned == []


def test_the_reporter_counts_optimizer_steps_not_probe_steps():
    model, optimizer, train_step, evaluate = _setup()
    reporter = torch_pruning.TrialReporter(tunelab.create_study().ask(), optimizer)
    for _ in range(5):
        train_step()
        reporter.record_lr()
    torch_pruning.cooldown_probe(model, optimizer, train_step=train_step, evaluate=evaluate,
                                 steps_so_far=reporter.step, fraction=0.6)
    train_step()
    reporter.record_lr()
    assert reporter.step == 6
    assert [s for s, _ in reporter.trace.points] == list(range(6))


@pytest.mark.parametrize(("mistake", "said", "fix"), [
    ("per_epoch", "stepped less often than the optimizer",
     r"call its step\(\) once after every optimizer.step\(\), not once per epoch"),
    ("twice", "stepped more than once per optimizer step", r"exactly once per optimizer.step\(\)"),
    ("other", "another scheduler on the same optimizer", r"remove the other"),
])
def test_a_mistaken_loop_warns_once_naming_the_fix(drawn, mistake, said, fix):
    _, _, warned = _loop(drawn, "documented", **{mistake: True})
    assert len(warned) == 1
    assert said in warned[0]
    assert re.search(fix, warned[0])
