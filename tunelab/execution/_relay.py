"""A storage that lives in the study process's memory, served to its worker processes.

An :class:`~tunelab.storage.InMemoryStorage` cannot be opened by another process. For worker
processes (``executor='process'``) the study process serves it: a :class:`Relay` listens on a
local socket (a Unix socket; a named pipe on Windows) that only holders of its random key may
use, serves each connected worker from a thread of its own and calls the storage for it. A worker
gets a :class:`RelayedStorage`, a :class:`~tunelab.storage.Storage` whose every call is sent to
the relay and answered there, errors included. The storage in the study process stays the one
record of the study:

* a worker killed in the middle of a call loses its connection and nothing else (a call is done
  whole in the study process, or not at all);
* a worker interrupted in the middle of a call (Ctrl-C) drops its connection, so no late answer
  is taken for the answer to its next call;
* a worker whose relay is gone (the study process ended, or closed it) ends at once, with exit
  status :data:`RELAY_LOST_EXIT`, instead of waiting for answers that will not come.
"""

from __future__ import annotations

import abc
import os
import pickle
import sys
import threading
import time
from multiprocessing import connection
from typing import Any

from tunelab._errors import InvalidArgumentError, TunelabError
from tunelab.execution._executors import dumps
from tunelab.storage import Storage

#: Exit status of a worker process whose storage relay is gone.
RELAY_LOST_EXIT = 87

#: The storage calls a worker may make through the relay. Heartbeats are not among them: the
#: study process watches its workers through their pipes, and a relayed storage has no liveness.
RELAYED = frozenset({
    "create_study", "delete_study", "get_study_id", "get_study_name", "get_study_directions",
    "set_study_attr", "get_study_attrs", "get_all_studies",
    "create_trial", "start_trial", "set_trial_params", "set_trial_intermediate_value", "set_trial_attr",
    "finish_trial", "finish_and_start_many", "get_trial", "get_trial_id", "get_all_trials", "get_n_trials",
    "fail_trial", "fail_lost_trial", "fail_stale_trials", "stale_trial_ids", "record_heartbeats",
})


class Relay:
    """Serve ``storage`` to worker processes until :meth:`close`; :meth:`client` is what they get."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._key = os.urandom(32)
        self._listener = connection.Listener(backlog=64)
        self._closed = False
        self._accepting = threading.Thread(target=self._accept, name="tunelab-relay", daemon=True)
        self._accepting.start()

    def client(self) -> RelayedStorage:
        """A storage object for worker processes: pickled, it carries the relay's address and key."""
        return RelayedStorage(self._listener.address, self._key, retries=self.storage.retries,
                              described=repr(self.storage))

    def close(self) -> None:
        """Stop accepting workers (the connected ones end with their processes)."""
        if self._closed:
            return
        self._closed = True
        try:
            connection.Client(self._listener.address).close()  # wakes the accepting thread
        except OSError:
            pass
        self._accepting.join(timeout=2)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn = self._listener.accept()
            except OSError:  # closed under us, or out of descriptors for a moment
                time.sleep(0.05)
                continue
            if self._closed:
                conn.close()
                return
            threading.Thread(target=self._serve, args=(conn,), name="tunelab-relay-worker", daemon=True).start()

    def _serve(self, conn: connection.Connection) -> None:
        """Answer one worker's calls, in order, until it hangs up (the handshake first: the key)."""
        try:
            connection.deliver_challenge(conn, self._key)
            connection.answer_challenge(conn, self._key)
            while True:
                request = conn.recv_bytes()
                try:  # a request this process cannot unpickle is answered too: the worker waits for an answer
                    name, args, kwargs = pickle.loads(request)
                    if name not in RELAYED:
                        raise InvalidArgumentError(f"{name!r} is not a storage call the relay serves")
                    reply = (True, getattr(self.storage, name)(*args, **kwargs))
                except Exception as exc:  # noqa: BLE001 - every error goes back to the caller
                    reply = (False, exc)
                conn.send_bytes(_dumps_reply(reply))
        except (EOFError, OSError, connection.AuthenticationError):  # the worker ended, or was not ours
            pass
        finally:
            conn.close()


def _dumps_reply(reply: tuple[bool, Any]) -> bytes:
    try:
        return pickle.dumps(reply)
    except Exception as exc:  # noqa: BLE001 - an answer that cannot travel becomes an error that can
        what = reply[1] if not reply[0] else exc
        return pickle.dumps((False, TunelabError(f"the storage's answer cannot be sent to the worker process "
                                                 f"({type(what).__name__}: {what})")))


class RelayedStorage(Storage):
    """The study process's storage, as a worker process sees it: every call goes through the relay.

    Thread-safe: calls from several threads of a worker take turns on its one connection. Not
    meant to be made directly: :meth:`Relay.client` makes it for the workers of a process pool.
    """

    def __init__(self, address: Any, key: bytes, *, retries: int, described: str) -> None:
        self._address = address
        self._key = key
        self._retries = retries
        self._described = described
        self._conn: connection.Connection | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return self._described

    def __getstate__(self) -> dict[str, Any]:
        return {"address": self._address, "key": self._key, "retries": self._retries, "described": self._described}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["address"], state["key"], retries=state["retries"], described=state["described"])

    @property
    def retries(self) -> int:
        return self._retries

    @property
    def shared_between_processes(self) -> bool:
        return True

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:  # by cloudpickle where pickle cannot: the storage's own checks then refuse what it must
            request = dumps((name, args, kwargs))
        except Exception as exc:  # noqa: BLE001 - anything that fails to pickle
            raise InvalidArgumentError(f"{name}: an argument cannot be sent to the study process, where the "
                                       f"storage lives ({type(exc).__name__}: {exc})") from None
        with self._lock:
            try:
                if self._conn is None or self._pid != os.getpid():
                    self._conn = connection.Client(self._address, authkey=self._key)
                    self._pid = os.getpid()
                self._conn.send_bytes(request)
                answer = self._conn.recv_bytes()
            except (EOFError, OSError, connection.AuthenticationError) as exc:
                self._drop()
                _relay_lost(exc)
            except BaseException:  # interrupted mid-call: its answer must not be taken for the next one's
                self._drop()
                raise
        ok, result = pickle.loads(answer)
        if ok:
            return result
        raise result

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
            self._conn = None


def _relayed(name: str) -> Any:
    def call(self: RelayedStorage, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, args, kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{name}`` of the storage in the study process."
    return call


for _name in sorted(RELAYED):
    setattr(RelayedStorage, _name, _relayed(_name))
abc.update_abstractmethods(RelayedStorage)


def _relay_lost(exc: BaseException) -> None:
    """End this worker process: without its relay it can neither run nor finish a trial."""
    try:
        sys.stderr.write(f"tunelab worker process {os.getpid()}: the study process's storage relay is gone "
                         f"({type(exc).__name__}: {exc}); ending\n")
        sys.stderr.flush()
    finally:
        os._exit(RELAY_LOST_EXIT)
