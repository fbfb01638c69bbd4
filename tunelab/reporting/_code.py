"""The best configuration as ready-to-paste PyTorch and Keras code, schedule included.

A trial's schedule parameters (``lr.family``, ``lr.cosine.alpha`` ...) are replaced by the
schedule they built (its ``repr`` is valid Python with ``tunelab.schedules`` imported); a
parameter called ``optimizer`` naming SGD, RMSprop, Adam or AdamW becomes the framework's
optimizer.

The two snippets mean the same optimizer. The parameters are read as ``torch.optim`` reads them
(the PyTorch code is the reference; what is not searched takes torch's default, written out):

- ``weight_decay`` is an L2 term added to the gradient (``g + wd * w``) for SGD, RMSprop and Adam,
  and decoupled decay (``w * (1 - lr * wd)``) for AdamW. Keras' ``weight_decay`` is always
  decoupled, so Keras' AdamW takes it as is, and for the others the Keras code sets an
  ``L2(wd / 2)`` regularizer on every trainable weight (its gradient is ``wd * w``).
- ``momentum``, ``nesterov``, ``centered`` carry over; RMSprop's ``alpha`` is Keras' ``rho``;
  Adam's ``beta1``/``beta2`` (or ``betas``) are ``beta_1``/``beta_2``; ``eps`` is ``epsilon``.
- What Keras cannot say exactly is said in a comment of the Keras code: its Adam adds epsilon
  after the bias correction (so it weighs up to ``1/sqrt(1 - beta_2)`` times more in the first
  steps), its RMSprop adds epsilon under the square root (``epsilon = eps ** 2`` is the closest),
  and its momentum accumulates ``lr * gradient`` where torch's accumulates the gradient and
  multiplies by the current rate: the same steps while the rate is constant, apart under a
  schedule that changes it.
"""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

#: The optimizer class names, the same in torch.optim and keras.optimizers.
_OPTIMIZERS = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}

