"""Constraints shared by the samplers' declared argument tables (see ``tunelab._constraints``)."""

from __future__ import annotations

from tunelab._constraints import Integral

#: ``seed``: None (a fresh random seed) or a non-negative integer; every sampler takes one.
SEED = (None, Integral(min=0))
