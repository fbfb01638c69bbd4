"""Train a PyTorch MLP on scikit-learn's bundled digits data (no download) and report to tunelab.

Runs on its own (``python train.py --optimizer adam``) and under ``tunelab run tunelab.toml``,
which passes each trial's parameters as ``--name=value`` arguments. The script reports the
validation loss after every epoch (``tunelab.report(val_loss, step=epoch)``), stops when the
pruner says so (``tunelab.should_prune()``) or when the validation loss has not improved for
``--patience`` epochs (early stopping), and reports the best validation loss as its result.

Under ``tunelab run pbt.toml`` (population-based training) it also gets ``--checkpoint_in`` (the
checkpoint to resume from, empty at the start) and ``--checkpoint_out`` (where to save one), and
``--epochs`` is the epoch to train up to; without them it trains from scratch as before.
"""

import argparse
import os
from pathlib import Path

import numpy as np
import torch

import tunelab
from tunelab.integrations.torch import scheduler
from tunelab.schedules import constant_schedule

CACHE = Path(__file__).with_name("digits.npz")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits data, cached beside the script after the first load (saves importing sklearn)."""
    if not CACHE.exists():
        from sklearn.datasets import load_digits as sk_load

        x, y = sk_load(return_X_y=True)
        tmp = CACHE.with_suffix(f".{os.getpid()}.npz")
        np.savez(tmp, x=x.astype(np.float32) / 16.0, y=y.astype(np.int64))
        os.replace(tmp, CACHE)
    data = np.load(CACHE)
    return data["x"], data["y"]


def build(n_layers: int, width: int, activation: str) -> torch.nn.Module:
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU}[activation]
    layers, size = [], 64
    for _ in range(n_layers):
        layers += [torch.nn.Linear(size, width), act()]
        size = width
    layers.append(torch.nn.Linear(size, 10))
    return torch.nn.Sequential(*layers)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n_layers", type=int, default=2)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--activation", default="relu")
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--weight_decay", type=float, default=0.0)
    p.add_argument("--lr", default=None, help="the schedule's config (JSON), set by tunelab run")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--checkpoint_in", default="", help="resume from this checkpoint (population-based training)")
    p.add_argument("--checkpoint_out", default="", help="save a checkpoint here at the end")
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    x, y = load_digits()
    order = np.random.default_rng(0).permutation(len(x))
    n_val = len(x) // 5
    val, train = order[:n_val], order[n_val:]
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    xv, yv = torch.from_numpy(x[val]), torch.from_numpy(y[val])
    steps_per_epoch = -(-len(train) // args.batch_size)
    total_steps = args.epochs * steps_per_epoch

    model = build(args.n_layers, args.width, args.activation)
    # the schedule searched by tunelab, rebuilt for this run's real number of optimizer steps
    if args.lr and _is_number(args.lr):  # a plain rate (population-based training searches one per interval)
        lr = constant_schedule(float(args.lr))
    else:
        lr = tunelab.runner.schedule("lr", total_steps=total_steps) if args.lr else constant_schedule(1e-3)
    opt_cls = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}[args.optimizer]
    extra = {"momentum": args.momentum} if args.optimizer == "sgd" else {}
    optimizer = opt_cls(model.parameters(), lr=float(lr(0)), weight_decay=args.weight_decay, **extra)
    start = 0
    if args.checkpoint_in:
        saved = torch.load(args.checkpoint_in, weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        for group in optimizer.param_groups:  # this run's values, not the saved ones
            group.update(lr=float(lr(0)), weight_decay=args.weight_decay, **extra)
            group.pop("initial_lr", None)
        start = int(saved["epoch"])
    lr_scheduler = scheduler(optimizer, lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    best, since_best = float("inf"), 0
    generator = torch.Generator().manual_seed(1)
    trained = start
    for epoch in range(start, args.epochs):
        model.train()
        for idx in torch.randperm(len(xt), generator=generator).split(args.batch_size):
            optimizer.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            optimizer.step()
            lr_scheduler.step()
        trained = epoch + 1
        model.eval()
        with torch.no_grad():
            logits = model(xv)
            val_loss = float(loss_fn(logits, yv))
            accuracy = float((logits.argmax(1) == yv).float().mean())
        print(f"epoch {epoch}: val_loss={val_loss:.4f} accuracy={accuracy:.4f} lr={lr_scheduler.get_last_lr()[0]:.3g}")
        tunelab.report(val_loss, step=epoch, accuracy=accuracy)
        if not np.isfinite(val_loss) or tunelab.should_prune():
            break
        if val_loss < best:
            best, since_best = val_loss, 0
        else:
            since_best += 1
            if since_best >= args.patience:
                print(f"early stop after epoch {epoch}: no improvement for {args.patience} epochs")
                break
    if args.checkpoint_out:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": trained},
                   args.checkpoint_out)
    tunelab.report(best)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    main()
