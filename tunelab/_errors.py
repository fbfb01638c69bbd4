"""The exception hierarchy: every error tunelab raises on purpose derives from TunelabError."""

from __future__ import annotations


class TunelabError(Exception):
    """Root of every error raised by tunelab on purpose."""


class InvalidArgumentError(TunelabError, ValueError):
    """An argument has a value that is not allowed."""


class InvalidTypeError(TunelabError, TypeError):
    """An argument has a type that is not allowed."""


class StorageError(TunelabError):
    """The storage cannot be used (corrupt, foreign or too new a file, lost connection)."""


class DuplicatedStudyError(TunelabError, ValueError):
    """A study with that name already exists."""


class StudyNotFoundError(TunelabError, KeyError):
    """No study with that name or id exists."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class TrialNotFoundError(TunelabError, KeyError):
    """No trial with that number or id exists."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TrialFinishedError(TunelabError, RuntimeError):
    """The trial is already finished and can no longer change."""


class MissingExtraError(TunelabError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class TrialPruned(Exception):  # noqa: N818 - the name users already know
    """Raise inside an objective to stop the trial as PRUNED."""


def invalid(argument: str, value: object, allowed: str, *, where: str | None = None,
            error: type[InvalidArgumentError] = InvalidArgumentError) -> InvalidArgumentError:
    """Build the one message template for a bad argument value (``error``: the class, a subclass
    of InvalidArgumentError such as ``ScheduleError``).

    >>> str(invalid("low", 5, "at most high=1"))
    'low=5 is invalid: must be at most high=1'
    >>> str(invalid("low", 5, "at most high=1", where="IntDistribution"))
    'low=5 is invalid for IntDistribution: must be at most high=1'
    """
    place = f" for {where}" if where else ""
    return error(f"{argument}={value!r} is invalid{place}: must be {allowed}")


def wrong_type(argument: str, value: object, allowed: str, *, where: str | None = None) -> InvalidTypeError:
    """Build the one message template for an argument of the wrong type.

    >>> str(wrong_type("log", "yes", "a bool", where="FloatDistribution"))
    "log='yes' (type str) is invalid for FloatDistribution: must be a bool"
    """
    place = f" for {where}" if where else ""
    return InvalidTypeError(
        f"{argument}={value!r} (type {type(value).__name__}) is invalid{place}: must be {allowed}"
    )


def require_extra(module: str, extra: str, *, hint: str = ""):
    """Import ``module`` or raise MissingExtraError: naming the extra that provides it when it is
    not installed, or saying what failed (and ``hint``) when it is installed but cannot be imported."""
    import importlib
    import importlib.util

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        try:
            installed = importlib.util.find_spec(module) is not None
        except ImportError:  # a parent package is missing
            installed = False
        if installed:
            raise MissingExtraError(f"{module!r} is installed but cannot be imported: {exc}"
                                    + (f" ({hint})" if hint else "")) from exc
        raise MissingExtraError(
            f"{module!r} is not installed; install it with: pip install 'tunelab[{extra}]'"
        ) from exc
