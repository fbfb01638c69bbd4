"""The journal's file: one append-only log per path, locked against other writers, read incrementally.

Every process holds one :class:`JournalFile` per log file (:func:`open_journal`), shared by all its
storage objects on that file, with one file descriptor that stays open: POSIX record locks
belong to a process, not to a descriptor, and closing *any* descriptor of the file drops them all,
so the process never opens and closes the file beside the one it locks through.

Locking: a thread lock orders the process's own threads; between processes, by default a POSIX
record lock (``fcntl.lockf``) on the log itself, exclusive to append, shared to read (taking it
makes an NFS client revalidate its cache of the file); or, for file systems without POSIX locks,
a lock file (:class:`JournalFileOpenLock`, :class:`JournalFileSymlinkLock`) held only to append.

Records are lines of JSON. A writer appends a whole batch as one line in one ``write`` call, under
the exclusive lock, after reading everything before it; a reader consumes complete lines only, so
it never sees half a batch. A line a killed writer left unfinished is ended by the next writer and
skipped on reading (with a warning).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tunelab._constraints import AnyOf, InstanceOf, Real, String, constrained
from tunelab._errors import StorageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: lock files only
    fcntl = None  # type: ignore[assignment]

_log = logging.getLogger("tunelab.storage")

#: The first line of every tunelab journal.
HEADER = {"tunelab_journal": 1}

_HEADER_START = b'{"tunelab_journal"'
_PATH = String(what="a path to the journal file")
_FILEPATH = AnyOf(_PATH, InstanceOf(os.PathLike, "a path"), what="a path to the journal file")
_GRACE = (None, Real(0, None, min_open=True, what="a positive number of seconds"))


class _LockFile:
    """A lock held by creating a file beside the journal; a lock older than ``grace_period`` s is
    taken for one whose holder died, and broken."""

    def __init__(self, filepath: str, grace_period: float | None = 30) -> None:
        self._lock_path = os.path.abspath(os.fspath(filepath)) + ".lock"
        self.grace_period = grace_period

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._lock_path[:-5]!r}, grace_period={self.grace_period!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._lock_path[:-5], self.grace_period))

    def _take(self) -> bool:
        raise NotImplementedError

    def acquire(self) -> bool:
        """Wait until the lock is this process's; True."""
        delay = 0.001
        while True:
            if self._take():
                return True
            self._break_if_stale()
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def release(self) -> None:
        """Give the lock back."""
        try:
            os.unlink(self._lock_path)
        except FileNotFoundError:  # broken by another process as stale: nothing to give back
            pass

    def _break_if_stale(self) -> None:
        if self.grace_period is None:
            return
        try:
            age = time.time() - os.lstat(self._lock_path).st_mtime
        except FileNotFoundError:
            return
        if age > self.grace_period:
            _log.warning("breaking the lock %s, held for %.0f s (grace period %g s): its holder died?",
                         self._lock_path, age, self.grace_period)
            self.release()


