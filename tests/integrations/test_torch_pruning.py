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
