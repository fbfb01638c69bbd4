"""The best configuration's PyTorch and Keras code build the same optimizer: same weights after the same steps.

Each snippet is run as printed (exec, with a tiny model of the same weights in each framework) and
both models are trained on the same batch for one and for five steps. The weights (of order 1) agree
to rtol 1e-5 and atol 1e-5: Keras computes Adam's bias corrections in float32 (``1 - 0.999`` keeps
only 1.3e-5 of its relative precision there), so its Adam steps differ from torch's by ~6e-6 of a
step (1.5e-6 after five steps here, with epsilon or without). The code printed before (one
weight_decay for both, Keras' defaults elsewhere) differed by 1.1e-3 for Adam (decoupled decay read as
L2), 2.7e-3 for SGD with momentum (the L2 term enters the momentum) and 0.27 for RMSprop (rho 0.9).
"""

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras", reason="keras is not installed (extra 'keras')")

from tunelab.reporting import keras_code, torch_code  # noqa: E402
from tunelab.reporting._code import optimizer_code  # noqa: E402
from tunelab.schedules import CosineDecay, constant_schedule  # noqa: E402

RNG = np.random.default_rng(0)
W, B = RNG.normal(size=(2, 3)).astype(np.float32), RNG.normal(size=2).astype(np.float32)
X, Y = RNG.normal(size=(8, 3)).astype(np.float32), RNG.normal(size=(8, 2)).astype(np.float32)
DECAYING = CosineDecay(0.05, 6, alpha=0.1)

#: Each optimizer the examples search, as a trial would hold it, with the schedule it is run under.
CASES = {
    "sgd-momentum": ({"optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-2}, constant_schedule(0.05)),
    "sgd": ({"optimizer": "sgd", "weight_decay": 1e-2}, DECAYING),
    "adam": ({"optimizer": "adam", "weight_decay": 1e-2}, DECAYING),
    "adamw": ({"optimizer": "adamw", "weight_decay": 1e-2}, DECAYING),
    "rmsprop": ({"optimizer": "rmsprop", "weight_decay": 1e-3}, DECAYING),
}


def _trial(params, schedule):
    return SimpleNamespace(params={**params, "lr.family": "x"}, schedules={"lr": schedule})


def _torch_weights(trial, steps, w=W, b=B, x=X, y=Y):
    model = torch.nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(w))
        if b is not None:
            model.bias.copy_(torch.from_numpy(b))
    ns = {"model": model}
    exec(torch_code(trial), ns)
    for _ in range(steps):
        ns["optimizer"].zero_grad()
        torch.nn.functional.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        ns["optimizer"].step()
        ns["lr_scheduler"].step()
    return model.weight.detach().numpy().T


def _keras_weights(trial, steps, w=W, b=B, x=X, y=Y):
    layer = keras.layers.Dense(w.shape[0], use_bias=b is not None)
    model = keras.Sequential([keras.Input((w.shape[1],)), layer])
    layer.set_weights([w.T] if b is None else [w.T, b])
    ns = {"model": model}
    exec(keras_code(trial), ns)
    model.compile(optimizer=ns["optimizer"], loss="mse")
    for _ in range(steps):
        model.train_on_batch(x, y)
    return keras.ops.convert_to_numpy(layer.kernel)


@pytest.mark.parametrize("steps", [1, 5])
@pytest.mark.parametrize("case", sorted(CASES))
def test_both_snippets_move_the_weights_alike(case, steps):
    trial = _trial(*CASES[case])
    before = W.T.copy()
    ours, theirs = _torch_weights(trial, steps), _keras_weights(trial, steps)
    assert not np.allclose(ours, before)
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-5)


def test_adam_l2_weight_decay_moves_a_weight_as_torch_does():
    """A weight at 1.0 with no gradient, Adam(lr=0.1, weight_decay=0.01): torch moves it to 0.9 (the
    L2 term is its whole gradient); Keras' decoupled weight_decay would give 0.999."""
    trial = _trial({"optimizer": "adam", "weight_decay": 0.01}, constant_schedule(0.1))
    one, zero = np.ones((1, 1), np.float32), np.zeros((1, 1), np.float32)
    kwargs = {"w": one, "b": None, "x": zero, "y": zero}
    assert _torch_weights(trial, 1, **kwargs)[0, 0] == pytest.approx(0.9, rel=1e-6)
    assert _keras_weights(trial, 1, **kwargs)[0, 0] == pytest.approx(0.9, rel=1e-5)  # epsilon placement: 4e-6


def test_every_argument_is_written_out_and_renamed_for_keras():
    code = optimizer_code({"optimizer": "rmsprop", "rho": 0.95, "eps": 1e-6, "centered": True}, "1e-3")
    assert code.torch_args == {"lr": "1e-3", "alpha": "params['rho']", "eps": "params['eps']", "momentum": "0.0",
                               "centered": "params['centered']", "weight_decay": "0.0"}
    assert code.keras_args == {"learning_rate": "1e-3", "rho": "params['rho']", "epsilon": "params['eps'] ** 2",
                               "momentum": "0.0", "centered": "params['centered']"}
    assert code.keras_l2 is None
    sgd = optimizer_code({"optimizer": "SGD", "momentum": 0.9, "nesterov": True}, "lr(0)")
    assert sgd.keras_args == {"learning_rate": "lr(0)", "momentum": "params['momentum']",
                              "nesterov": "params['nesterov']"}
    assert any("constant rate" in note for note in sgd.notes)
    assert optimizer_code({"optimizer": "lion"}, "1e-3") is None and optimizer_code({}, "1e-3") is None
