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
    'basic/constraints': 'AssertionError: best_trial is infeasible (Optuna >= 4 returns the best feasible trial)',
    'dask/dask_storage': "AttributeError: module 'tunelab' has no attribute 'integration'. Did you mean: 'integrations'?",
    'faq/ask_tell': "ModuleNotFoundError: No module named 'tunelab.trial'",
    'faq/callbacks': "ImportError: cannot import name 'MaxTrialsCallback' from 'tunelab.study'",
    'faq/closure_n_jobs': "AttributeError: module 'tunelab' has no attribute 'trial'. Did you mean: 'Trial'?",
    'faq/enqueue_and_add_trials': "AttributeError: module 'tunelab' has no attribute 'distributions'",
    'faq/exceptions_distributions': "ImportError: cannot import name 'distributions' from 'tunelab'",
    'faq/logging_verbosity': "AttributeError: module 'tunelab' has no attribute 'logging'",
    'faq/nan_and_none': "AttributeError: module 'tunelab' has no attribute 'trial'. Did you mean: 'Trial'?",
    'faq/persistence': "AttributeError: module 'tunelab' has no attribute 'get_all_study_names'. Did you mean: 'get_all_study_summaries'?",
    'faq/trials_dataframe': "TypeError: Study.trials_dataframe() got an unexpected keyword argument 'multi_index'",
    'multi_objective/quadratic': "AttributeError: 'Study' object has no attribute 'set_metric_names'",
    'pruning/hyperband': "AttributeError: module 'tunelab' has no attribute 'trial'. Did you mean: 'Trial'?",
    'pruning/median': "ModuleNotFoundError: No module named 'tunelab.trial'",
    'pruning/successive_halving': "AttributeError: module 'tunelab' has no attribute 'exceptions'",
    'pytorch/mlp': "ModuleNotFoundError: No module named 'tunelab.trial'",
    'samplers/cmaes_warm_start': 'tunelab._errors.InvalidArgumentError: sigma0=3.0 is invalid for CmaEsSampler: must be None or a number in (0, 1]',
    'samplers/custom_sampler': "ImportError: cannot import name 'distributions' from 'tunelab'",
    'sklearn/search_cv': "AttributeError: module 'tunelab' has no attribute 'distributions'",
    'terminator/callback_and_plot': "ModuleNotFoundError: No module named 'tunelab.terminator'",
    'visualization/plots_matplotlib': "ModuleNotFoundError: No module named 'tunelab.visualization'",
    'visualization/plots_plotly': "AttributeError: module 'tunelab' has no attribute 'visualization'",
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
