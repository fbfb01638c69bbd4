"""Optuna's ``optuna.integration`` names, on tunelab's integrations (``import tunelab as optuna`` finds them).

- ``KerasPruningCallback(trial, monitor, interval=1)`` is
  :class:`tunelab.integrations.keras_callbacks.PruningCallback` (extra ``keras``);
- ``PyTorchLightningPruningCallback(trial, monitor)`` is
  :class:`tunelab.integrations.lightning.PruningCallback` (extra ``lightning``);
- ``DaskStorage(storage=None, name=None, client=None)``, also :mod:`tunelab.integration.dask`: a
  storage held by one Dask worker, so that ``client.submit(study.optimize, ...)`` on any worker
  writes to the same study (extra ``dask``).
- ``OptunaSearchCV(estimator, param_distributions, ...)`` is
  :class:`tunelab.integrations.sklearn.TunelabSearchCV`, a scikit-learn search estimator (extra
  ``sklearn``).
- ``MLflowCallback(tracking_uri=None, metric_name="value", ...)`` and
  ``WeightsAndBiasesCallback(metric_name="value", wandb_kwargs=None, as_multirun=False)`` are
  :mod:`tunelab.integrations.mlflow` and :mod:`tunelab.integrations.wandb`'s (extras ``mlflow``,
  ``wandb``).

Each framework is imported when its name is first used. What Optuna's integrations offer beyond
these is left out; asking for one says why (``docs/compat-storages.md`` lists them).

>>> import tunelab.integration
>>> tunelab.integration.TensorBoardCallback
Traceback (most recent call last):
...
AttributeError: tunelab.integration has no TensorBoardCallback: tunelab has no TensorBoard callback; tunelab dashboard shows the study live; see docs/compat-storages.md
"""

from __future__ import annotations

from tunelab._lazy import lazy

__all__ = ["DaskStorage", "KerasPruningCallback", "MLflowCallback", "OptunaSearchCV", "PyTorchLightningPruningCallback",
           "WeightsAndBiasesCallback", "dask"]

_NAMES = {
    "KerasPruningCallback": ("tunelab.integrations.keras_callbacks", "PruningCallback"),
    "PyTorchLightningPruningCallback": ("tunelab.integrations.lightning", "PruningCallback"),
    "DaskStorage": ("tunelab.integration.dask", "DaskStorage"),
    "OptunaSearchCV": ("tunelab.integrations.sklearn", "TunelabSearchCV"),
    "MLflowCallback": ("tunelab.integrations.mlflow", "MLflowCallback"),
    "WeightsAndBiasesCallback": ("tunelab.integrations.wandb", "WeightsAndBiasesCallback"),
}

_FRAMEWORK_LEFT_OUT = "tunelab has no adapter for this framework yet"
#: Optuna's integration names tunelab does not offer, and why.
LEFT_OUT = {
    "TFKerasPruningCallback": "use KerasPruningCallback (Keras 3 runs on TensorFlow too)",
    "TensorFlowPruningHook": "TensorFlow estimators are gone from TensorFlow 2; use KerasPruningCallback",
    "TensorBoardCallback": "tunelab has no TensorBoard callback; tunelab dashboard shows the study live",
    "TorchDistributedTrial": "distributed (DDP) training inside one trial is not supported",
    "BoTorchSampler": "use tunelab.samplers.GPSampler (Gaussian-process Bayesian optimisation)",
    "PyCmaSampler": "use tunelab.samplers.CmaEsSampler",
    "ShapleyImportanceEvaluator": "tunelab computes parameter importances its own way (no SHAP)",
    **{name: _FRAMEWORK_LEFT_OUT for name in (
        "CatBoostPruningCallback", "LightGBMPruningCallback", "LightGBMTuner", "LightGBMTunerCV",
        "PyTorchIgnitePruningHandler", "SkorchPruningCallback", "XGBoostPruningCallback", "FastAIV2PruningCallback",
        "FastAIPruningCallback")},
}


__getattr__, __dir__ = lazy(
    "tunelab.integration", globals(), attrs=_NAMES, modules=("dask",),
    left_out={name: f"tunelab.integration has no {name}: {why}; see docs/compat-storages.md" for name, why in LEFT_OUT.items()})
