"""tunelab's PBT against Ray Tune's PopulationBasedTraining on the digits MLP, at equal total epochs.

    .venv/bin/pip install "ray[tune]==$(.venv/bin/python -c 'import ray; print(ray.__version__)')"
    .venv/bin/python benchmarks/pbt/ray_peer.py --seeds 5    # adds its table to benchmarks/pbt/RESULTS.md

``ray[tune]`` is needed by this script alone (it is no dependency of tunelab, nor of its ``ray``
extra). Both sides train the same model the same way (``benchmarks/pbt/problems.py``: 16 SGD steps
per epoch, the learning rate and weight decay searched log-uniformly in the same ranges): 8 members
x 20 epochs, an exploit/explore step every 2 epochs, quantile 0.25, factors 1.2 / 0.8, resample
probability 0.25, synchronous generations (Ray's ``synch=True``), explored: both parameters. Per
seed, tunelab draws its first population with the default sampler (``AutoSampler(seed)``, as
``run.py`` does) and seeds exploit/explore with ``seed``; Ray Tune's draws come from Python's and
numpy's global generators, seeded with ``seed`` before ``Tuner.fit``. A member's model is seeded
per seed and member on both sides (Ray's trainable reads its member index from the trial's config). Ray runs all 8 members at once
as actors of 1/4 CPU each; tunelab one at a time in its process (as in ``run.py``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.pbt import problems as pr  # noqa: E402
from benchmarks.pbt.run import INTERVAL, POPULATION, Timer, mean_sd, run_pbt, seed_options, seeds_of  # noqa: E402


def _ray_trainable(config):
    import ray.tune as tune

    from benchmarks.pruning.problems import model

    torch.set_num_threads(1)
    seed = int(np.random.SeedSequence([config["seed"], config["member"]]).generate_state(1)[0])
    torch.manual_seed(seed)
    net = model("mlp")
    opt = torch.optim.SGD(net.parameters(), lr=config["lr"], momentum=0.9, weight_decay=config["weight_decay"])
    start = 0
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            state = torch.load(Path(folder) / "state.pt", weights_only=True)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start = int(state["epoch"])
        for group in opt.param_groups:  # the explored values, not the donor's
            group["weight_decay"] = config["weight_decay"]
    generator = torch.Generator().manual_seed(seed + start)
    _, _, xv, yv, *_ = pr.split()
    for epoch in range(start, pr.EPOCHS):
        pr.train_epoch(net, opt, epoch, lambda step: config["lr"], generator)
        val = pr.evaluate(net, xv, yv)
        with tempfile.TemporaryDirectory() as folder:
            torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1},
                       Path(folder) / "state.pt")
            tune.report({"val": val, "epoch": epoch + 1}, checkpoint=tune.Checkpoint.from_directory(folder))


def run_ray(seed: int, root: Path) -> dict:
    import ray
    import ray.tune as tune
    from ray.tune.schedulers import PopulationBasedTraining

    random.seed(seed)
    np.random.seed(seed)
    space = {"lr": tune.loguniform(*pr.LR), "weight_decay": tune.loguniform(*pr.WD)}
    scheduler = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=INTERVAL,
                                        hyperparam_mutations=space, quantile_fraction=0.25,
                                        resample_probability=0.25, perturbation_factors=(1.2, 0.8), synch=True)
    param_space = {**space, "seed": seed, "member": tune.grid_search(list(range(POPULATION)))}
    t = time.perf_counter()
    tuner = tune.Tuner(tune.with_resources(_ray_trainable, {"cpu": 0.25}), param_space=param_space,
                       tune_config=tune.TuneConfig(scheduler=scheduler, metric="val", mode="min", num_samples=1),
                       run_config=tune.RunConfig(name=f"ray-pbt-{seed}", storage_path=str(root), verbose=0,
                                                 stop={"training_iteration": pr.EPOCHS},
                                                 checkpoint_config=tune.CheckpointConfig(num_to_keep=None)))
    results = tuner.fit()
    wall = time.perf_counter() - t
    best = results.get_best_result(metric="val", mode="min", scope="last")
    with best.checkpoint.as_directory() as folder:
        state = torch.load(Path(folder) / "state.pt", weights_only=True)
    net = pr.model("mlp")
    net.load_state_dict(state["model"])
    *_, xs, ys = pr.split()
    epochs = sum(int(r.metrics.get("training_iteration", 0)) for r in results)
    ray.shutdown()
    return {"val": float(best.metrics["val"]), "test": pr.evaluate(net, xs, ys), "epochs": epochs, "wall": wall}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    seed_options(p)
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = p.parse_args()
    import ray

    start_ray = lambda: ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,  # noqa: E731
                                 logging_level="ERROR", runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    start_ray()
    rows: dict[str, list[dict]] = {"tunelab PBT": [], "Ray Tune PBT": []}
    seeds = seeds_of(args)
    timer = Timer()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            rows["tunelab PBT"].append(run_pbt("mlp", seed, timer, Path(tmp)))
            if not ray.is_initialized():
                start_ray()
            rows["Ray Tune PBT"].append(run_ray(seed, Path(tmp)))
            print(seed, {k: round(v[-1]["val"], 4) for k, v in rows.items()}, flush=True)
    lines = ["", "## Peer: Ray Tune's PopulationBasedTraining (MLP)", "",
             f"Command: `.venv/bin/python benchmarks/pbt/ray_peer.py --seeds {args.seeds} --first-seed "
             f"{args.first_seed}` (ray {ray.__version__}, "
             "2 CPU cores; setup in the script's docstring). Same model, data, search space, population, interval, "
             "quantile, factors and resample probability; mean ± standard deviation over seeds.", "",
             "| method | val loss | test loss | epochs | wall s |", "|---|---|---|---|---|"]
    for name, rs in rows.items():
        lines.append(f"| {name} | {mean_sd([r['val'] for r in rs])} | {mean_sd([r['test'] for r in rs])} | "
                     f"{statistics.mean(r['epochs'] for r in rs):.0f} | {statistics.mean(r['wall'] for r in rs):.1f} |")
    lines += ["", "| seed | " + " | ".join(rows) + " |", "|---|" + "---|" * len(rows)]
    for i, seed in enumerate(seeds):
        lines.append(f"| {seed} | " + " | ".join(f"{rs[i]['val']:.4f}" for rs in rows.values()) + " |")
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    old = out.read_text() if out.exists() else ""
    head = old.split("\n## Peer: Ray Tune")[0].rstrip("\n") + "\n"
    out.write_text(head + text)
    print(text)


if __name__ == "__main__":
    main()
