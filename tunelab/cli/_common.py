"""Pieces the commands share: the storage option, study lookup and output formats."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tunelab._errors import InvalidArgumentError
from tunelab.reporting._safe import csv_table, dumps, json_safe
from tunelab.storage import STORAGE_ENV


def add_storage_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--storage", help=f"database URL (default: ${STORAGE_ENV})")


STORAGE_ALLOWED = ("sqlite:///PATH (three slashes: sqlite:///study.db, sqlite:////abs/study.db), "
                   "postgresql://USER@HOST/DB or a file path")


def storage_url(args: argparse.Namespace) -> str:
    """The storage URL from ``--storage`` or the environment, checked (see :func:`check_storage_url`)."""
    if args.storage is not None:
        return check_storage_url(args.storage, "--storage")
    url = os.environ.get(STORAGE_ENV)
    if not url:
        raise InvalidArgumentError(f"--storage is missing: give --storage URL or set {STORAGE_ENV}")
    return check_storage_url(url, f"${STORAGE_ENV}")


def check_storage_url(url: str, argument: str) -> str:
    """``url`` if it names a database a command can use; an error naming ``argument`` otherwise.

    Refused: empty text, a scheme other than SQLite's or PostgreSQL's, an in-memory SQLite database
    (gone when the command ends), ``sqlite://name.db`` (two slashes: SQLite has no host, so this
    names no file), a directory.

    >>> check_storage_url("sqlite:///study.db", "--storage")
    'sqlite:///study.db'
    >>> check_storage_url("sqlite://study.db", "--storage")
    Traceback (most recent call last):
    ...
    tunelab._errors.InvalidArgumentError: --storage='sqlite://study.db' is invalid: names no file (two slashes make 'study.db' a host, which SQLite has not; write sqlite:///study.db); must be sqlite:///PATH (three slashes: sqlite:///study.db, sqlite:////abs/study.db), postgresql://USER@HOST/DB or a file path
    """
    from tunelab.storage import redact_url

    def refuse(why: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"{argument}={redact_url(url)!r} is invalid: {why}; must be {STORAGE_ALLOWED}")

    if not url.strip():
        raise refuse("it is empty")
    if "\0" in url:
        raise refuse("it holds a NUL character")
    scheme, sep, rest = url.partition("://")
    if not sep:
        head = url.partition(":")
        if head[1] and len(head[0]) > 1 and head[0].replace("+", "").isalnum() and not os.path.exists(url):
            raise refuse(f"{head[0]}: is not followed by //")  # a URL missing its slashes, not a file name
        path = url
    elif scheme.lower().partition("+")[0] == "sqlite":
        if rest and not rest.startswith("/"):
            host = rest.partition("/")[0].partition("?")[0]
            raise refuse(f"names no file (two slashes make {host!r} a host, which SQLite has not; "
                         f"write sqlite:///{rest})")
        path = rest[1:].partition("?")[0]
        if path in ("", ":memory:"):
            raise refuse("it is an in-memory database, gone when the command ends")
    elif scheme.lower().partition("+")[0] == "postgresql":
        return url
    else:
        raise refuse(f"the scheme {scheme + sep!r} is not supported")
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise refuse(f"{path!r} is a directory")
    return url


def integer(low: int, high: int) -> Any:
    """An argparse ``type``: an integer in ``low..high``, or a usage error saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is invalid: must be an integer in {low}..{high}")
        return value

    return parse


def number(text: str) -> float:
    """An argparse ``type``: a float (``nan`` and ``inf`` included), or a usage error saying so."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is invalid: must be a number") from None


def writable_output(text: str, argument: str) -> Path:
    """The file ``text`` names, checked before any work is done: not empty, not a directory, below
    a directory we may write to (missing directories are made when the file is written)."""
    if not text.strip() or "\0" in text:
        raise InvalidArgumentError(f"{argument}={text!r} is invalid: must be a file path")
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)):
        raise InvalidArgumentError(f"{argument}={text!r} is invalid: it names a directory; must be a file path")
    existing = path.absolute().parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InvalidArgumentError(f"{argument}={text!r} is invalid: {str(existing)!r} is a file, not a directory")
    if not os.access(existing, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InvalidArgumentError(f"{argument}={text!r} is invalid: permission denied")
    return path


def write_output(path: Path, data: str | bytes, argument: str) -> None:
    """Write ``data`` to ``path`` (checked by :func:`writable_output`), making missing directories."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise InvalidArgumentError(f"{argument}={str(path)!r} cannot be written: {exc.strerror or exc}") from None


def add_study_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument("--study", "--study-name", dest="study", required=required,
                        help="study name (optional when the storage holds one study)")


@contextlib.contextmanager
def reading(args: argparse.Namespace) -> Iterator[Any]:
    """The storage of ``args`` opened read-only (nothing created, changed or switched to WAL: a
    missing, foreign or garbled file is an error), closed when the block ends."""
    from tunelab.storage import get_storage

    storage = get_storage(storage_url(args), read_only=True)
    try:
        yield storage
    finally:
        storage.close()


@contextlib.contextmanager
def writing(args: argparse.Namespace, *, create: bool) -> Iterator[Any]:
    """The storage of ``args`` opened for writing, closed when the block ends (so that no ``-wal`` or
    ``-shm`` file is left behind). Unless ``create``, the storage must already hold the study named
    by ``--study``: that is checked read-only first, so a missing, empty or foreign file, or an
    unknown study, is an error that changed nothing."""
    from tunelab.storage import get_storage

    url = storage_url(args)
    if not create:
        with reading(args) as storage:
            storage.get_study_id(args.study)  # StudyNotFoundError names it
    storage = get_storage(url)
    try:
        yield storage
    finally:
        storage.close()


@contextlib.contextmanager
def load(args: argparse.Namespace) -> Iterator[Any]:
    """The study named by ``--study`` (or the storage's only one), read-only, for the block's duration."""
    import tunelab

    with reading(args) as storage:
        name = args.study
        if name is None:
            names = [s.study_name for s in storage.get_all_studies()]
            if len(names) != 1:
                raise InvalidArgumentError(f"--study is missing: the storage holds {len(names)} studies "
                                           f"{names[:10]}; name one with --study NAME")
            name = names[0]
        yield tunelab.load_study(study_name=name, storage=storage)


def render(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Rows as an aligned text table, JSON or CSV."""
    if fmt == "json":
        return dumps(list(rows), indent=2)
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    if fmt == "csv":  # numbers as numbers, in full; text a spreadsheet would run as a formula neutralised
        return csv_table(columns, ([_csv_value(r.get(k)) for k in columns] for r in rows)).rstrip("\r\n")
    table = [columns] + [[cell(r.get(k)) for k in columns] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cell(value: Any) -> str:
    """One table cell as text: floats to 6 significant digits, lists and mappings as JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    value = json_safe(value)
    return value if isinstance(value, str) else dumps(value)


def _csv_value(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return cell(value)
