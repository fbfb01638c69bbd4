"""Optuna's ``optuna.trial`` module path: the same objects as tunelab's canonical names.

``tunelab.trial.Trial is tunelab.Trial``, and so on for ``FrozenTrial``, ``TrialState``,
``FixedTrial``, ``BaseTrial`` and ``create_trial``, so ``from optuna.trial import TrialState``
runs after ``import tunelab as optuna``. tunelab code uses the top-level names.

>>> import tunelab
>>> Trial is tunelab.Trial and create_trial is tunelab.create_trial
True
"""

from tunelab._records import FrozenTrial, TrialState
from tunelab.study._fixed import BaseTrial, FixedTrial, create_trial
from tunelab.study._trial import Trial

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
