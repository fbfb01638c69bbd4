"""Reading a TOML config and pointing errors at the line of the offending key.

``tomllib`` (``tomli`` before Python 3.11) returns plain dicts with no positions, so the line of a
dotted key is found in the text itself: the ``[table]`` header of the longest prefix of the key,
then the ``key =`` line below it, then the inline keys on that line.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tunelab._constraints import check as check_value
from tunelab._errors import InvalidArgumentError, InvalidTypeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


#: The largest config file read (a config is a page of text; anything far bigger is a wrong file).
MAX_BYTES = 4 * 2**20


class ConfigError(InvalidArgumentError):
    """A config file is invalid; the message names the file, the line and the key."""


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _key_pattern(key: str) -> re.Pattern[str]:
    quoted = re.escape(key)
    return re.compile(rf"(^|[\s{{,.])(\"{quoted}\"|'{quoted}'|{quoted})\s*[=.]")


def _split_header(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


class Source:
    """The text of a config file, for locating keys: ``Source(text, path).line(("a", "b"))``.

    >>> src = Source('x = 1\\n[parameters]\\nlr = {type = "float", low = 1}\\n', "c.toml")
    >>> src.line(("parameters", "lr", "low"))
    3
    >>> src.error(("x",), "x=1 is invalid: must be a string").args[0]
    'c.toml line 1: x=1 is invalid: must be a string'
    """

    def __init__(self, text: str, path: str | Path) -> None:
        self.text = text
        self.path = str(path)
        self.lines = text.splitlines()

    def line(self, key: Sequence[str]) -> int | None:
        """The 1-based line where ``key`` (a path of table keys) is set, or None when not found."""
        key = tuple(str(k) for k in key)
        headers = [(i, _split_header(m.group(1))) for i, line in enumerate(self.lines)
                   if (m := _HEADER.match(line))]
        start, end, depth = 0, len(self.lines), 0
        for n in range(len(key), 0, -1):  # the longest prefix that is a [table] header
            found = [i for i, h in headers if h == key[:n]]
            if found:
                start, depth = found[0], n
                later = [i for i, _ in headers if i > start]
                end = later[0] if later else len(self.lines)
                break
        if depth == len(key):
            return start + 1
        if depth == 0:
            first = [i for i, _ in headers]
            end = first[0] if first else len(self.lines)
        rest = key[depth:]
        for i in range(start + (1 if depth else 0), end):
            if re.match(rf"^\s*(\"{re.escape(rest[0])}\"|'{re.escape(rest[0])}'|{re.escape(rest[0])})\s*[=.]",
                        self.lines[i]):
                open_braces = 0
                for j in range(i, end):  # an inline table may go on over the next lines
                    if len(rest) == 1 or _key_pattern(rest[-1]).search(self.lines[j]):
                        return j + 1
                    open_braces += self.lines[j].count("{") + self.lines[j].count("[")
                    open_braces -= self.lines[j].count("}") + self.lines[j].count("]")
                    if open_braces <= 0:
                        break
                return i + 1
        return start + 1 if depth else None

    def where(self, key: Sequence[str]) -> str:
        n = self.line(key)
        return f"{self.path} line {n}" if n else self.path

    def error(self, key: Sequence[str], message: str, *, kind: type[Exception] = ConfigError) -> Exception:
        """An error for ``key`` whose message starts with the file and line."""
        return kind(f"{self.where(key)}: {message}")

    def check(self, key: Sequence[str], value: Any, constraint: Any) -> Any:
        """``value``, set at ``key``, converted under a declared constraint (:mod:`tunelab._constraints`),
        or the house template's error for the dotted key, starting with the file and line
        (ConfigTypeError for a wrong type).

        >>> from tunelab._constraints import Integral
        >>> Source("[budget]\\nn_trials = 0\\n", "c.toml").check(("budget", "n_trials"), 0, Integral(min=1))
        Traceback (most recent call last):
        ...
        tunelab.config._source.ConfigError: c.toml line 2: budget.n_trials=0 is invalid: must be an integer >= 1
        """
        try:
            return check_value(dotted(key), value, constraint)
        except InvalidTypeError as exc:
            raise self.error(key, str(exc), kind=ConfigTypeError) from None
        except InvalidArgumentError as exc:
            raise self.error(key, str(exc)) from None


class ConfigTypeError(ConfigError, InvalidTypeError):
    """A config value has the wrong type."""


def load_toml(path: str | os.PathLike[str]) -> tuple[dict[str, Any], Source]:
    """Parse the TOML file at ``path``; every failure (no such file, unreadable, not UTF-8, a syntax
    error) is a ConfigError naming the file, and TOML's own position for a syntax error."""
    text, shown = read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown}: not valid TOML: {exc}") from None
    return data, Source(text, shown)


def read_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """The text of the config file at ``path`` (UTF-8, a byte order mark allowed) and its name as shown."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise ConfigTypeError(f"config={path!r} (type {type(path).__name__}) is invalid: must be the path of a "
                              "TOML file")
    shown = os.fspath(path)
    try:
        info = os.stat(shown)
    except FileNotFoundError:
        raise ConfigError(f"config={shown!r} is invalid: must be an existing TOML file (there is no such "
                          "file)") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ConfigError(f"config={shown!r} is invalid: must be an existing TOML file "
                          f"({getattr(exc, 'strerror', None) or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"config={shown!r} is invalid: must be a TOML file, not a directory")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"config={shown!r} is invalid: must be a regular TOML file, not a device, pipe or socket")
    if info.st_size > MAX_BYTES:
        raise ConfigError(f"config={shown!r} is invalid: a config file is at most {MAX_BYTES // 2**20} MiB; "
                          f"this one has {info.st_size} bytes")
    try:
        with open(shown, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{shown} cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{shown} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} is not UTF-8; "
                          "TOML files are UTF-8: save it as UTF-8") from None
    return text.removeprefix("\ufeff"), shown


def dotted(key: Iterable[str]) -> str:
    return ".".join(str(k) for k in key)


def check_keys(table: dict[str, Any], allowed: Iterable[str], key: Sequence[str], src: Source) -> None:
    """Refuse keys of ``table`` outside ``allowed``, with a did-you-mean."""
    allowed = list(allowed)
    for name in table:
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = f"[{dotted(key)}]" if key else "the top level"
            raise src.error((*key, name), f"unknown key {dotted((*key, name))!r} in {where}{hint} "
                                          f"(allowed: {', '.join(allowed)})")
