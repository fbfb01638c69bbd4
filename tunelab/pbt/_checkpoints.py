"""Where checkpoints live: one directory per trial, beside the study's file, written atomically.

``<root>/trial_<number>/`` holds what the user's ``save`` wrote after trial ``<number>``'s
interval. It is written into a temporary sibling and renamed into place, so a worker killed while
saving leaves no half checkpoint under the trial's name: a checkpoint that exists is complete, and
a member always resumes from a complete one. Checkpoints are never changed after they are written;
exploiting a top member means *starting from* its checkpoint (no copy is made).

The root for an SQLite file ``path/to/study.db`` is ``path/to/study.db.pbt/<study name>``, and for a
journal file likewise; other storages (in memory, PostgreSQL) need ``checkpoint_dir=``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from tunelab._errors import InvalidArgumentError

__all__: list[str] = []


def default_root(study: Any) -> Path | None:
    """The checkpoint root beside the study's file, or None when the storage has no file."""
    storage = study.storage
    url = getattr(storage, "url", None)
    file = None
    if isinstance(url, str) and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        file = url[len("sqlite:///"):].split("?", 1)[0]
    elif getattr(storage, "path", None) is not None and isinstance(storage.path, (str, os.PathLike)):
        file = storage.path
    if not file or file == ":memory:":
        return None
    return Path(f"{os.fspath(file)}.pbt") / study.study_name


def resolve_root(study: Any, checkpoint_dir: Any, remembered: str | None = None) -> Path:
    """``checkpoint_dir`` as an absolute path, or the default root beside the study's file; for a
    storage without a file, the root ``remembered`` from an earlier run on the study (if any)."""
    if checkpoint_dir is not None:
        return Path(checkpoint_dir).resolve()
    root = default_root(study)
    if root is None and remembered is not None:
        return Path(remembered)
    if root is None:
        raise InvalidArgumentError(
            f"checkpoint_dir=None is invalid for PopulationBasedTraining.optimize with {study.storage!r}: the "
            "storage has no file to keep checkpoints beside; pass checkpoint_dir='a/directory' (one that every "
            "worker can reach) or use storage='sqlite:///study.db'")
    return root.resolve()


def checkpoint_path(root: Any, number: int) -> Path:
    return Path(root) / f"trial_{number}"


class Writing:
    """A checkpoint being written for trial ``number``: ``path`` is a fresh temporary directory;
    :meth:`commit` renames it to the trial's checkpoint, :meth:`discard` removes it."""

    def __init__(self, root: Path, number: int) -> None:
        self.final = checkpoint_path(root, number)
        self.path = Path(root) / f".trial_{number}.{os.getpid()}.tmp"
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)

    def commit(self) -> Path:
        if self.final.exists():  # a trial number is written once: only a crash after the rename gets here
            shutil.rmtree(self.final)
        os.replace(self.path, self.final)
        return self.final

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def remove(root: Path, numbers: Any) -> None:
    """Delete the checkpoints of trials ``numbers`` (those no member can start from any more)."""
    for number in numbers:
        shutil.rmtree(checkpoint_path(root, number), ignore_errors=True)
