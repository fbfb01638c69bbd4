"""Pruners: stop unpromising trials early from the values they report."""

from tunelab.pruners._base import NopPruner, Pruner

__all__ = ["NopPruner", "Pruner"]
