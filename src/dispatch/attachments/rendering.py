"""Wire shapes of an attachment: the API object and the event payload."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.attachments.models import Attachment
from dispatch.attachments.schemas import AttachmentOut, AttachmentWithUrl


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        brand_id=attachment.brand_id,
        ticket_id=attachment.ticket_id,
        comment_id=attachment.comment_id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        detected_type=attachment.detected_type,
        size=attachment.size,
        status=attachment.status,
        uploaded_by=attachment.uploaded_by,
        sha256=attachment.sha256,
        metadata=attachment.metadata_,
        created_at=attachment.created_at,
        updated_at=attachment.updated_at,
    )


def with_url(
    attachment: Attachment, url: str | None, expires_at: datetime | None
) -> AttachmentWithUrl:
    out = attachment_out(attachment)
    return AttachmentWithUrl(
        **out.model_dump(), attachment=out, download_url=url, expires_at=expires_at
    )


def payload(attachment: Attachment) -> dict[str, Any]:
    """`attachment.*` event data: the attachment object, `ticketId` included."""
    data = attachment_out(attachment).model_dump(mode="json", by_alias=True)
    data["ticketId"] = attachment.ticket_id
    return data
