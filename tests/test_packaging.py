"""What the built package carries: the type-checking marker and the dashboard's static files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_py_typed_and_the_dashboard_files(tmp_path):
    source = tmp_path / "source"  # a clean copy: no build folder left by an earlier build
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "tests", "benchmarks", "*.db*"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=300)
    if built.returncode != 0 and "No module named" in built.stderr:
        pytest.skip(f"cannot build a wheel here: {built.stderr.strip().splitlines()[-1]}")
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("tunelab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tunelab/py.typed" in names
    assert any(n.startswith("tunelab/dashboard/static/") for n in names)
