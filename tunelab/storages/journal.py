"""Optuna's ``optuna.storages.journal``: the journal file's backend and locks, on tunelab's JournalStorage.

``JournalStorage(JournalFileBackend(path))`` is :class:`tunelab.storage.JournalStorage` on ``path``
(tunelab's own spelling: ``JournalStorage(path)`` or the URL ``journal:///path``). Locking is
POSIX record locks by default; :class:`JournalFileOpenLock` or :class:`JournalFileSymlinkLock`
(``lock_obj=``) lock through a file beside the log, for file systems without them. The Redis
backend is left out.
"""

from __future__ import annotations

from tunelab.storage._journal import JournalStorage
from tunelab.storage._journal_file import JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock

__all__ = ["JournalFileBackend", "JournalFileOpenLock", "JournalFileSymlinkLock", "JournalStorage"]
