"""The integrations are reached as attributes after a plain ``import tunelab``, as the README's snippets do."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tunelab


def test_a_plain_import_reaches_the_torch_adapter_and_loads_torch_only_then():
    code = ("import sys, tunelab; assert 'torch' not in sys.modules; "
            "f = tunelab.integrations.torch.scheduler; assert 'torch' in sys.modules; print(f.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "scheduler"


def test_every_listed_integration_is_an_attribute_and_others_are_not():
    assert set(dir(tunelab.integrations)) == {"hydra", "keras", "keras_callbacks", "lightning", "mlflow", "optax",
                                              "sklearn", "torch", "torch_pruning", "transformers", "wandb"}
    with pytest.raises(AttributeError, match="module 'tunelab.integrations' has no attribute 'tensorflow'"):
        tunelab.integrations.tensorflow  # noqa: B018 - the attribute access is the test
