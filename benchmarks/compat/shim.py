"""The ``optuna`` package that makes a script's ``import optuna`` resolve to tunelab (see run.py).

``Shim()`` writes it to a temporary directory that run.py puts first on the tunelab runs'
``PYTHONPATH``; ``Shim(probe=True)`` adds the aliases of ``PROBE_ALIASES``; ``Shim(tunelab_rev=REV)``
puts tunelab as committed at REV beside it.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# Written to <tmp>/optuna/__init__.py for the tunelab runs; ALIASES is {} except under --probe.
SHIM = '''\
"""``import optuna`` resolves to tunelab; ``optuna.X`` to ``tunelab.X`` (benchmarks/compat/run.py)."""
import importlib
import importlib.abc
import importlib.util
import sys
import types

import tunelab

ALIASES = {aliases!r}


def _target(name):
    """The tunelab module for optuna.<name>: tunelab.<name>, else (--probe only) its alias."""
    try:
        return importlib.import_module("tunelab." + name)  # a missing one names the tunelab path
    except ModuleNotFoundError as exc:
        if exc.name != "tunelab." + name or name not in ALIASES:
            raise
        return importlib.import_module(ALIASES[name])


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("optuna."):
            return None
        _target(fullname[len("optuna."):])
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # The import system returns what sys.modules holds after exec_module: the tunelab module itself.
        sys.modules[module.__name__] = _target(module.__name__[len("optuna."):])


def _proxy_getattr(name):
    if hasattr(tunelab, name):
        return getattr(tunelab, name)
    if name in ALIASES:
        return importlib.import_module(ALIASES[name])
    raise AttributeError(f"module 'tunelab' has no attribute {{name!r}}")


sys.meta_path.insert(0, _Alias())
if ALIASES:
    proxy = types.ModuleType("optuna", "tunelab with --probe aliases")
    proxy.__path__ = []
    proxy.__getattr__ = _proxy_getattr
    sys.modules["optuna"] = proxy
else:
    sys.modules["optuna"] = tunelab
'''
# --probe: where tunelab has the content under another path, alias it, to see what fails behind the
# module path (the first error of a plain run hides everything after it).
PROBE_ALIASES = {
    "trial": "tunelab.study",
    "exceptions": "tunelab",
    "distributions": "tunelab.space",
    "storages": "tunelab.storage",
    "integration": "tunelab.integrations",
}


class Shim:
    """A temporary directory holding the ``optuna`` package that resolves to tunelab (``probe``: with aliases)."""

    def __init__(self, *, probe: bool = False, tunelab_rev: str | None = None):
        self._aliases = PROBE_ALIASES if probe else {}
        self._rev = tunelab_rev

    def __enter__(self) -> str:
        self._tmp = tempfile.TemporaryDirectory(prefix="compat-shim-")
        package = Path(self._tmp.name) / "optuna"
        package.mkdir()
        (package / "__init__.py").write_text(SHIM.format(aliases=self._aliases))
        if self._rev is not None:
            # tunelab as committed at REV, beside the shim: ahead of the editable install on sys.path.
            archive = subprocess.run(["git", "archive", self._rev, "tunelab"], cwd=ROOT, capture_output=True,
                                     check=True).stdout
            subprocess.run(["tar", "-x", "-C", self._tmp.name], input=archive, check=True)
        return self._tmp.name

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()
