"""Every family against the checked-in values of its real framework (tests/schedules/golden/*.json).

The JSON files come from scripts/golden_schedules.py, run with Keras/TensorFlow, optax/jax and
transformers/torch installed; CI has none of them, so these vectors are what it checks the Keras,
optax and transformers families against. float64 values must agree within 1e-9 relative; the
frameworks' default float32 path within 1e-6 relative, plus 1e-6 of the case's largest value near
zero. The few steps where tunelab returns the mathematically intended value instead of a
framework's numerical accident are listed in KNOWN with the intended value, and checked to differ.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from tunelab.schedules import Schedule

GOLDEN = Path(__file__).parent / "golden"
FRAMEWORKS = ("keras", "optax", "transformers")

# (framework, family, step) -> (tunelab's intended value, why the framework differs)
KNOWN = {
    ("keras", "CosineDecayRestarts", 105.5): (
        1.0, "restart 4 of t_mul=1.5: Keras' floor(log(...)/log(t_mul)) lands one cycle low (value 0)"),
    ("keras", "CosineDecayRestarts", 363.0): (
        0.8**5, "restart 5 of t_mul=3: Keras' floor(log(...)/log(t_mul)) lands one cycle low (value 0)"),
    ("keras", "PolynomialDecay", "default end_learning_rate"): (
        1e-4, "Keras casts the Python default 0.0001 through float32 even on a float64 path"),
}


def _load(framework: str) -> dict:
    return json.loads((GOLDEN / f"{framework}.json").read_text())


def _cases():
    for framework in FRAMEWORKS:
        for i, case in enumerate(_load(framework)["cases"]):
            yield pytest.param(framework, case, id=f"{framework}-{i}-{case['family']}")


def _known(framework: str, case: dict, step: float):
    key = (framework, case["family"], step)
    if key in KNOWN:
        return KNOWN[key]
    if case["family"] == "PolynomialDecay" and "end_learning_rate" not in case["args"] and step >= 999:
        _, why = KNOWN[("keras", "PolynomialDecay", "default end_learning_rate")]
        return (None, why)  # the exact-decimal values are checked in the test below
    return None


@pytest.mark.parametrize(("framework", "case"), list(_cases()))
def test_matches_framework(framework, case):
    schedule = Schedule.from_config({"family": case["family"], "args": case["args"]})
    steps = np.array(case["steps"], dtype=np.float64)
    ours = schedule(steps)
    for precision, rtol in (("float64", 1e-9), ("float32", 1e-6)):
        if precision not in case:
            continue
        ref = np.array([np.nan if v is None else v for v in case[precision]])
        atol = 0.0 if precision == "float64" else 1e-6 * np.nanmax(np.abs(ref))
        for step, mine, theirs in zip(steps, ours, ref):
            if np.isnan(theirs):
                continue
            known = _known(framework, case, float(step))
            if known is not None and precision == "float64":
                intended, why = known
                assert not np.isclose(mine, theirs, rtol=1e-9, atol=0), why
                if intended is not None:
                    assert mine == pytest.approx(intended, rel=1e-12), why
                continue
            if known is not None:
                continue
            assert mine == pytest.approx(theirs, rel=rtol, abs=atol), (precision, float(step))


def test_keras_default_end_learning_rate_is_the_exact_decimal():
    s = Schedule.from_config({"family": "PolynomialDecay",
                              "args": {"initial_learning_rate": 0.1, "decay_steps": 1000}})
    assert s(1000) == 1e-4 and s(999) == pytest.approx(0.1 * 1e-3 + 1e-4 * (1 - 1e-3), rel=1e-12)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_golden_files_record_versions_and_cover_every_family(framework):
    data = _load(framework)
    assert data["framework"] == framework and all(data["versions"].values())
    module = {"keras": "_keras", "optax": "_optax", "transformers": "_transformers"}[framework]
    public = importlib.import_module(f"tunelab.schedules.{module}").__all__
    families = {c["family"] for c in data["cases"]}
    missing = set(public) - families
    assert not missing, f"no golden vectors for {sorted(missing)}"