#: torch.optim's defaults, written out in both snippets so neither framework's own default applies.
_TORCH_DEFAULTS = {"momentum": 0.0, "nesterov": False, "alpha": 0.99, "centered": False, "eps": 1e-08,
                   "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.0, "adamw_weight_decay": 0.01}

#: The names a searched parameter may have, by the torch argument it sets.
_ALIASES = {"momentum": ("momentum",), "nesterov": ("nesterov",), "alpha": ("alpha", "rho"),
            "centered": ("centered",), "eps": ("eps", "epsilon"), "beta1": ("beta1", "beta_1"),
            "beta2": ("beta2", "beta_2"), "weight_decay": ("weight_decay",)}


@dataclasses.dataclass(frozen=True)
class OptimizerCode:
    """One optimizer in both frameworks, as source expressions (over ``params`` and ``lr``).

    ``torch_args`` and ``keras_args`` are the keyword arguments of ``torch.optim.<name>`` (after
    ``model.parameters()``) and ``keras.optimizers.<name>``; ``keras_l2`` is the expression of the
    L2 factor torch applies (``weight_decay``; the Keras code puts ``L2(keras_l2 / 2)`` on each
    weight), None when there is none; ``notes`` are the Keras code's comments.
    """

    name: str
    torch_args: dict[str, str]
    keras_args: dict[str, str]
    keras_l2: str | None = None
    notes: tuple[str, ...] = ()


def plain_params(trial: Any) -> dict[str, Any]:
    """The trial's parameters without the ones that only build its schedules.

    >>> from types import SimpleNamespace
    >>> plain_params(SimpleNamespace(params={"lr.family": "cosine", "width": 64}, schedules={"lr": None}))
    {'width': 64}
    """
    names = tuple(trial.schedules)
    return {k: v for k, v in trial.params.items() if not any(k.startswith(n + ".") for n in names)}


def optimizer_code(params: dict[str, Any], rate: str) -> OptimizerCode | None:
    """The optimizer ``params["optimizer"]`` names, with learning rate ``rate``, in both frameworks.

    None when there is no such parameter or it names no optimizer of :data:`_OPTIMIZERS`.

    >>> code = optimizer_code({"optimizer": "adam", "weight_decay": 0.01}, "1e-3")
    >>> code.torch_args
    {'lr': '1e-3', 'betas': '(0.9, 0.999)', 'eps': '1e-08', 'weight_decay': "params['weight_decay']"}
    >>> code.keras_args, code.keras_l2
    ({'learning_rate': '1e-3', 'beta_1': '0.9', 'beta_2': '0.999', 'epsilon': '1e-08'}, "params['weight_decay']")
    """
    name = _OPTIMIZERS.get(str(params.get("optimizer", "")).lower())
    if name is None:
        return None

    def arg(key: str, default: Any = None) -> str:
        found = next((n for n in _ALIASES[key] if n in params), None)
        return f"params[{found!r}]" if found else repr(_TORCH_DEFAULTS[key] if default is None else default)

    notes = []
    if name == "SGD":
        torch_args = {"momentum": arg("momentum"), "nesterov": arg("nesterov")}
        keras_args = dict(torch_args)
    elif name == "RMSprop":
        torch_args = {"alpha": arg("alpha"), "eps": arg("eps"), "momentum": arg("momentum"),
                      "centered": arg("centered")}
        keras_args = {"rho": torch_args["alpha"], "epsilon": f"{torch_args['eps']} ** 2",
                      "momentum": torch_args["momentum"], "centered": torch_args["centered"]}
        notes.append("Keras' RMSprop adds epsilon under the square root (torch: after it): epsilon = eps ** 2 "
                     "is the closest")
    else:
        torch_args = {"betas": f"({arg('beta1')}, {arg('beta2')})", "eps": arg("eps")}
        keras_args = {"beta_1": arg("beta1"), "beta_2": arg("beta2"), "epsilon": arg("eps")}
        notes.append(f"Keras' {name} adds epsilon after the bias correction (up to 1/sqrt(1 - beta_2) times "
                     "torch's weight in the first steps): the same steps while gradients are far above epsilon")
    if name in ("SGD", "RMSprop") and torch_args["momentum"] != "0.0":
        notes.append("Keras' momentum accumulates lr * gradient, torch's the gradient times the current rate: "
                     "the same steps at a constant rate, apart while the schedule changes it")
    decay = arg("weight_decay", _TORCH_DEFAULTS["adamw_weight_decay"] if name == "AdamW" else None)
    l2 = None
    if name == "AdamW":  # decoupled in both: w * (1 - lr * wd) before the step
        keras_args = {"weight_decay": decay, **keras_args}
    elif decay != "0.0":
        l2 = decay
        notes.append(f"torch's {name} weight_decay is L2 (weight_decay * w added to each gradient), not Keras' "
                     "decoupled weight_decay: an L2(weight_decay / 2) regularizer on every weight adds the same")
    return OptimizerCode(name, {"lr": rate, **torch_args, "weight_decay": decay},
                         {"learning_rate": rate, **keras_args}, l2, tuple(notes))


def _opening(trial: Any, module: str, adapter: str) -> tuple[list[str], str | None, dict[str, Any]]:
    """The shared head of the snippets: imports, params, schedules; the first schedule's name, the params."""
    params, schedules = plain_params(trial), trial.schedules
    classes = sorted({repr(s).split("(")[0] for s in schedules.values()})
    out = [f"import {module}"]
    if classes:
        out += [f"from tunelab.schedules import {', '.join(classes)}", adapter]
    out += ["", f"params = {params!r}", *(f"{name} = {s!r}" for name, s in schedules.items())]
    return out, next(iter(schedules), None), params


def _call(head: str, args: dict[str, str]) -> str:
    return f"{head}{', ' if '(' not in head[-1:] else ''}{', '.join(f'{k}={v}' for k, v in args.items())})"


def torch_code(trial: Any) -> str:
    """PyTorch code for ``trial``'s configuration (``model`` is yours)."""
    out, lr, params = _opening(trial, "torch", "from tunelab.integrations.torch import scheduler")
    code = optimizer_code(params, f"{lr}(0)" if lr else "1e-3")
    if code:
        out.append(_call(f"optimizer = torch.optim.{code.name}(model.parameters()", code.torch_args))
    else:
        out.append("optimizer = ...  # your torch optimizer")
    if lr:
        out.append(f"lr_scheduler = scheduler(optimizer, {lr})  # lr_scheduler.step() after each optimizer.step()")
    return "\n".join(out)


def keras_code(trial: Any) -> str:
    """Keras code for ``trial``'s configuration (the optimizer the PyTorch code builds; ``model`` is yours)."""
    out, lr, params = _opening(trial, "keras", "from tunelab.integrations.keras import learning_rate")
    rate = f"learning_rate({lr})" if lr else "1e-3"
    code = optimizer_code(params, rate)
    if not code:
        out.append(f"learning_rate_schedule = {rate}  # pass as your optimizer's learning_rate")
        return "\n".join(out)
    out += [line for note in code.notes for line in textwrap.wrap(note, 100, initial_indent="# ",
                                                                   subsequent_indent="#   ")]
    out.append(_call(f"optimizer = keras.optimizers.{code.name}(", code.keras_args))
    if code.keras_l2:
        out += ["for weight in model.trainable_weights:  # torch's L2 weight decay, on every weight as torch does",
                f"    weight.regularizer = keras.regularizers.L2({code.keras_l2} / 2)"]
    return "\n".join(out)
