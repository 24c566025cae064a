"""Per-process copies of rows that every request reads and that seldom change (a brand's
statuses, its custom field definitions), kept for one version of the row that owns them.

Whoever changes such rows gives the owner a new version in the same transaction
(`brands.repository.config_changed`); every process sees the new version with its next
read of the owner (each request reads its brand anyway) and loads the rows again. The
copies are detached from any session and shared by every thread: read them, never change
them (the services that change the rows load their own). A transaction that changed them
reads its own, uncached, until it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """`get(session, key, version, load)`: what `load(reader)` returned for `key` at
    `version`, loaded once per process and version. `reader` is a session of its own on
    the same connection (so the same transaction): the copies are never instances the
    caller's session holds or will hold, which its services may change. No version (the
    transaction changed the rows itself): `load(session)`, its own rows, never kept."""

    def __init__(self, limit: int = 4096) -> None:
        self._entries: dict[Hashable, tuple[int, T]] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def get(
        self, session: Session, key: Hashable, version: int | None, load: Callable[[Session], T]
    ) -> T:
        if version is None:
            return load(session)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        with Session(bind=session.connection(), expire_on_commit=False) as reader:
            value = load(reader)
            reader.expunge_all()
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries.clear()  # a bound, not an LRU: brands beyond it reload
            self._entries[key] = (version, value)
        return value
