"""Recorded outcomes of the compatibility scripts: the one place the harness and the test read.

Measured with Optuna 5.1.0 + optuna-integration 5.0.0 and tunelab at the commit named in
RESULTS.md. Update it from a run: ``.venv/bin/python benchmarks/compat/run.py --update-expected``
rewrites the entries of the scripts it ran (its last section lists the differences it found).
"""

from __future__ import annotations

# Scripts that fail with Optuna itself (name -> first error line); the tunelab test skips them.
OPTUNA_FAILS: dict[str, str] = {}

# Scripts that pass with Optuna and fail with tunelab today (name -> first error line). The test
# marks them xfail(strict=True): when a fix makes one pass, remove its line.
TUNELAB_XFAIL: dict[str, str] = {
    'terminator/callback_and_plot': "ModuleNotFoundError: No module named 'tunelab.terminator'",
}

# Scripts that take more than ~5 s with either library on an idle 2-CPU machine (framework import,
# cluster start-up, GP fits): left out of --fast, so CI does not run them.
SLOW: frozenset[str] = frozenset({
    'dask/dask_storage',
    'keras/pruning_callback',
    'lightning/pruning_callback',
    'multi_objective/pytorch_size_accuracy',
    'terminator/callback_and_plot',
})
