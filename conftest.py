"""Collection rules shared by the whole test run (``pytest`` runs doctests over ``tunelab/``)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).parent

# Keras 3 runs on TensorFlow, JAX or PyTorch; the tests install PyTorch, not TensorFlow.
if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None:
    os.environ["KERAS_BACKEND"] = "torch"


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Skip doctest collection of modules whose optional framework is not installed.

    Adapters under ``tunelab/integrations`` import their framework (and name the extra to install)
    when imported; without the framework there is nothing to doctest.
    """
    path = Path(collection_path)
    if path.suffix != ".py" or path.name.startswith("_") or "integrations" not in path.parts:
        return None
    try:
        relative = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts[0] != "tunelab":
        return None
    try:
        importlib.import_module(".".join(relative.with_suffix("").parts))
    except ImportError:
        return True
    return None
