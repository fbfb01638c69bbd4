"""The best configuration as ready-to-paste PyTorch and Keras code, schedule included.

A trial's schedule parameters (``lr.family``, ``lr.cosine.alpha`` ...) are replaced by the
schedule they built (its ``repr`` is valid Python with ``tunelab.schedules`` imported); a
parameter called ``optimizer`` naming SGD, RMSprop, Adam or AdamW becomes the framework's
optimizer, with ``momentum`` and ``weight_decay`` passed when they are parameters too.
"""

from __future__ import annotations

from typing import Any

_TORCH_OPT = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
_KERAS_OPT = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}


def plain_params(trial: Any) -> dict[str, Any]:
    """The trial's parameters without the ones that only build its schedules.

    >>> from types import SimpleNamespace
    >>> plain_params(SimpleNamespace(params={"lr.family": "cosine", "width": 64}, schedules={"lr": None}))
    {'width': 64}
    """
    names = tuple(trial.schedules)
    return {k: v for k, v in trial.params.items() if not any(k.startswith(n + ".") for n in names)}


def _schedule_lines(schedules: dict[str, Any]) -> tuple[list[str], list[str]]:
    classes = sorted({repr(s).split("(")[0] for s in schedules.values()})
    imports = [f"from tunelab.schedules import {', '.join(classes)}"] if classes else []
    return imports, [f"{name} = {s!r}" for name, s in schedules.items()]


def torch_code(trial: Any) -> str:
    """PyTorch code for ``trial``'s configuration (``model`` is yours)."""
    params, schedules = plain_params(trial), trial.schedules
    imports, lines = _schedule_lines(schedules)
    out = ["import torch", *imports]
    if schedules:
        out.append("from tunelab.integrations.torch import scheduler")
    out += ["", f"params = {params!r}", *lines]
    lr = next(iter(schedules), None)
    opt = _TORCH_OPT.get(str(params.get("optimizer", "")).lower())
    if opt:
        extra = "".join(f", {k}=params[{k!r}]" for k in ("momentum", "weight_decay") if k in params and (
            k != "momentum" or opt in ("SGD", "RMSprop")))
        first = f"{lr}(0)" if lr else "1e-3"
        out.append(f"optimizer = torch.optim.{opt}(model.parameters(), lr={first}{extra})")
    else:
        out.append("optimizer = ...  # your torch optimizer")
    if lr:
        out.append(f"lr_scheduler = scheduler(optimizer, {lr})  # lr_scheduler.step() after each optimizer.step()")
    return "\n".join(out)


def keras_code(trial: Any) -> str:
    """Keras code for ``trial``'s configuration."""
    params, schedules = plain_params(trial), trial.schedules
    imports, lines = _schedule_lines(schedules)
    out = ["import keras", *imports]
    if schedules:
        out.append("from tunelab.integrations.keras import learning_rate")
    out += ["", f"params = {params!r}", *lines]
    lr = next(iter(schedules), None)
    rate = f"learning_rate({lr})" if lr else "1e-3"
    opt = _KERAS_OPT.get(str(params.get("optimizer", "")).lower())
    if opt:
        extra = "".join(f", {k}=params[{k!r}]" for k in ("momentum", "weight_decay") if k in params and (
            k != "momentum" or opt in ("SGD", "RMSprop")))
        out.append(f"optimizer = keras.optimizers.{opt}(learning_rate={rate}{extra})")
    else:
        out.append(f"learning_rate_schedule = {rate}  # pass as your optimizer's learning_rate")
    return "\n".join(out)
