from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, RootModel, StringConstraints, field_validator

from dispatch.attachments import sniff
from dispatch.core.schemas import ApiModel, RequestModel

AttachmentStatus = Literal["PENDING", "UPLOADED", "FAILED"]
FILENAME_MAX = 255
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def clean_filename(value: str | None) -> str:
    """The last path component, without control characters, at most 255 characters
    (the extension kept); "file" when nothing is left."""
    name = re.split(r"[/\\]", value or "")[-1]
    name = _UNPRINTABLE.sub("", name).strip()
    if len(name) > FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: FILENAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:FILENAME_MAX]
    return name or "file"


def clean_content_type(value: str | None) -> str:
    """`type/subtype`, lower case, without parameters; application/octet-stream when
    nothing was said. ValueError for anything that is not a media type."""
    if value is None or not value.strip():
        return sniff.OCTET_STREAM
    if not sniff.is_valid_type(value):
        raise ValueError("must be a media type like image/png")
    return value.split(";", 1)[0].strip().lower()


class AttachmentOut(ApiModel):
    """An attachment. `contentType` is what the uploader declared, `detectedType` what the
    bytes turned out to be; neither decides how a download is served.

    `status` is PENDING (waiting for its bytes), UPLOADED (bytes checked; the dashboard's
    CONFIRMED means the same and is never emitted) or FAILED (reserved: a failed check
    refuses the request and leaves the upload PENDING, its bytes removed).
    """

    id: str
    brand_id: str
    ticket_id: str | None
    comment_id: str | None
    filename: str
    content_type: str
    detected_type: str | None
    size: int
    status: AttachmentStatus
    uploaded_by: str | None
    sha256: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AttachmentWithUrl(AttachmentOut):
    """The attachment's fields flat (what the SDK reads) and nested under `attachment`
    (what the dashboard reads), with a signed `downloadUrl` valid until `expiresAt`
    (null while the upload is pending)."""

    attachment: AttachmentOut
    download_url: str | None
    expires_at: datetime | None


class UploadStarted(ApiModel):
    """An upload waiting for its bytes: PUT them to `uploadUrl` (with the declared
    Content-Type) before `expiresAt`, then confirm."""

    id: str
    attachment_id: str
    attachment: AttachmentOut
    upload_url: str
    upload_method: Literal["PUT"] = "PUT"
    expires_in: int
    expires_at: datetime


class AttachmentUrl(ApiModel):
    url: str
    filename: str
    content_type: str
    expires_at: datetime


class AttachmentUrls(RootModel[dict[str, AttachmentUrl | None]]):
    """A signed download link per requested id; null for ids that are unknown, in another
    brand, deleted or not uploaded yet."""


class UploadDeclaration(RequestModel):
    """What a client says of a file before sending it (the portal's whole request)."""

    filename: str = Field(min_length=1, max_length=1000)
    content_type: str = Field(max_length=255)
    size: int = Field(ge=1, description="Exact size in bytes of what will be uploaded")

    @field_validator("filename")
    @classmethod
    def _filename(cls, value: str) -> str:
        return clean_filename(value)

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, value: str) -> str:
        return clean_content_type(value)


class InitiateUpload(UploadDeclaration):
    uploaded_by: str | None = Field(None, max_length=320)
    metadata: dict[str, Any] | None = None


class UrlsRequest(RequestModel):
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        max_length=100
    )
