"""Toy training for the PBT tests: noisy SGD on a quadratic, deterministic for a given seed.

The state is the weights and the list of (step, learning rate) every step of the lineage used, so
a test can compare what training actually did with the schedule PBT reports. Module-level, so
worker processes import it.
"""

import json
import os
import signal
from pathlib import Path

import numpy as np

CURVATURE = np.array([1.0, 0.5, 0.1, 2.0])


def train(member, state):
    member.trial.suggest_float("lr", 1e-3, 0.9, log=True)
    member.trial.suggest_float("momentum", 0.0, 0.5)  # explored too, never used: keeps two params honest
    w = np.full(4, 3.0) if state is None else np.array(state["w"])
    used = [] if state is None else list(state["used"])
    for step in member.steps:
        rate = member.lr(step)
        noise = np.random.default_rng([member.seed, step]).normal(0.0, 1.0, 4)
        w = w - rate * (CURVATURE * w + noise)
        used.append([step, rate])
    member.report(loss(w), member.stop - 1)
    return loss(w), {"w": w.tolist(), "used": used}


def loss(w):
    return 0.5 * float(np.sum(CURVATURE * np.asarray(w) ** 2))


def save(state, path):
    (Path(path) / "state.json").write_text(json.dumps(state))


def load(path):
    return json.loads((Path(path) / "state.json").read_text())


def train_killed_once(member, state):
    """``train``, but the process running member 1's generation 2 kills itself the first time
    (a marker file beside the checkpoints says it happened)."""
    marker = Path(os.environ["TUNELAB_PBT_KILL_MARKER"])
    if member.member == 1 and member.generation == 2 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return train(member, state)


def train_stalls_once(member, state):
    """``train``, but member 0's generation 2 writes a marker file and hangs the first time (the
    test kills the driver then)."""
    import time

    marker = Path(os.environ["TUNELAB_PBT_STALL_MARKER"])
    if member.member == 0 and member.generation == 2 and not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return train(member, state)
