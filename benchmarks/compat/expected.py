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
    'faq/logging_verbosity': 'AssertionError: ["Study \'study-71da35f1cbeb\': no sampler given: AutoSampler (it picks GP, TPE or NSGA-II per trial and logs each choice); no pruner given: MedianPruner() (Optuna\'s default; pass pruner=NopPruner() to never prune)", "AutoSampler chose GPSampler for study \'study-71da35f1cbeb\' from trial 0: numeric, non-conditional search space and 0 finished trials (< 200)", "Trial 0 finished with value: 0.45818204701465226 and parameters: {\'x\': 0.45818204701465226}. Best is trial 0 with value: 0.45818204701465226.", "Trial 1 finished with value: 0.9291721796616912 and parameters: {\'x\': 0.9291721796616912}. Best is trial 0 with value: 0.45818204701465226.", "Trial 2 finished with value: 0.5007760394364595 and parameters: {\'x\': 0.5007760394364595}. Best is trial 0 with value: 0.45818204701465226.", "Trial 3 finished with value: 0.08230045065283775 and parameters: {\'x\': 0.08230045065283775}. Best is trial 3 with value: 0.08230045065283775."]',
    'samplers/cmaes_warm_start': "TypeError: CmaEsSampler.__init__() got an unexpected keyword argument 'source_trials'",
    'sklearn/search_cv': 'AttributeError: tunelab.integration has no OptunaSearchCV: tunelab has no scikit-learn search estimator yet (issue 21 builds one); see docs/compat-storages.md',
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
