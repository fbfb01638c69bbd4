"""A re-entrant lock for samplers that keep state, dropped on pickling and made anew on unpickling."""

from __future__ import annotations

import threading
from typing import Any


class Locked:
    """Mixin: ``self._lock`` guards the sampler's state; pickled copies (worker processes) get their own.

    >>> import pickle
    >>> copy = pickle.loads(pickle.dumps(Locked()))
    >>> copy._lock is not None
    True
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
