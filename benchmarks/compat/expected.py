"""Recorded outcomes of the compatibility scripts: the one place the harness and the test read.

Update it from a full run (``.venv/bin/python benchmarks/compat/run.py``), whose last section
lists every difference from what is recorded here.
"""

from __future__ import annotations

# Scripts that fail with Optuna itself (name -> first error line); the tunelab test skips them.
OPTUNA_FAILS: dict[str, str] = {}

# Scripts that pass with Optuna and fail with tunelab today (name -> first error line). The test
# marks them xfail(strict=True): remove a line when its script passes.
TUNELAB_XFAIL: dict[str, str] = {}

# Scripts that take more than ~5 s with either library: left out of --fast (and of CI).
SLOW: frozenset[str] = frozenset()
