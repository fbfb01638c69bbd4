"""Evaluate 10**6 steps of a schedule: tunelab (vectorised) vs stepping torch vs calling Keras per step.

Run: ``python benchmarks/schedules.py [--steps 1000000] [--torch-steps 100000] [--keras-steps 5000]``.
tunelab evaluates all ``--steps`` at once. Stepping a torch scheduler (plain torch, one param group)
and calling a Keras schedule per step are timed over fewer steps and extrapolated linearly to
``--steps`` (both cost the same per step at any step); the table says which counts were measured.
Keras rows appear when keras is importable. All ratios come from this one run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tunelab import schedules as ts


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_torch(make, n: int) -> float:
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    scheduler = make(torch.optim.lr_scheduler, opt)
    opt.step()  # the order torch expects, so no warning path is taken

    def loop():
        for _ in range(n):
            scheduler.step()
    return seconds(loop)


def time_keras(schedule, n: int) -> float:
    def loop():
        for k in range(n):
            float(schedule(k))
    return seconds(loop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10**6)
    parser.add_argument("--torch-steps", type=int, default=10**5)
    parser.add_argument("--keras-steps", type=int, default=5000)
    args = parser.parse_args()
    steps = np.arange(args.steps)
    cases = [
        ("StepLR", ts.StepLR(0.1, 30, 0.5), lambda L, o: L.StepLR(o, 30, 0.5)),
        ("CosineAnnealingLR", ts.CosineAnnealingLR(0.1, 10_000), lambda L, o: L.CosineAnnealingLR(o, 10_000)),
        ("CosineAnnealingWarmRestarts", ts.CosineAnnealingWarmRestarts(0.1, 100, 2),
         lambda L, o: L.CosineAnnealingWarmRestarts(o, 100, 2)),
        ("OneCycleLR", ts.OneCycleLR(0.1, args.steps), lambda L, o: L.OneCycleLR(o, 0.1, args.steps)),
    ]
    scale_t = args.steps / args.torch_steps
    print(f"{args.steps} steps; torch measured over {args.torch_steps} steps and extrapolated x{scale_t:g}")
    print(f"{'family':<30}{'tunelab s':>11}{'torch s':>11}{'torch/tunelab':>15}")
    for name, schedule, make in cases:
        t_ours = seconds(lambda s=schedule: s(steps))
        t_torch = time_torch(make, args.torch_steps) * scale_t
        print(f"{name:<30}{t_ours:>11.4f}{t_torch:>11.2f}{t_torch / t_ours:>15.0f}")
    try:
        import keras
    except ImportError:
        print("keras not installed: Keras rows skipped")
        return
    ks = keras.optimizers.schedules
    keras_cases = [
        ("ExponentialDecay", ts.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
         ks.ExponentialDecay(0.1, 1000, 0.96, staircase=True)),
        ("CosineDecay", ts.CosineDecay(0.1, 10_000), ks.CosineDecay(0.1, 10_000)),
        ("CosineDecayRestarts", ts.CosineDecayRestarts(0.1, 1000), ks.CosineDecayRestarts(0.1, 1000)),
    ]
    scale_k = args.steps / args.keras_steps
    print(f"keras {keras.__version__} ({keras.backend.backend()} backend) measured over {args.keras_steps} "
          f"calls and extrapolated x{scale_k:g}")
    print(f"{'family':<30}{'tunelab s':>11}{'keras s':>11}{'keras/tunelab':>15}")
    for name, schedule, theirs in keras_cases:
        t_ours = seconds(lambda s=schedule: s(steps))
        t_keras = time_keras(theirs, args.keras_steps) * scale_k
        print(f"{name:<30}{t_ours:>11.4f}{t_keras:>11.1f}{t_keras / t_ours:>15.0f}")


if __name__ == "__main__":
    main()
