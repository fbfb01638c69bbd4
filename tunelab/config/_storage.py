"""Where a config's study lives, and how its running trials are watched.

Either a string, ``storage = "digits.db"`` (an SQLite file beside the config) or a database URL
(``sqlite:///path.db``, ``postgresql://user@host/db``), or a table::

    [storage]
    url = "digits.db"            # as above; default: <config stem>.db beside the config
    heartbeat_interval = 10      # seconds between heartbeats of the running trials; false: none
    grace_period = 40            # a RUNNING trial silent this long belongs to a dead run (default 4 intervals)
    retries = 1                  # how often such a lost trial is queued again with its parameters

``tunelab run`` heartbeats by default (:data:`HEARTBEAT_S`, :data:`RETRIES`): a run killed hard
leaves no trial RUNNING for ever; the next run (or any ask on the study from a storage with
heartbeats) fails it and queues it again. The URL is checked before anything is written: the
scheme, the SQLite file's folder, and that an existing file is an SQLite database. Errors show
the URL with its password hidden.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from tunelab._constraints import Integral, Real, String
from tunelab.config._source import Source, check_keys

#: Heartbeat interval (seconds) of ``tunelab run`` when the config sets none.
HEARTBEAT_S = 10.0
#: How often ``tunelab run`` queues a lost trial again when the config does not say.
RETRIES = 1
STORAGE_KEYS = ("url", "heartbeat_interval", "grace_period", "retries")
_SQLITE_HEADER = b"SQLite format 3\x00"
_POSTGRES = re.compile(r"^postgresql(\+\w+)?$")


@dataclasses.dataclass(frozen=True)
class StorageSpec:
    """A validated ``storage``: the URL (SQLite paths made absolute) and the heartbeat policy."""

    url: str
    heartbeat_interval: float | None
    grace_period: float | None
    retries: int


def parse_storage(value: Any, config_path: Path, src: Source, *, script: bool) -> StorageSpec:
    """Validate the top-level ``storage`` (a string or a table) of the config at ``config_path``.

    ``script``: trials run a script, which must reach the database too (so not an in-memory one).
    """
    table = value if isinstance(value, dict) else {"url": value}
    key = ("storage", "url") if isinstance(value, dict) else ("storage",)
    if isinstance(value, dict):
        check_keys(value, STORAGE_KEYS, ("storage",), src)
    url = _url(table.get("url"), ".".join(key), key, config_path, src, script=script)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if "heartbeat_interval" not in table:
        interval = None if memory else HEARTBEAT_S
    elif table["heartbeat_interval"] is False:
        interval = None
    else:
        interval = _seconds(table, "heartbeat_interval", src, what="a positive number of seconds or false")
    grace = _seconds(table, "grace_period", src, what="a positive number of seconds") \
        if "grace_period" in table else None
    retries = src.check(("storage", "retries"), table.get("retries", RETRIES if interval is not None else 0),
                        Integral(min=0))
    if interval is None:
        for name in ("grace_period", "retries"):
            if table.get(name):
                raise src.error(("storage", name), f"storage.{name}={table[name]!r} is invalid: a grace period and "
                                                   "retries of lost trials need heartbeats (set "
                                                   "storage.heartbeat_interval to a number of seconds)")
    elif grace is not None and grace <= interval:
        raise src.error(("storage", "grace_period"), f"storage.grace_period={table['grace_period']!r} is invalid: "
                                                     "must be longer than storage.heartbeat_interval="
                                                     f"{table.get('heartbeat_interval', HEARTBEAT_S)!r}")
    return StorageSpec(url, interval, grace, retries)


def _seconds(table: dict[str, Any], name: str, src: Source, *, what: str) -> float:
    return float(src.check(("storage", name), table[name], Real(0, None, min_open=True, what=what)))


def _url(value: Any, name: str, key: tuple[str, ...], config_path: Path, src: Source, *, script: bool) -> str:
    """The storage URL, with an SQLite file's path made absolute (a script runs in another folder)."""
    from tunelab.storage import redact_url

    if value is None:
        return f"sqlite:///{config_path.with_suffix('.db')}"
    allowed = ("an SQLite file path, sqlite:///path.db or a postgresql://user@host/database URL")

    def bad(why: str) -> Exception:
        return src.error(key, f"{name}={redact_url(value)!r} is invalid: {why}")

    src.check(key, value, String(what=allowed))
    if not value.strip() or any(c in value for c in "\x00\n\r"):
        raise bad(f"must be {allowed}")
    scheme, sep, rest = value.partition("://")
    if not sep:
        return "sqlite:///" + _sqlite_file(config_path.parent / value, bad)
    if _POSTGRES.match(scheme.lower()):
        return value
    if scheme.lower() != "sqlite":
        raise bad(f"must be {allowed}")
    path, mark, query = rest.partition("?")
    if path in ("", "/:memory:"):
        if script:
            raise bad("an in-memory database cannot be reached by the training script: name an SQLite file")
        return value
    if not path.startswith("/"):
        raise bad(f"an SQLite URL has three slashes before a relative path (sqlite:///{path}) and four before "
                  "an absolute one (sqlite:////folder/file.db)")
    return "sqlite:///" + _sqlite_file(Path(path[1:]), bad) + mark + query


def _sqlite_file(path: Path, bad: Any) -> str:
    """``path`` made absolute, checked to be a usable SQLite file (existing or not); nothing is written."""
    path = Path(os.path.abspath(path))
    if not path.parent.is_dir():
        raise bad(f"the folder {path.parent} does not exist")
    if path.is_dir():
        raise bad(f"{path} is a directory, not an SQLite file")
    if path.exists():
        try:
            with open(path, "rb") as f:
                header = f.read(len(_SQLITE_HEADER))
        except OSError as exc:
            raise bad(f"{path} cannot be read: {exc.strerror or exc}") from None
        if header and header != _SQLITE_HEADER:
            raise bad(f"{path} is not an SQLite database (it is left untouched): name another file")
    return str(path)