@constrained({"filepath": _FILEPATH, "grace_period": _GRACE})
class JournalFileOpenLock(_LockFile):
    """Lock a journal by creating ``<filepath>.lock`` exclusively (``O_CREAT | O_EXCL``; NFSv3 and later).

    For shared file systems without POSIX record locks. ``grace_period``: seconds after which a
    lock is taken for one left by a dead process and removed (None: never).
    """

    def __init__(self, filepath: str, grace_period: float | None = 30) -> None:
        super().__init__(filepath, grace_period)

    def _take(self) -> bool:
        try:
            fd = os.open(self._lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.close(fd)
        return True


@constrained({"filepath": _FILEPATH, "grace_period": _GRACE})
class JournalFileSymlinkLock(_LockFile):
    """Lock a journal by creating the symbolic link ``<filepath>.lock`` (atomic on NFSv2 and later).

    ``grace_period``: seconds after which a lock is taken for one left by a dead process and
    removed (None: never).
    """

    def __init__(self, filepath: str, grace_period: float | None = 30) -> None:
        super().__init__(filepath, grace_period)

    def _take(self) -> bool:
        try:
            os.symlink(os.path.basename(self._lock_path[:-5]), self._lock_path)
        except FileExistsError:
            return False
        return True


LOCKS = (JournalFileOpenLock, JournalFileSymlinkLock)


@constrained({"file_path": _FILEPATH,
              "lock_obj": (None, InstanceOf(_LockFile, "a JournalFileOpenLock or JournalFileSymlinkLock"))})
class JournalFileBackend:
    """Where a :class:`~tunelab.storage.JournalStorage` keeps its log: a file, and how it is locked.

    ``lock_obj`` None (default) locks the file itself with POSIX record locks (``fcntl.lockf``:
    local disks, NFS with a lock manager); :class:`JournalFileOpenLock` or
    :class:`JournalFileSymlinkLock` lock through a lock file beside it instead.
    """

    def __init__(self, file_path: str, lock_obj: _LockFile | None = None) -> None:
        self.file_path = file_path
        self.lock_obj = lock_obj

    def __repr__(self) -> str:
        lock = "" if self.lock_obj is None else f", lock_obj={self.lock_obj!r}"
        return f"JournalFileBackend({self.file_path!r}{lock})"


class JournalFile:
    """This process's handle on one journal: the open file, its locks, what was read so far.

    ``apply(record)`` is called for every record, in file order, exactly once per process.
    """

    _read_only = False

    def __init__(self, path: str, lock: _LockFile | None, apply: Callable[[dict[str, Any]], None]) -> None:
        self.path = path
        self._apply = apply
        self.requested_lock = lock
        self._file_lock = lock
        if lock is None and fcntl is None:  # pragma: no cover - Windows
            self._file_lock = JournalFileOpenLock(path)
        self.lock = threading.RLock()
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM) or not os.path.isfile(path):
                raise StorageError(f"journal {path!r} cannot be opened: {exc.strerror}") from None
            self._fd = os.open(path, os.O_RDONLY)  # readable only: reading works, a write says why not
            self._read_only = True
        self._offset = 0
        self._line = 0
        self._skipped = 0

    state: Any = None

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            self.close()

    # -- locking -------------------------------------------------------------------------------------
    @contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        if self._fd < 0:
            raise StorageError(f"journal {self.path!r} was closed")
        if self._file_lock is not None:
            if exclusive:
                self._file_lock.acquire()
            try:
                yield
            finally:
                if exclusive:
                    self._file_lock.release()
            return
        fcntl.lockf(self._fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.lockf(self._fd, fcntl.LOCK_UN)

    @contextmanager
    def _descriptor(self) -> Iterator[None]:
        """Under a lock-file lock, the file is opened afresh for each read or write and closed after:
        on NFS, opening makes the client see what other machines appended, closing sends ours (POSIX
        locks do both themselves, on the one descriptor that stays open)."""
        if self._file_lock is None:
            yield
            return
        kept = self._fd
        flags = os.O_RDONLY if self._read_only else os.O_RDWR | os.O_APPEND
        try:
            self._fd = os.open(self.path, flags)
        except OSError as exc:
            self._fd = kept
            raise StorageError(f"journal {self.path!r} cannot be opened: {exc.strerror}") from None
        try:
            yield
        finally:
            os.close(self._fd)
            self._fd = kept

    # -- reading -------------------------------------------------------------------------------------
    def sync(self) -> None:
        """Read and apply the records appended since the last call (by any process)."""
        with self.lock, self._locked(exclusive=False), self._descriptor():
            self._read_new()

    def _read_new(self) -> None:
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return
        data = os.pread(self._fd, size - self._offset, self._offset)
        end = data.rfind(b"\n") + 1  # complete lines only: a writer may be half-way through the last
        if not end:
            if not self._line and not _HEADER_START.startswith(data[:len(_HEADER_START)]):
                raise StorageError(f"{self.path!r} is not a tunelab journal; it was left untouched")
            return
        for raw in data[:end].split(b"\n")[:-1]:
            self._line += 1
            self._offset += len(raw) + 1
            record = self._parse(raw)
            if record is None:
                continue
            if self._line == 1:
                self._check_header(record)
                continue
            self._apply(record)

    def _parse(self, raw: bytes) -> dict[str, Any] | None:
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if isinstance(record, dict):
            return record
        if self._line == 1:
            raise StorageError(f"{self.path!r} is not a tunelab journal (its first line is not JSON); "
                               "it was left untouched")
        self._skipped += 1
        _log.warning("journal %s: line %d is not a whole record (a writer was killed while writing it?); "
                     "skipped", self.path, self._line)
        return None

    def _check_header(self, record: dict[str, Any]) -> None:
        if record == HEADER:
            return
        if "op_code" in record:
            raise StorageError(f"{self.path!r} is an Optuna journal file: tunelab reads its own journals only "
                               "(tunelab import-optuna copies studies from an Optuna SQL database); it was "
                               "left untouched")
        version = record.get("tunelab_journal")
        if isinstance(version, int) and version > HEADER["tunelab_journal"]:
            raise StorageError(f"{self.path!r} was written by a newer tunelab (journal format {version}, this "
                               f"one reads {HEADER['tunelab_journal']}); upgrade tunelab. It was left untouched")
        raise StorageError(f"{self.path!r} is not a tunelab journal (its first line is {str(record)[:80]}); it "
                           "was left untouched")

    # -- writing -------------------------------------------------------------------------------------
    def write(self, build: Callable[[], list[dict[str, Any]]]) -> None:
        """Under the exclusive lock, with every earlier record applied: append ``build()``'s records
        (one line, one write; nothing when it returns none) and apply them.

        ``build`` validates against the state the records so far produced and raises, writing
        nothing, when the write is not allowed.
        """
        if self._read_only:
            raise StorageError(f"journal {self.path!r} can be read but not written (file permissions or a "
                               "read-only file system): nothing was written")
        with self.lock, self._locked(exclusive=True), self._descriptor():
            self._read_new()
            size = os.fstat(self._fd).st_size
            if size and not self._line:  # content, but not one complete line: no journal of ours
                raise StorageError(f"{self.path!r} is not a tunelab journal (it holds no complete first line); "
                                   "it was left untouched")
            if size == 0:
                self._append([HEADER], size)
                self._read_new()
                size = os.fstat(self._fd).st_size
            records = build()
            if not records:
                return
            if size > self._offset:  # a killed writer's unfinished line: end it, so that ours stands alone
                self._append_bytes(b"\n", size)
                self._read_new()
                size = os.fstat(self._fd).st_size
            self._append(records if len(records) == 1 else [{"op": "batch", "ops": records}], size)
            self._read_new()

    def _append(self, records: list[dict[str, Any]], size: int) -> None:
        data = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)
        self._append_bytes(data, size)

    def _append_bytes(self, data: bytes, size: int) -> None:
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(errno.EIO, f"short write ({written} of {len(data)} bytes)")
        except OSError as exc:
            try:  # leave no partial record behind
                os.ftruncate(self._fd, size)
            except OSError:
                pass
            meaning = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror
            raise StorageError(f"journal {self.path!r} failed: {meaning}; nothing was written") from None


_OPEN: weakref.WeakValueDictionary[str, JournalFile] = weakref.WeakValueDictionary()
_OPEN_LOCK = threading.Lock()


def open_journal(path: str, lock: _LockFile | None, make_state: Callable[[], Any]) -> JournalFile:
    """This process's handle on the journal at ``path``, with the state its records build (``.state``).

    ``make_state()`` returns a new state with an ``apply(record)`` method. One handle per file per
    process while any storage object holds it; the file is closed when none does.
    """
    real = os.path.realpath(path)
    with _OPEN_LOCK:
        found = _OPEN.get(real)
        if found is None:
            state = make_state()
            found = JournalFile(real, lock, state.apply)
            found.state = state
            _OPEN[real] = found
        elif type(lock) is not type(found.requested_lock):
            raise StorageError(f"journal {path!r} is open in this process with lock_obj="
                               f"{found.requested_lock!r}; open it with the same kind of lock everywhere "
                               f"(given {lock!r})")
    return found


def _forget_after_fork() -> None:
    """A forked child holds no POSIX lock and must not inherit its parent's held thread locks: its
    storage objects open the file afresh (they notice the new process id)."""
    global _OPEN_LOCK
    _OPEN_LOCK = threading.Lock()
    _OPEN.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
