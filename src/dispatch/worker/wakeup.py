"""Waking the worker: within moments of a commit, not at its next poll.

`Wakeup` is what each of the worker's loops sleeps on; anything may ring it (a finished
delivery freeing a slot, shutdown). On PostgreSQL a `Listener` thread holds a connection
that LISTENs on the channel NOTIFYed at commit (`core.events.notify_on_commit`) and calls
`ring` on every notification; while that connection is down the loops fall back to polling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import make_url

from dispatch.core.events import NOTIFY_CHANNEL

log = logging.getLogger("dispatch.worker")

# How long the listener waits for a notification before checking whether to stop, and
# before trying again after losing its connection.
LISTEN_TIMEOUT_SECONDS = 0.5
RECONNECT_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 5


class Wakeup:
    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Sleep until rung or `timeout` passes; True when rung. Clears the bell."""
        rung = self._event.wait(timeout)
        self._event.clear()
        return rung


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (no driver suffix)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """LISTEN on PostgreSQL in a thread and call `ring` for every notification."""

    def __init__(self, database_url: str, ring: Callable[[], None]) -> None:
        self._conninfo = libpq_url(database_url)
        self._ring = ring
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dispatch-listen", daemon=True)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                if not self._stopping.is_set():
                    log.warning("LISTEN connection lost (%s); polling meanwhile", exc)
            finally:
                self._connected.clear()
            # Anything committed while we were away is found by the next pass.
            self._ring()
            self._stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(
            self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
        ) as conn:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self._connected.set()
            self._ring()
            while not self._stopping.is_set():
                for _ in conn.notifies(timeout=LISTEN_TIMEOUT_SECONDS):
                    self._ring()
