"""Taking bytes in: sniff the head, refuse a lying type before anything is stored, stream
the rest into storage while counting against the limit, and check what arrived.

Nothing is kept when an upload is refused: a refused type or size stops before or during
the storage's put (which leaves nothing behind), and a wrong total removes what was put.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from dispatch.attachments import sniff
from dispatch.attachments.errors import (
    AttachmentTooLarge,
    ContentTypeMismatch,
    EmptyFile,
    SizeMismatch,
    UploadMissing,
)
from dispatch.attachments.storage import CHUNK_BYTES, Readable, Storage, read_exactly


@dataclass(frozen=True, slots=True)
class Received:
    size: int
    detected_type: str
    sha256: str | None


class _Metered:
    """Replays the sniffed head, then the rest of the source, counting and hashing; raises
    once more than `limit` bytes went through."""

    def __init__(
        self, head: bytes, rest: Readable, limit: int, too_large: Callable[[], Exception]
    ) -> None:
        self._head = head
        self._rest = rest
        self._limit = limit
        self._too_large = too_large
        self.total = 0
        self.digest = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        if size is None or size < 0:
            # Everything that is left (boto3 asks so), still counted chunk by chunk.
            parts = []
            while chunk := self._read_some(CHUNK_BYTES):
                parts.append(chunk)
            return b"".join(parts)
        return self._read_some(size)

    def _read_some(self, size: int) -> bytes:
        if self._head:
            chunk, self._head = self._head[:size], self._head[size:]
        else:
            chunk = self._rest.read(size)
        self.total += len(chunk)
        if self.total > self._limit:
            raise self._too_large()
        self.digest.update(chunk)
        return chunk


def receive(
    storage: Storage,
    key: str,
    source: Readable,
    *,
    declared_type: str,
    max_bytes: int,
    declared_size: int | None = None,
    type_field: str = "contentType",
) -> Received:
    """Store `source` under `key` if its bytes are what `declared_type` says, it holds at
    most `max_bytes` and, when given, exactly `declared_size` bytes."""
    head = read_exactly(source, sniff.SNIFF_BYTES)
    if not head:
        raise EmptyFile()
    detected = sniff.detect(head)
    if sniff.contradicts(declared_type, detected):
        raise ContentTypeMismatch(declared_type, detected, field=type_field)
    limit = max_bytes if declared_size is None else min(max_bytes, declared_size)

    def too_large() -> Exception:
        return AttachmentTooLarge(max_bytes, field="file", declared=declared_size)

    if len(head) > limit:
        raise too_large()
    metered = _Metered(head, source, limit, too_large)
    storage.put(key, metered)
    if declared_size is not None and metered.total != declared_size:
        storage.delete(key)
        raise SizeMismatch(declared_size, metered.total)
    return Received(metered.total, detected, metered.digest.hexdigest())


def inspect(
    storage: Storage, key: str, *, declared_type: str, declared_size: int, max_bytes: int
) -> Received:
    """Check bytes a client put into storage directly (a presigned or Dispatch upload URL);
    what fails the check is removed."""
    size = storage.size(key)
    if size is None:
        raise UploadMissing()
    if size > max_bytes:
        storage.delete(key)
        raise AttachmentTooLarge(max_bytes, field="size")
    if size != declared_size:
        storage.delete(key)
        raise SizeMismatch(declared_size, size)
    detected = sniff.detect(storage.read_head(key, sniff.SNIFF_BYTES))
    if sniff.contradicts(declared_type, detected):
        storage.delete(key)
        raise ContentTypeMismatch(declared_type, detected)
    return Received(size, detected, None)
