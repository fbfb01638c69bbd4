"""The guides' runnable examples run as written.

A fenced block whose info string is exactly ``python`` is run; ``python no-run`` marks a sketch
that needs the reader's own model and data. The blocks of one guide share a namespace, in order.
"""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)


def blocks(guide: str) -> list[tuple[str, str]]:
    return BLOCK.findall((DOCS / guide).read_text())


def test_the_pruning_guide_runs():
    pytest.importorskip("torch", reason="the guide's cooldown-probe example uses PyTorch (extra torch)")
    runnable = [code for info, code in blocks("pruning.md") if info.strip() == "python"]
    assert len(runnable) >= 4
    namespace: dict = {}
    for code in runnable:
        exec(compile(code, "docs/pruning.md", "exec"), namespace)
    assert namespace["study"].best_value is not None


def test_every_block_of_the_pruning_guide_is_marked_runnable_or_sketch():
    infos = {info.strip() for info, _ in blocks("pruning.md")}
    assert infos <= {"python", "python no-run", "toml"}, infos
