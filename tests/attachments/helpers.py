"""Files, paths and checks shared by the attachment tests."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.attachments.models import Attachment
from dispatch.audit.models import AuditLog
from dispatch.comments.models import Comment
from dispatch.core.events import Event
from dispatch.core.ids import new_id
from dispatch.settings import Settings
from tests.conftest import Api

Json = dict[str, Any]
LIMIT = 64 * 1024
PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "requestId"}


def png(size: int = 200) -> bytes:
    """A valid PNG (1x1 pixel) padded with a trailing chunk to `size` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = b"\x89PNG\r\n\x1a\n"
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    end = chunk(b"IEND", b"")
    base = header + ihdr + idat
    padding = max(0, size - len(base) - len(end) - 12)
    data = base + chunk(b"tEXt", b"c\x00" + b"x" * max(0, padding - 2)) + end
    return data[:size] if len(data) > size else data


def pdf(size: int = 300) -> bytes:
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    return (data + b"%" * max(0, size - len(data) - 6) + b"\n%%EOF")[: max(size, 10)]


def elf(size: int = 200) -> bytes:
    return (b"\x7fELF\x02\x01\x01" + b"\x00" * size)[:size]


def text(size: int = 100) -> bytes:
    line = b"Order 1042 arrived damaged; photos attached.\n"
    return (line * (size // len(line) + 1))[:size]


def tickets_path(brand: Json) -> str:
    return f"/brands/{brand['id']}/tickets"


def attachments_path(brand: Json, ticket: Json | str, suffix: str = "") -> str:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    return f"/brands/{brand['id']}/tickets/{ticket_id}/attachments{suffix}"


def pending_path(brand: Json, suffix: str = "") -> str:
    return f"/brands/{brand['id']}/attachments/pending{suffix}"


def multipart(
    data: bytes, filename: str = "photo.png", content_type: str = "image/png", **fields: str
) -> dict[str, Any]:
    return {"files": {"file": (filename, data, content_type)}, "data": fields}


def upload(
    api: Api,
    brand: Json,
    ticket: Json,
    data: bytes,
    filename: str = "photo.png",
    content_type: str = "image/png",
    **fields: str,
) -> Json:
    created: Json = api.ok(
        "post",
        attachments_path(brand, ticket, "/upload"),
        201,
        **multipart(data, filename, content_type, **fields),
    )
    return created


def upload_pending(
    api: Api,
    brand: Json,
    data: bytes,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> Json:
    created: Json = api.ok(
        "post", pending_path(brand, "/upload"), 201, **multipart(data, filename, content_type)
    )
    return created


def add_comment(session: Session, brand: Json, ticket: Json, *, deleted: bool = False) -> str:
    """A comment on the ticket, written directly (the comments API is another domain's)."""
    now = datetime.now(UTC)
    comment = Comment(
        id=new_id("cmt"),
        brand_id=brand["id"],
        ticket_id=ticket["id"],
        body="See the photo",
        author_type="AGENT",
        is_internal=False,
        links=[],
        metadata_={},
        source="api",
        created_at=now,
        updated_at=now,
        deleted_at=now if deleted else None,
    )
    session.add(comment)
    session.commit()
    return comment.id


def local_path(url: str) -> str:
    """The path and query of a Dispatch URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def put_bytes(api: Api, url: str, data: bytes, content_type: str = "image/png") -> Any:
    """PUT to an upload URL as a browser or the SDK would: no API key."""
    return api.client.put(local_path(url), content=data, headers={"Content-Type": content_type})


def stored_files(settings: Settings) -> list[Path]:
    """Every file under the attachment storage, temporary files included."""
    root = settings.data_dir / "attachments"
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def assert_problem(response: Any, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: Json = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["message"]
    return body


def error_fields(body: Json) -> set[str]:
    errors = body.get("errors") or []
    assert errors, body
    assert all(e["field"] and e["message"] for e in errors), errors
    return {e["field"] for e in errors}


def attachment_rows(session: Session, brand_id: str) -> list[Attachment]:
    session.expire_all()
    stmt = select(Attachment).where(Attachment.brand_id == brand_id).order_by(Attachment.id)
    return list(session.scalars(stmt))


def events_of_type(session: Session, brand_id: str, event_type: str) -> list[Event]:
    session.expire_all()
    stmt = (
        select(Event)
        .where(Event.brand_id == brand_id, Event.type == event_type)
        .order_by(Event.position)
    )
    return list(session.scalars(stmt))


def activity(session: Session, brand_id: str, entity_type: str = "attachment") -> list[AuditLog]:
    session.expire_all()
    stmt = (
        select(AuditLog)
        .where(AuditLog.brand_id == brand_id, AuditLog.entity_type == entity_type)
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    return list(session.scalars(stmt))
