"""What every suite shares: a named check, the error a failing plug-in gets, and the runner."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from tunelab._errors import TunelabError, invalid, wrong_type


class ConformanceError(TunelabError, AssertionError):
    """A plug-in failed conformance checks; ``failures`` maps each failed check's name to its error."""

    def __init__(self, message: str, failures: Mapping[str, BaseException]) -> None:
        super().__init__(message)
        self.failures = dict(failures)


class NotApplicable(Exception):  # noqa: N818 - says what it is, not an error
    """Raised by a check that does not apply to the plug-in at hand (the message says why): the
    check counts as skipped, not failed."""


@dataclasses.dataclass(frozen=True)
class Check:
    """One conformance check: ``check(make, **options)`` returns None or raises.

    ``make`` is the suite's factory of fresh plug-in objects; the options are those of the suite's
    ``check_*`` function. A failure is an ``AssertionError`` that says what the plug-in did and what
    was expected; any other exception the plug-in raises fails the check too. ``str(check)`` is
    its name, so ``pytest.mark.parametrize("check", ..., ids=str)`` names each test after it.
    """

    name: str
    function: Callable[..., None]

    @property
    def description(self) -> str:
        """The first line of the check's docstring: what a conforming plug-in does."""
        return (self.function.__doc__ or "").strip().splitlines()[0]

    def __call__(self, make: Callable[..., Any], **options: Any) -> None:
        self.function(make, **options)

    def __str__(self) -> str:
        return self.name


def expect(condition: object, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds (kept under ``python -O``)."""
    if not condition:
        raise AssertionError(message)


def equal(actual: Any, expected: Any, what: str) -> None:
    """Fail the running check unless ``actual == expected``, showing both."""
    if actual != expected:
        raise AssertionError(f"{what}: got {actual!r}, expected {expected!r}")


@contextlib.contextmanager
def raises(kind: type[BaseException], *, match: str) -> Iterator[None]:
    """Fail the running check unless the block raises ``kind`` with a message matching ``match``."""
    try:
        yield
    except kind as exc:
        if not re.search(match, str(exc)):
            raise AssertionError(f"{type(exc).__name__} raised, but its message {str(exc)!r} does not match "
                                 f"{match!r}") from exc
        return
    raise AssertionError(f"{kind.__name__} (matching {match!r}) was not raised")


def run_checks(kind: str, label: str, checks: Iterable[Check], make: Callable[..., Any],
               skip: Mapping[str, str] | None, options: Mapping[str, Any]) -> None:
    """Run ``checks`` but the skipped ones; raise :class:`ConformanceError` listing every failure."""
    checks = tuple(checks)
    skip = _checked_skip(skip, [c.name for c in checks], kind)
    failures: dict[str, BaseException] = {}
    for check in checks:
        if check.name in skip:
            continue
        try:
            check(make, **options)
        except NotApplicable:
            continue
        except Exception as exc:  # noqa: BLE001 - every error of the plug-in is a failed check, reported below
            failures[check.name] = exc
    if failures:
        lines = [f"- {name}: {type(exc).__name__}: {exc}" for name, exc in failures.items()]
        ran = len(checks) - len(skip)
        raise ConformanceError(f"{label} failed {len(failures)} of {ran} {kind} checks:\n" + "\n".join(lines),
                               failures)


def _checked_skip(skip: Mapping[str, str] | None, names: list[str], kind: str) -> dict[str, str]:
    if skip is None:
        return {}
    if not isinstance(skip, Mapping):
        raise wrong_type("skip", skip, "a mapping of check name to the reason it does not apply")
    for name, reason in skip.items():
        if name not in names:
            raise invalid("skip", dict(skip), f"a mapping whose keys are {kind} check names ({', '.join(names)})")
        if not isinstance(reason, str) or not reason.strip():
            raise invalid(f"skip[{name!r}]", reason, "a non-empty reason")
    return dict(skip)
