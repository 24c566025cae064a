"""Attachments: uploads (through Dispatch, or initiate → PUT → confirm), pending uploads
waiting for their ticket, signed downloads, deletion and the clean-up of abandoned uploads.

An attachment counts on its ticket (`attachmentCount`), shows in lists and is announced
(`attachment.uploaded` activity, `attachment.created` event) once its bytes arrived and
were checked (status UPLOADED) on a ticket. Starting an upload and receiving its bytes are
steps of that one change and write no entries of their own.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dispatch.attachments import config as attachment_config
from dispatch.attachments import intake, repository, signing, sniff
from dispatch.attachments.config import AttachmentConfig
from dispatch.attachments.errors import (
    AttachmentTooLarge,
    InvalidAttachmentIds,
    UnknownComment,
    UploadAlreadyReceived,
)
from dispatch.attachments.links import Links
from dispatch.attachments.models import Attachment
from dispatch.attachments.rendering import attachment_out, payload, with_url
from dispatch.attachments.repository import PENDING, UPLOADED
from dispatch.attachments.schemas import (
    AttachmentOut,
    AttachmentUrl,
    AttachmentWithUrl,
    InitiateUpload,
    UploadStarted,
    clean_content_type,
    clean_filename,
)
from dispatch.attachments.storage import Readable, ReadStream, Storage, content_disposition
from dispatch.audit import service as audit
from dispatch.brands.models import Brand
from dispatch.core import clock, events, transaction
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.models import Ticket
from dispatch.tickets.policy import require_staff

PURGE_BATCH = 500


@dataclass(frozen=True, slots=True)
class Upload:
    """A file arriving through Dispatch (multipart form or inbound email)."""

    filename: str
    content_type: str
    stream: Readable
    comment_id: str | None = None
    uploaded_by: str | None = None


@dataclass(frozen=True, slots=True)
class Download:
    stream: ReadStream
    size: int
    content_type: str
    content_disposition: str


# --- bytes written in a transaction are removed again if it (or its savepoint) rolls back


def _delete_stored(files: list[tuple[Storage, str]]) -> None:
    for storage, key in files:
        storage.delete(key)


STORED_FILES = transaction.SideState[tuple[Storage, str]]("stored files", discard=_delete_stored)


def _written(session: Session, storage: Storage, key: str) -> None:
    transaction.record(session, STORED_FILES, (storage, key))


# --- lookups -----------------------------------------------------------------------------


def _ticket(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, *, lock: bool = False
) -> Ticket:
    """A live ticket of the brand; `lock` takes its row first (tickets before attachments,
    the order every change here locks in)."""
    return load_ticket(session, actor, brand, ticket_id, for_update=lock)


def _on_ticket(
    session: Session, brand: Brand, ticket: Ticket, attachment_id: str, *, lock: bool = False
) -> Attachment:
    found = repository.get_on_ticket(session, brand.id, ticket.id, attachment_id, lock=lock)
    if found is None:
        raise NotFound("attachment", attachment_id)
    return found


def _check_comment(session: Session, brand: Brand, ticket: Ticket, comment_id: str | None) -> None:
    if comment_id is not None and not repository.comment_on_ticket(
        session, brand.id, ticket.id, comment_id
    ):
        raise UnknownComment(comment_id)


def _new(
    brand: Brand,
    *,
    ticket_id: str | None,
    filename: str,
    content_type: str,
    size: int,
    status: str,
    uploaded_by: str | None,
    comment_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Attachment:
    now = clock.now()
    attachment_id = new_id("att")
    return Attachment(
        id=attachment_id,
        brand_id=brand.id,
        ticket_id=ticket_id,
        comment_id=comment_id,
        filename=filename,
        content_type=content_type,
        detected_type=None,
        size=size,
        status=status,
        storage_key=f"{brand.id}/{attachment_id}",
        sha256=None,
        uploaded_by=uploaded_by,
        metadata_=metadata or {},
        created_at=now,
        updated_at=now,
    )


# --- announcing: counts, activity, events ------------------------------------------------


def _announce(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    attachments: Sequence[Attachment],
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    """Attachments arrived on `ticket`: count them, bump the ticket, log and emit."""
    if not attachments:
        return
    repository.lock_ticket(session, ticket)
    ticket.attachment_count += len(attachments)
    ticket.new_version()
    session.flush()
    for attachment in attachments:
        audit.record(
            session,
            actor,
            brand_id=brand.id,
            event="attachment.uploaded",
            entity_type="attachment",
            entity_id=attachment.id,
            ticket_id=ticket.id,
            metadata={**_summary(attachment), **(extra or {})},
        )
        events.emit(
            session,
            "attachment.created",
            brand.id,
            payload(attachment),
            ticket_id=ticket.id,
            sequence=ticket.version,
        )


def _summary(attachment: Attachment) -> dict[str, Any]:
    return {
        "filename": attachment.filename,
        "contentType": attachment.content_type,
        "detectedType": attachment.detected_type,
        "size": attachment.size,
        **({"commentId": attachment.comment_id} if attachment.comment_id else {}),
    }


def _record_pending(session: Session, actor: Actor, attachment: Attachment) -> None:
    """A pending upload (no ticket yet) completed: logged for the brand; it is announced
    on its ticket when it is attached."""
    audit.record(
        session,
        actor,
        brand_id=attachment.brand_id,
        event="attachment.uploaded",
        entity_type="attachment",
        entity_id=attachment.id,
        metadata={**_summary(attachment), "pending": True},
    )


# --- uploads through Dispatch ------------------------------------------------------------


def _store(
    session: Session,
    config: AttachmentConfig,
    brand: Brand,
    upload: Upload,
    *,
    ticket: Ticket | None,
    actor: Actor,
) -> Attachment:
    filename = clean_filename(upload.filename)
    try:
        declared = clean_content_type(upload.content_type)
    except ValueError as exc:
        raise ValidationFailed("file", f"content type {exc}") from exc
    attachment = _new(
        brand,
        ticket_id=ticket.id if ticket else None,
        filename=filename,
        content_type=declared,
        size=0,
        status=UPLOADED,
        uploaded_by=upload.uploaded_by or actor.email,
        comment_id=upload.comment_id,
    )
    received = intake.receive(
        config.storage,
        attachment.storage_key,
        upload.stream,
        declared_type=declared,
        max_bytes=config.max_bytes,
        type_field="file",
    )
    _written(session, config.storage, attachment.storage_key)
    attachment.size = received.size
    attachment.detected_type = received.detected_type
    attachment.sha256 = received.sha256
    session.add(attachment)
    session.flush()
    return attachment


def upload_to_ticket(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, upload: Upload, links: Links
) -> AttachmentWithUrl:
    """`POST …/tickets/{t}/attachments/upload`: store the file and attach it at once."""
    ticket = _ticket(session, actor, brand, ticket_id)
    _check_comment(session, brand, ticket, upload.comment_id)
    attachment = _store(session, links.config, brand, upload, ticket=ticket, actor=actor)
    _announce(session, actor, brand, ticket, [attachment])
    url = links.download(attachment)
    return with_url(attachment, url.url, url.expires_at)


def upload_pending(
    session: Session, actor: Actor, brand: Brand, upload: Upload, config: AttachmentConfig
) -> AttachmentOut:
    """`POST /brands/{b}/attachments/pending/upload`: a file for a ticket not created yet
    (`attachmentIds` on ticket create). Removed if not attached within the pending TTL."""
    attachment = _store(session, config, brand, upload, ticket=None, actor=actor)
    _record_pending(session, actor, attachment)
    return attachment_out(attachment)


def store_bytes(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    *,
    filename: str,
    content_type: str,
    data: bytes,
    comment_id: str | None = None,
) -> Attachment:
    """Attach bytes in hand (inbound email) to `ticket`, with every check an upload gets:
    size limit, sniffed type, comment of the same ticket. Uses `config.current()`."""
    if ticket.brand_id != brand.id:
        raise NotFound("ticket", ticket.id)
    config = attachment_config.current()
    if len(data) > config.max_bytes:
        raise AttachmentTooLarge(config.max_bytes, field="file")
    _check_comment(session, brand, ticket, comment_id)
    upload = Upload(filename, content_type, io.BytesIO(data), comment_id=comment_id)
    attachment = _store(session, config, brand, upload, ticket=ticket, actor=actor)
    _announce(session, actor, brand, ticket, [attachment])
    return attachment


# --- initiate → PUT → confirm ------------------------------------------------------------


def initiate(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket_id: str | None,
    data: InitiateUpload,
    links: Links,
) -> UploadStarted:
    """Start an upload of `data.size` bytes, on a ticket or pending (ticket_id None)."""
    config = links.config
    if data.size > config.max_bytes:
        raise AttachmentTooLarge(config.max_bytes)
    ticket = _ticket(session, actor, brand, ticket_id) if ticket_id is not None else None
    attachment = _new(
        brand,
        ticket_id=ticket.id if ticket else None,
        filename=data.filename,
        content_type=data.content_type,
        size=data.size,
        status=PENDING,
        uploaded_by=data.uploaded_by or actor.email,
        metadata=data.metadata,
    )
    session.add(attachment)
    session.flush()
    url = links.upload(attachment)
    expires_in = max(0, round((url.expires_at - clock.now()).total_seconds()))
    return UploadStarted(
        id=attachment.id,
        attachment_id=attachment.id,
        attachment=attachment_out(attachment),
        upload_url=url.url,
        expires_in=expires_in,
        expires_at=url.expires_at,
    )


def check_upload_token(config: AttachmentConfig, token: str) -> signing.UploadGrant:
    """What an upload token grants (403 when tampered with or expired)."""
    return signing.check_upload(config.secret, token, clock.now())


def receive_upload(
    session: Session, config: AttachmentConfig, grant: signing.UploadGrant, stream: Readable
) -> Attachment:
    """`PUT /v1/uploads/{token}`: the bytes of a started upload, once. The token (signed,
    expiring, checked by `check_upload_token`) is the credential; what arrives must be the
    declared size and type."""
    attachment = repository.get_for_upload(session, grant.attachment_id)
    if attachment is None or attachment.size != grant.size:
        raise NotFound("attachment", grant.attachment_id)
    if attachment.status != PENDING or attachment.sha256 is not None:
        raise UploadAlreadyReceived()
    received = intake.receive(
        config.storage,
        attachment.storage_key,
        stream,
        declared_type=attachment.content_type,
        max_bytes=config.max_bytes,
        declared_size=attachment.size,
    )
    _written(session, config.storage, attachment.storage_key)
    attachment.detected_type = received.detected_type
    attachment.sha256 = received.sha256
    attachment.updated_at = clock.now()
    session.flush()
    return attachment


def _complete(config: AttachmentConfig, attachment: Attachment) -> None:
    received = intake.inspect(
        config.storage,
        attachment.storage_key,
        declared_type=attachment.content_type,
        declared_size=attachment.size,
        max_bytes=config.max_bytes,
    )
    attachment.detected_type = received.detected_type
    attachment.status = UPLOADED
    attachment.updated_at = clock.now()


def confirm(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket_id: str,
    attachment_id: str,
    config: AttachmentConfig,
) -> AttachmentOut:
    """`POST …/tickets/{t}/attachments/{a}/confirm`: check the bytes that arrived (size,
    sniffed type) and mark the attachment UPLOADED. Confirming again changes nothing."""
    ticket = _ticket(session, actor, brand, ticket_id, lock=True)
    attachment = _on_ticket(session, brand, ticket, attachment_id, lock=True)
    if attachment.status != UPLOADED:
        _complete(config, attachment)
        session.flush()
        _announce(session, actor, brand, ticket, [attachment])
    return attachment_out(attachment)


def confirm_pending(
    session: Session, actor: Actor, brand: Brand, attachment_id: str, config: AttachmentConfig
) -> AttachmentOut:
    attachment = repository.get_pending_upload(session, brand.id, attachment_id, lock=True)
    if attachment is None:
        raise NotFound("attachment", attachment_id)
    if attachment.status != UPLOADED:
        _complete(config, attachment)
        session.flush()
        _record_pending(session, actor, attachment)
    return attachment_out(attachment)


# --- reading -----------------------------------------------------------------------------


def list_for_ticket(
    session: Session, actor: Actor, brand: Brand, ticket_id: str
) -> list[AttachmentOut]:
    ticket = _ticket(session, actor, brand, ticket_id)
    return [attachment_out(a) for a in repository.list_on_ticket(session, brand.id, ticket.id)]


def get_with_url(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket_id: str,
    attachment_id: str,
    links: Links,
) -> AttachmentWithUrl:
    ticket = _ticket(session, actor, brand, ticket_id)
    attachment = _on_ticket(session, brand, ticket, attachment_id)
    if attachment.status != UPLOADED:
        return with_url(attachment, None, None)
    url = links.download(attachment)
    return with_url(attachment, url.url, url.expires_at)


def download_urls(
    session: Session, brand: Brand, attachment_ids: Iterable[str], links: Links
) -> dict[str, AttachmentUrl | None]:
    """A fresh signed link per id (for rendering `attachment:<id>` references); None for
    ids that are unknown, elsewhere, deleted or not uploaded."""
    wanted = list(dict.fromkeys(attachment_ids))
    found = {a.id: a for a in repository.downloadable_in_brand(session, brand.id, wanted)}
    result: dict[str, AttachmentUrl | None] = {}
    for attachment_id in wanted:
        attachment = found.get(attachment_id)
        if attachment is None:
            result[attachment_id] = None
            continue
        url = links.download(attachment)
        result[attachment_id] = AttachmentUrl(
            url=url.url,
            filename=attachment.filename,
            content_type=attachment.content_type,
            expires_at=url.expires_at,
        )
    return result


def open_download(
    session: Session, config: AttachmentConfig, attachment_id: str, expires: int, signature: str
) -> Download:
    """`GET /v1/attachments/{id}/download`: the bytes behind a valid, unexpired link."""
    signing.check_download(config.secret, attachment_id, expires, signature, clock.now())
    attachment = repository.downloadable(session, attachment_id)
    if attachment is None:
        raise NotFound("attachment", attachment_id)
    try:
        stream = config.storage.open(attachment.storage_key)
    except FileNotFoundError:
        raise NotFound("attachment", attachment_id) from None
    return Download(
        stream=stream,
        size=attachment.size,
        content_type=sniff.served_type(attachment.detected_type),
        content_disposition=content_disposition(attachment.filename),
    )


# --- changes -----------------------------------------------------------------------------


def delete_attachment(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, attachment_id: str
) -> None:
    """Soft delete (the bytes stay until a purge of deleted data)."""
    require_staff(actor, "delete attachments")
    ticket = _ticket(session, actor, brand, ticket_id, lock=True)
    attachment = _on_ticket(session, brand, ticket, attachment_id, lock=True)
    now = clock.now()
    attachment.deleted_at = now
    attachment.updated_at = now
    announced = attachment.status == UPLOADED
    if announced:
        ticket.attachment_count = max(0, ticket.attachment_count - 1)
        ticket.new_version(now)
    session.flush()
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event="attachment.deleted",
        entity_type="attachment",
        entity_id=attachment.id,
        ticket_id=ticket.id,
        metadata=_summary(attachment),
    )
    if announced:
        events.emit(
            session,
            "attachment.deleted",
            brand.id,
            {**payload(attachment), "deletedAt": now.isoformat()},
            ticket_id=ticket.id,
            sequence=ticket.version,
        )


def pending_uploads(session: Session, brand_id: str, attachment_ids: list[str]) -> list[Attachment]:
    """The uploads `attachmentIds` names (on ticket create), row-locked, in order, repeats
    dropped. Every id must be an uploaded, unattached pending upload of the brand, else
    422 on `attachmentIds`."""
    wanted = list(dict.fromkeys(attachment_ids))
    if not wanted:
        return []
    found = {a.id: a for a in repository.pending_uploads_for_update(session, brand_id, wanted)}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise InvalidAttachmentIds(missing)
    return [found[i] for i in wanted]


def attach_pending(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    attached: list[Attachment],
    *,
    comment_id: str | None = None,
) -> list[Attachment]:
    """Attach `pending_uploads(...)` to `ticket` (and to one of its comments: the
    dashboard's reply sent with files)."""
    if ticket.brand_id != brand.id:
        raise NotFound("ticket", ticket.id)
    if not attached:
        return []
    _check_comment(session, brand, ticket, comment_id)
    now = clock.now()
    for attachment in attached:
        attachment.ticket_id = ticket.id
        attachment.comment_id = comment_id
        attachment.updated_at = now
    session.flush()
    _announce(session, actor, brand, ticket, attached, extra={"fromPendingUpload": True})
    return attached


def move_to_ticket(
    session: Session, actor: Actor, brand: Brand, source: Ticket, target: Ticket
) -> int:
    """Move the live attachments of `source` to `target` (merge) and set both tickets'
    counts; returns how many moved. The merge's own activity entries and events cover it."""
    if source.brand_id != brand.id:
        raise NotFound("ticket", source.id)
    if target.brand_id != brand.id:
        raise NotFound("ticket", target.id)
    if source.id == target.id:
        return 0
    # Both rows locked in id order, as every multi-ticket change should.
    for ticket in sorted((source, target), key=lambda t: t.id):
        repository.lock_ticket(session, ticket)
    moved = repository.move_live(session, source.id, target.id, clock.now())
    source.attachment_count = repository.count_uploaded(session, source.id)
    target.attachment_count = repository.count_uploaded(session, target.id)
    session.flush()
    return moved


def purge_abandoned_uploads(session: Session, storage: Storage, *, older_than: timedelta) -> int:
    """Remove uploads never completed and pending uploads never attached, created more
    than `older_than` ago, from the database and the storage; returns how many.

    The bytes go once the rows are deleted and flushed: if the caller's transaction then
    failed, the rows would still point at removed bytes of uploads nobody finished."""
    before: datetime = clock.now() - older_than
    purged = 0
    while batch := repository.abandoned(session, before, batch=PURGE_BATCH):
        keys = [a.storage_key for a in batch]
        repository.delete_rows(session, batch)
        session.flush()
        for key in keys:
            storage.delete(key)
        purged += len(batch)
    return purged
