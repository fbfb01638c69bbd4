"""Package attributes loaded on first use (PEP 562): one implementation for every package that
keeps ``import tunelab`` light.

>>> import types
>>> ns = {"__all__": ["sqrt"]}
>>> getattr_, dir_ = lazy("demo", ns, attrs={"sqrt": "math", "tau": ("math", "tau")})
>>> getattr_("sqrt")(4.0), ns["sqrt"] is getattr_("sqrt"), getattr_("tau") > 6, dir_()
(2.0, True, True, ['sqrt', 'tau'])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Mapping
from typing import Any


def lazy(package: str, namespace: dict[str, Any], *, attrs: Mapping[str, str | tuple[str, str]] | None = None,
         modules: Collection[str] = (), left_out: Mapping[str, str] | None = None,
         ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__``.

    ``attrs``: each name and the module holding it (absolute), or ``(module, name there)``;
    ``modules``: submodules of ``package`` loaded as attributes; ``left_out``: names refused with
    the message given (an AttributeError). A loaded value is stored in ``namespace`` (the module's
    globals), so it is looked up once.
    """
    attrs = dict(attrs or {})
    left_out = dict(left_out or {})

    def get(name: str) -> Any:
        if name in attrs:
            where = attrs[name]
            module, attr = (where, name) if isinstance(where, str) else where
            value = getattr(importlib.import_module(module), attr)
        elif name in modules:
            value = importlib.import_module(f"{package}.{name}")
        elif name in left_out:
            raise AttributeError(left_out[name])
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted(set(namespace.get("__all__", ())) | set(attrs) | set(modules))

    return get, names
