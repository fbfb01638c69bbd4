"""The ``tunelab`` command line: studies, trials, best, ask / tell, delete, schedule, run, report, dashboard.

Storage comes from ``--storage`` or the ``TUNELAB_STORAGE`` environment variable.
"""

from tunelab.cli._main import main

__all__ = ["main"]
