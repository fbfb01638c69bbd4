"""Argument checks shared by every sampler's constructor (numpy only: no scipy at import)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tunelab._errors import invalid, wrong_type


def check_seed(seed: Any, where: str) -> None:
    """Raise unless ``seed`` is None or a non-negative integer."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise wrong_type("seed", seed, "None or a non-negative integer", where=where)
    if seed is not None and seed < 0:
        raise invalid("seed", seed, "None or a non-negative integer", where=where)


def check_count(name: str, value: Any, least: int, where: str) -> None:
    """Raise unless ``value`` is an integer (not a bool) of at least ``least``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise wrong_type(name, value, f"an integer >= {least}", where=where)
    if value < least:
        raise invalid(name, value, f"an integer >= {least}", where=where)
