"""Optuna's ``optuna.exceptions`` names, each bound to the tunelab exception of the same meaning.

A script written for Optuna catches these unchanged; tunelab code uses the canonical names at
the top of the package (``tunelab.TunelabError`` ...). One object, two paths:

=============================  ======================================================
``tunelab.exceptions.X``       the same object as
=============================  ======================================================
``OptunaError``                ``tunelab.TunelabError`` (the root of tunelab's errors)
``TrialPruned``                ``tunelab.TrialPruned``
``DuplicatedStudyError``       ``tunelab.DuplicatedStudyError``
``StorageInternalError``       ``tunelab.StorageError``
``UpdateFinishedTrialError``   ``tunelab.TrialFinishedError`` (a RuntimeError, as Optuna's)
``ExperimentalWarning``        defined here: tunelab marks nothing experimental and never
                               emits it; it exists so that warning filters naming it work
=============================  ======================================================

Optuna's ``CLIUsageError`` has no counterpart (the ``tunelab`` command reports usage errors
itself). Unlike Optuna's, ``TrialPruned`` does not derive from the root error: it is a signal an
objective raises, not a failure.

>>> import tunelab
>>> OptunaError is tunelab.TunelabError and TrialPruned is tunelab.TrialPruned
True
"""

from tunelab._errors import DuplicatedStudyError, StorageError, TrialFinishedError, TrialPruned, TunelabError

__all__ = ["DuplicatedStudyError", "ExperimentalWarning", "OptunaError", "StorageInternalError", "TrialPruned",
           "UpdateFinishedTrialError"]

OptunaError = TunelabError
StorageInternalError = StorageError
UpdateFinishedTrialError = TrialFinishedError


class ExperimentalWarning(Warning):
    """Optuna's warning for experimental features; tunelab never emits it (see the module notes)."""
