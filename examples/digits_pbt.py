"""Population-based training of a PyTorch MLP on scikit-learn's digits (CPU, under a minute).

    python examples/digits_pbt.py            # 8 members x 20 epochs, 2 worker processes

The study is ``digits_pbt.db`` in the current directory, its checkpoints ``digits_pbt.db.pbt/``;
running the script again resumes an unfinished run (or reports the finished one): delete both to
start over.

Each member trains in intervals of 2 epochs; after each, the worst quarter copies a best-quarter
member's weights and hyperparameters and perturbs them. The result is the winner's learning rate
as one exact schedule, replayed here from scratch with another seed and printed.
"""

import numpy as np
import torch
from sklearn.datasets import load_digits

import tunelab
from tunelab.pbt import PopulationBasedTraining, replay

EPOCHS, BATCH = 20, 64


def data():
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    x = torch.tensor(x[order] / 16.0, dtype=torch.float32)
    y = torch.tensor(y[order])
    return x[:1400], y[:1400], x[1400:], y[1400:]


STEPS_PER_EPOCH = -(-1400 // BATCH)


def train(member, state):
    """One interval (``member.units``, 2 epochs) from ``state``; returns (validation loss, new state)."""
    torch.set_num_threads(1)
    lr = member.trial.suggest_float("lr", 1e-3, 1.0, log=True)
    wd = member.trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
    torch.manual_seed(member.seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
    if state is not None:  # the member's own checkpoint, or the top member's it copied
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        opt.param_groups[0]["weight_decay"] = wd
    xt, yt, xv, yv = data()
    generator = torch.Generator().manual_seed(member.seed)
    for epoch in member.units:
        order = torch.randperm(len(yt), generator=generator)
        for b in range(STEPS_PER_EPOCH):
            opt.param_groups[0]["lr"] = member.lr(epoch * STEPS_PER_EPOCH + b)  # the lineage's schedule
            idx = order[b * BATCH:(b + 1) * BATCH]
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = float(torch.nn.functional.cross_entropy(model(xv), yv))
        member.report(val, epoch)
    return (val if np.isfinite(val) else 10.0), {"model": model.state_dict(), "opt": opt.state_dict()}


def save(state, path):
    torch.save(state, path / "state.pt")


def load(path):
    return torch.load(path / "state.pt", weights_only=True)


if __name__ == "__main__":
    study = tunelab.create_study(storage="sqlite:///digits_pbt.db", study_name="digits-pbt",
                                 sampler=tunelab.samplers.AutoSampler(seed=0), load_if_exists=True)
    pbt = PopulationBasedTraining(8, budget=EPOCHS, interval=2, steps_per_unit=STEPS_PER_EPOCH, seed=0)
    found = pbt.optimize(study, train, save=save, load=load, n_jobs=2)  # checkpoints in digits_pbt.db.pbt/
    print(f"winner: member {found.member}, validation loss {found.best_value:.4f}")
    print("its learning rate:", found.schedule)
    print("replayed from scratch with another seed:", round(replay(found, train, seed=1, save=save, load=load), 4))
    # the schedule alone, in any training loop: tunelab.integrations.torch.scheduler(optimizer, found.schedule)
