"""Generate tests/schedules/golden/*.json by running the real frameworks.

Needs Keras 3 (TensorFlow backend), optax with jax, and transformers with torch, none of which
tunelab needs; install them in a separate environment outside the repository, e.g.::

    python3 -m venv /work/fwenv
    /work/fwenv/bin/pip install numpy keras jax jaxlib optax tensorflow-cpu transformers torch
    /work/fwenv/bin/python scripts/golden_schedules.py            # all frameworks
    /work/fwenv/bin/python scripts/golden_schedules.py optax      # one of keras, optax, transformers

Each case stores the tunelab family name and arguments (a ``Schedule.to_config()``), the steps, and
the framework's values in float64 (Keras with ``floatx`` float64, jax with x64) and, for Keras and
optax, in their default float32 (``None`` where a step does not fit the float32 path's integers).
tests/schedules/test_golden.py rebuilds each schedule from its config and compares.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "schedules" / "golden"
LARGE = [10**6, 10**6 + 1, 2**31 - 1, 2**40 + 3, 2**53 - 1]


def steps_around(*landmarks: float, extra: tuple[float, ...] = ()) -> list[float]:
    """Step 0, 1, each landmark and its neighbours, the large steps and ``extra``, sorted."""
    out = {0, 1, *LARGE, *extra}
    for mark in landmarks:
        out.update(s for s in (mark - 1, mark, mark + 1) if s >= 0)
    return sorted(out)


# -- Keras -------------------------------------------------------------------------------------------

KERAS_CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96), [1000, 2500]),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=True),
     [1000, 2000, 3000]),
    ("ExponentialDecay", dict(initial_learning_rate=1.0, decay_steps=7, decay_rate=0.5, staircase=True),
     [7, 14, 700]),
    ("ExponentialDecay", dict(initial_learning_rate=0.01, decay_steps=3.5, decay_rate=0.99), [3.5, 7]),
    ("PiecewiseConstantDecay", dict(boundaries=[100, 200], values=[1.0, 0.5, 0.1]), [100, 200]),
    ("PiecewiseConstantDecay", dict(boundaries=[10], values=[0.3, 0.03]), [10]),
    ("PiecewiseConstantDecay", dict(boundaries=[2.5, 7.5, 9.0], values=[0.4, 0.3, 0.2, 0.1]), [2.5, 7.5, 9]),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=1000), [500, 1000]),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.01, power=2.0),
     [50, 100]),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.01, power=0.5,
                             cycle=True), [100, 200, 300, 1000]),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=7, end_learning_rate=0.0, cycle=True),
     [7, 14, 21]),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5), [1000, 5000]),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=2.0, staircase=True),
     [10, 20, 30]),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=1000), [500, 1000]),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=1000, alpha=0.1), [500, 1000]),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=1000, warmup_target=0.5, warmup_steps=100),
     [50, 100, 600, 1100]),
    ("CosineDecay", dict(initial_learning_rate=0.01, decay_steps=200, alpha=0.05, warmup_target=0.1,
                         warmup_steps=30), [30, 130, 230]),
    ("CosineDecay", dict(initial_learning_rate=0.01, decay_steps=50, warmup_target=0.1, warmup_steps=0),
     [25, 50]),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10),
     [10, 30, 70, 150, 310, 630, 1270]),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5,
                                 alpha=0.1), [10, 30, 70, 150, 310]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=100, t_mul=1.0, m_mul=0.9),
     [100, 200, 300, 1000]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=8, t_mul=1.5),
     [8, 20, 38, 65, 105.5]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=3, t_mul=3.0, m_mul=0.8),
     [3, 12, 39, 120, 363, 1092]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=1000, t_mul=2.0),
     [1000, 3000, 7000, 15000, 31000, 63000, 127000]),
]


def keras_cases() -> dict:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    from keras.optimizers import schedules as ks

    cases = []
    for family, args, marks in KERAS_CASES:
        steps = steps_around(*marks, extra=(0.5, 2.25, float(marks[0]) - 0.5))
        values = {}
        for precision in ("float64", "float32"):
            # Keras computes in the dtype of initial_learning_rate (of values[0] for piecewise) and
            # casts the step to it: NumPy float64 arguments select the float64 path.
            real = getattr(np, precision)
            # Python float arguments would pass through float32 on their way in (ops.cast of a Python
            # float makes a float32 tensor first), so every float argument is given in that dtype.
            typed = {key: [real(v) for v in value] if key == "values" else
                     real(value) if isinstance(value, float) else value for key, value in args.items()}
            schedule = getattr(ks, family)(**typed)
            out = []
            for s in steps:
                if precision == "float32" and s > 2**24:
                    out.append(None)
                    continue
                v = np.asarray(keras.ops.convert_to_numpy(schedule(real(s))))
                assert v.dtype == np.dtype(precision), (family, v.dtype)
                out.append(float(v))
            values[precision] = out
        cases.append({"family": family, "args": args, "steps": steps, **values})
    import tensorflow as tf

    return {"framework": "keras", "versions": {"keras": keras.__version__, "tensorflow": tf.__version__,
                                               "backend": keras.backend.backend()}, "cases": cases}


# -- optax -------------------------------------------------------------------------------------------

_SGDR = [dict(init_value=0.0, peak_value=1.0, warmup_steps=5, decay_steps=50),
         dict(init_value=0.0, peak_value=0.5, warmup_steps=0, decay_steps=100, end_value=0.01),
         dict(init_value=0.1, peak_value=0.3, warmup_steps=10, decay_steps=30, exponent=2.0)]

OPTAX_CASES = [
    ("constant_schedule", dict(value=0.1), []),
    ("linear_schedule", dict(init_value=0.0, end_value=1.0, transition_steps=100), [50, 100]),
    ("linear_schedule", dict(init_value=1.0, end_value=0.1, transition_steps=100, transition_begin=50),
     [50, 150]),
    ("linear_schedule", dict(init_value=0.3, end_value=0.1, transition_steps=0), [10]),
    ("polynomial_schedule", dict(init_value=1.0, end_value=0.01, power=2, transition_steps=100,
                                 transition_begin=5), [5, 6, 105]),
    ("polynomial_schedule", dict(init_value=0.1, end_value=0.0, power=0.5, transition_steps=30), [15, 30]),
    ("exponential_decay", dict(init_value=0.1, transition_steps=100, decay_rate=0.9), [100, 1000]),
    ("exponential_decay", dict(init_value=0.1, transition_steps=100, decay_rate=0.9, staircase=True),
     [100, 200, 300]),
    ("exponential_decay", dict(init_value=0.1, transition_steps=7, decay_rate=0.5, transition_begin=50,
                               staircase=True, end_value=0.01), [50, 57, 64, 71, 78]),
    ("exponential_decay", dict(init_value=0.1, transition_steps=10, decay_rate=1.5, end_value=1.0),
     [10, 50, 60]),
    ("cosine_decay_schedule", dict(init_value=0.1, decay_steps=100), [50, 100]),
    ("cosine_decay_schedule", dict(init_value=0.1, decay_steps=100, alpha=0.1, exponent=2.0), [50, 100]),
    ("warmup_cosine_decay_schedule", dict(init_value=0.0, peak_value=1.0, warmup_steps=10, decay_steps=110,
                                          end_value=0.01), [10, 60, 110]),
    ("warmup_cosine_decay_schedule", dict(init_value=0.1, peak_value=0.5, warmup_steps=0, decay_steps=40,
                                          exponent=2.0), [20, 40]),
    ("warmup_exponential_decay_schedule", dict(init_value=0.0, peak_value=1.0, warmup_steps=10,
                                               transition_steps=20, decay_rate=0.5, transition_begin=5,
                                               staircase=True, end_value=0.1), [10, 15, 35, 55, 95]),
    ("warmup_exponential_decay_schedule", dict(init_value=0.01, peak_value=0.1, warmup_steps=20,
                                               transition_steps=100, decay_rate=0.8), [20, 120]),
    ("linear_onecycle_schedule", dict(transition_steps=100, peak_value=1.0), [30, 85, 100]),
    ("linear_onecycle_schedule", dict(transition_steps=1000, peak_value=0.1, pct_start=0.25, pct_final=0.9,
                                      div_factor=10.0, final_div_factor=100.0), [250, 900, 1000]),
    ("linear_onecycle_schedule", dict(transition_steps=100, peak_value=1.0, pct_start=0.29), [28, 29, 85]),
    ("cosine_onecycle_schedule", dict(transition_steps=100, peak_value=1.0), [30, 100]),
    ("cosine_onecycle_schedule", dict(transition_steps=53, peak_value=0.5, pct_start=0.4, div_factor=5.0,
                                      final_div_factor=50.0), [21, 53]),
    ("piecewise_constant_schedule", dict(init_value=0.1, boundaries_and_scales={100: 0.1, 200: 0.5}),
     [100, 200]),
    ("piecewise_constant_schedule", dict(init_value=1.0, boundaries_and_scales={0: 0.5, 10: 2.0, 11: 0.0}),
     [10, 11]),
    ("piecewise_interpolate_schedule", dict(interpolate_type="linear", init_value=1.0,
                                            boundaries_and_scales={10: 0.5, 20: 0.1}), [5, 10, 20]),
    ("piecewise_interpolate_schedule", dict(interpolate_type="cosine", init_value=1.0,
                                            boundaries_and_scales={0: 2.0, 7: 0.5, 30: 0.1}), [7, 18, 30]),
    ("piecewise_interpolate_schedule", dict(interpolate_type="linear", init_value=0.3), [5]),
    ("join_schedules", "join", [5, 15, 35]),
    ("sgdr_schedule", dict(cosine_kwargs=_SGDR), [5, 50, 150, 160, 180]),
]


def optax_cases() -> dict:
    import jax
    import numpy as np
    import optax

    def build(family, args):
        if family == "join_schedules":
            return optax.join_schedules([optax.constant_schedule(1.0), optax.linear_schedule(1.0, 0.0, 10),
                                         optax.cosine_decay_schedule(0.5, 20)], [5, 15])
        return getattr(optax, family)(**args)

    join_args = {"schedules": [
        {"family": "constant_schedule", "args": {"value": 1.0}},
        {"family": "linear_schedule", "args": {"init_value": 1.0, "end_value": 0.0, "transition_steps": 10,
                                               "transition_begin": 0}},
        {"family": "cosine_decay_schedule", "args": {"init_value": 0.5, "decay_steps": 20, "alpha": 0.0,
                                                     "exponent": 1.0}}], "boundaries": [5, 15]}
    cases = []
    for family, args, marks in OPTAX_CASES:
        steps = steps_around(*marks)
        values = {}
        for precision, x64 in (("float64", True), ("float32", False)):
            jax.config.update("jax_enable_x64", x64)
            schedule = build(family, args)
            out = []
            for s in steps:
                if not x64 and s >= 2**31:
                    out.append(None)
                    continue
                v = schedule(jax.numpy.asarray(s, dtype="int64" if x64 else "int32"))
                if isinstance(v, jax.Array):  # constant_schedule returns the Python float itself
                    assert v.dtype == np.dtype(precision), (family, v.dtype)
                out.append(float(v))
            values[precision] = out
        args = join_args if args == "join" else args
        cases.append({"family": family, "args": args, "steps": steps, **values})
    jax.config.update("jax_enable_x64", False)
    return {"framework": "optax", "versions": {"optax": optax.__version__, "jax": jax.__version__},
            "cases": cases}


# -- transformers --------------------------------------------------------------------------------------

TRANSFORMERS_CASES = [
    ("get_constant_schedule_with_warmup", dict(base_lr=1e-3, num_warmup_steps=10), [10]),
    ("get_constant_schedule_with_warmup", dict(base_lr=1e-3, num_warmup_steps=0), []),
    ("get_linear_schedule_with_warmup", dict(base_lr=1e-3, num_warmup_steps=10, num_training_steps=100),
     [10, 55, 100]),
    ("get_linear_schedule_with_warmup", dict(base_lr=0.1, num_warmup_steps=0, num_training_steps=50), [50]),
    ("get_cosine_schedule_with_warmup", dict(base_lr=1e-3, num_warmup_steps=10, num_training_steps=100),
     [10, 55, 100, 145, 190]),
    ("get_cosine_schedule_with_warmup", dict(base_lr=0.1, num_warmup_steps=0, num_training_steps=50,
                                             num_cycles=1.5), [17, 25, 50]),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(base_lr=1e-3, num_warmup_steps=10,
                                                                num_training_steps=100, num_cycles=3),
     [10, 40, 70, 100]),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(base_lr=0.1, num_warmup_steps=0,
                                                                num_training_steps=49, num_cycles=7),
     [7, 14, 21, 28, 35, 42, 49]),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(base_lr=0.1, num_warmup_steps=3,
                                                                num_training_steps=103, num_cycles=10),
     [13, 23, 33, 43, 53, 63, 73, 83, 93, 103]),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", dict(base_lr=1.0, num_warmup_steps=5,
                                                                num_training_steps=105, num_cycles=2.5),
     [45, 85, 105]),
    ("get_polynomial_decay_schedule_with_warmup", dict(base_lr=1e-3, num_warmup_steps=10,
                                                       num_training_steps=100), [10, 100]),
    ("get_polynomial_decay_schedule_with_warmup", dict(base_lr=0.1, num_warmup_steps=5, num_training_steps=50,
                                                       lr_end=0.01, power=2.0), [5, 30, 50]),
    ("get_inverse_sqrt_schedule", dict(base_lr=1e-3, num_warmup_steps=100), [100, 400]),
    ("get_inverse_sqrt_schedule", dict(base_lr=1e-3, num_warmup_steps=0), [10000]),
    ("get_inverse_sqrt_schedule", dict(base_lr=1e-3, num_warmup_steps=10, timescale=50), [10, 60]),
    ("get_wsd_schedule", dict(base_lr=1e-3, num_warmup_steps=10, num_decay_steps=20, num_training_steps=100),
     [10, 80, 90, 100]),
    ("get_wsd_schedule", dict(base_lr=1e-3, num_warmup_steps=10, num_decay_steps=20, num_stable_steps=30,
                              warmup_type="cosine", decay_type="1-sqrt", min_lr_ratio=0.1), [5, 10, 40, 50, 60]),
    ("get_wsd_schedule", dict(base_lr=0.1, num_warmup_steps=8, num_decay_steps=16, num_training_steps=40,
                              warmup_type="1-sqrt", decay_type="linear", min_lr_ratio=0.05), [8, 24, 32, 40]),
    ("get_wsd_schedule", dict(base_lr=0.1, num_warmup_steps=0, num_decay_steps=10, num_training_steps=20,
                              decay_type="cosine", num_cycles=1.0), [10, 15, 20]),
]


def transformers_cases() -> dict:
    import torch
    import transformers

    cases = []
    for family, args, marks in TRANSFORMERS_CASES:
        steps = steps_around(*marks)
        kwargs = dict(args)
        base_lr = kwargs.pop("base_lr")
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
        scheduler = getattr(transformers, family)(optimizer, **kwargs)
        stepped = {}
        for k in range(int(min(max(steps[: -len(LARGE)]), 2000)) + 1):  # the real LambdaLR, stepped
            stepped[k] = optimizer.param_groups[0]["lr"]
            optimizer.step()
            scheduler.step()
        out = []
        for s in steps:
            value = base_lr * scheduler.lr_lambdas[0](s)  # LambdaLR's closed form, for large steps
            if s in stepped:
                assert stepped[s] == value, (family, s, stepped[s], value)
            out.append(float(value))
        cases.append({"family": family, "args": args, "steps": steps, "float64": out})
    return {"framework": "transformers",
            "versions": {"transformers": transformers.__version__, "torch": torch.__version__}, "cases": cases}


def main(argv: list[str]) -> None:
    wanted = argv or ["keras", "optax", "transformers"]
    makers = {"keras": keras_cases, "optax": optax_cases, "transformers": transformers_cases}
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in wanted:
        data = makers[name]()
        path = GOLDEN / f"{name}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {path} ({len(data['cases'])} cases, {data['versions']})")


if __name__ == "__main__":
    main(sys.argv[1:])
