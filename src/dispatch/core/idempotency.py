"""Idempotency keys: a repeated POST replays the stored response instead of acting twice.

The record is written in the same transaction as the change it protects, so either both
exist or neither does. A concurrent duplicate loses on the primary key and replays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import Integer, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dispatch.core import clock
from dispatch.core.db import Base
from dispatch.core.errors import DomainError

HEADERS = ("idempotency-key", "x-idempotency-key")
MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        message = "This Idempotency-Key was already used with a different request"
        super().__init__(message, errors=[{"field": "Idempotency-Key", "message": message}])


class StoredResponse(Exception):
    """Raised to short-circuit a request whose key already has a stored response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__(record.key)
        # Copied now: the session that loaded the record is rolled back (which expires
        # it) and closed before the replay is rendered.
        self.status_code = record.status_code
        self.content_type = record.content_type
        self.body = bytes(record.body)

    def to_response(self) -> Response:
        return Response(
            content=self.body,
            status_code=self.status_code,
            media_type=self.content_type,
            headers={REPLAY_HEADER: "true"},
        )


@dataclass(frozen=True, slots=True)
class PendingKey:
    account_id: str
    key: str
    fingerprint: str


def requested_key(request: Request) -> str | None:
    for header in HEADERS:
        value = request.headers.get(header)
        if value is not None:
            value = value.strip()
            if not value or len(value) > MAX_KEY_LENGTH:
                message = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters"
                raise DomainError(
                    message,
                    code="invalid_idempotency_key",
                    errors=[{"field": "Idempotency-Key", "message": message}],
                )
            return value
    return None


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def find_live(session: Session, account_id: str, key: str) -> IdempotencyRecord | None:
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.account_id == account_id, IdempotencyRecord.key == key
        )
    )
    if record is None or record.expires_at <= clock.now():
        return None
    return record


def check(session: Session, pending: PendingKey) -> None:
    """Replay (by raising StoredResponse) or refuse a reused key; otherwise return."""
    record = find_live(session, pending.account_id, pending.key)
    if record is None:
        return
    if record.fingerprint != pending.fingerprint:
        raise IdempotencyKeyReused()
    raise StoredResponse(record)


def _redacted(body: bytes, fields: Sequence[str]) -> bytes:
    if not fields:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return b""
    if not isinstance(data, dict):
        return b""
    for field in fields:
        if field in data:
            data[field] = None
    return json.dumps(data, separators=(",", ":")).encode()


def store(
    session: Session,
    pending: PendingKey,
    response: Response,
    ttl_seconds: int,
    *,
    redact: Sequence[str] = (),
) -> None:
    now = clock.now()
    # Only an expired record makes way. A live one was committed by a concurrent request
    # with the same key since our lookup: the insert below then fails on the primary key
    # and the caller answers with that request's response.
    session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.account_id == pending.account_id,
            IdempotencyRecord.key == pending.key,
            IdempotencyRecord.expires_at <= now,
        )
    )
    session.add(
        IdempotencyRecord(
            account_id=pending.account_id,
            key=pending.key,
            fingerprint=pending.fingerprint,
            status_code=response.status_code,
            content_type=response.media_type or "application/json",
            body=_redacted(bytes(response.body), redact),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )


def delete_expired(session: Session) -> int:
    """Delete every record past its expiry (the worker runs this periodically); returns
    how many went. Expired records are already ignored by lookups: this only reclaims space."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
