"""The best configuration as ready-to-paste PyTorch and Keras code, schedule included.

A trial's schedule parameters (``lr.family``, ``lr.cosine.alpha`` ...) are replaced by the
schedule they built (its ``repr`` is valid Python with ``tunelab.schedules`` imported); a
parameter called ``optimizer`` naming SGD, RMSprop, Adam or AdamW becomes the framework's
optimizer, with ``momentum`` and ``weight_decay`` passed when they are parameters too.
"""

from __future__ import annotations

from typing import Any

#: The optimizer class names, the same in torch.optim and keras.optimizers.
_OPTIMIZERS = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}


def plain_params(trial: Any) -> dict[str, Any]:
    """The trial's parameters without the ones that only build its schedules.

    >>> from types import SimpleNamespace
    >>> plain_params(SimpleNamespace(params={"lr.family": "cosine", "width": 64}, schedules={"lr": None}))
    {'width': 64}
    """
    names = tuple(trial.schedules)
    return {k: v for k, v in trial.params.items() if not any(k.startswith(n + ".") for n in names)}


def _opening(trial: Any, module: str, adapter: str, table: dict[str, str]) -> tuple[list[str], str | None, str, str | None]:
    """The shared head of the snippets: imports, params, schedules; and the optimizer class and extras."""
    params, schedules = plain_params(trial), trial.schedules
    classes = sorted({repr(s).split("(")[0] for s in schedules.values()})
    out = [f"import {module}"]
    if classes:
        out += [f"from tunelab.schedules import {', '.join(classes)}", adapter]
    out += ["", f"params = {params!r}", *(f"{name} = {s!r}" for name, s in schedules.items())]
    opt = table.get(str(params.get("optimizer", "")).lower())
    extra = "".join(f", {k}=params[{k!r}]" for k in ("momentum", "weight_decay") if k in params and (
        k != "momentum" or opt in ("SGD", "RMSprop")))
    return out, next(iter(schedules), None), extra, opt


def torch_code(trial: Any) -> str:
    """PyTorch code for ``trial``'s configuration (``model`` is yours)."""
    out, lr, extra, opt = _opening(trial, "torch", "from tunelab.integrations.torch import scheduler", _OPTIMIZERS)
    if opt:
        out.append(f"optimizer = torch.optim.{opt}(model.parameters(), lr={f'{lr}(0)' if lr else '1e-3'}{extra})")
    else:
        out.append("optimizer = ...  # your torch optimizer")
    if lr:
        out.append(f"lr_scheduler = scheduler(optimizer, {lr})  # lr_scheduler.step() after each optimizer.step()")
    return "\n".join(out)


def keras_code(trial: Any) -> str:
    """Keras code for ``trial``'s configuration."""
    out, lr, extra, opt = _opening(trial, "keras", "from tunelab.integrations.keras import learning_rate",
                                   _OPTIMIZERS)
    rate = f"learning_rate({lr})" if lr else "1e-3"
    if opt:
        out.append(f"optimizer = keras.optimizers.{opt}(learning_rate={rate}{extra})")
    else:
        out.append(f"learning_rate_schedule = {rate}  # pass as your optimizer's learning_rate")
    return "\n".join(out)
