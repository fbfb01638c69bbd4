"""docs/stepping.md: its runnable example runs as written, and warns nothing."""

import re
import warnings
from pathlib import Path

import pytest

pytest.importorskip("torch")

DOC = Path(__file__).resolve().parents[2] / "docs" / "stepping.md"


def test_the_plain_pytorch_example_runs_without_a_warning():
    blocks = re.findall(r"^```([^\n]*)\n(.*?)^```", DOC.read_text(), re.S | re.M)
    assert {info.strip() for info, _ in blocks} <= {"python", "python no-run", ""}
    runnable = [code for info, code in blocks if info.strip() == "python"]
    assert len(runnable) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(runnable[0], str(DOC), "exec"), {})
    assert [str(w.message) for w in caught if str(w.message).startswith("tunelab:")] == []
