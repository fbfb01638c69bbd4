"""tunelab.integration: Optuna's integration names reach tunelab's adapters; the left-out ones say why."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tunelab
import tunelab.integration


def test_importing_the_namespace_imports_no_framework():
    code = ("import sys, tunelab.integration; "
            "print(sorted(m for m in ('keras', 'lightning', 'torch', 'distributed') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_lightning_callback_is_tunelabs():
    pytest.importorskip("lightning", reason="lightning is not installed (extra 'lightning')")
    from tunelab.integrations.lightning import PruningCallback

    assert tunelab.integration.PyTorchLightningPruningCallback is PruningCallback


def test_the_dask_storage_is_one_class_on_two_paths():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (extra 'dask')")
    assert tunelab.integration.DaskStorage is tunelab.integration.dask.DaskStorage


@pytest.mark.parametrize("name, module, extra", [
    ("MLflowCallback", "mlflow", "mlflow"), ("WeightsAndBiasesCallback", "wandb", "wandb")])
def test_the_tracking_callbacks_are_tunelabs(name, module, extra):
    pytest.importorskip(module, reason=f"{module} is not installed (extra '{extra}')")
    own = getattr(__import__(f"tunelab.integrations.{module}", fromlist=[name]), name)
    assert getattr(tunelab.integration, name) is own


@pytest.mark.parametrize("name, why", [
    ("LightGBMTuner", "no adapter for this framework"),
    ("TFKerasPruningCallback", "use KerasPruningCallback"),
])
def test_left_out_names_say_why(name, why):
    with pytest.raises(AttributeError, match=f"tunelab.integration has no {name}: .*{why}"):
        getattr(tunelab.integration, name)
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        tunelab.integration.Nothing  # noqa: B018
