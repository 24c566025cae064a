"""The portal's wire shapes (§3.22 of the reference: PortalTicket, PortalTicketDetail,
PortalComment, PortalAttachment), what the portal services return and the hosted portal
renders. Fields beyond the reference's (status name and color, attachments, custom
fields) are additions its clients ignore."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, Field

from dispatch.attachments.schemas import AttachmentStatus, InitiateUpload, UploadDeclaration
from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import ApiModel, RequestModel
from dispatch.settings import PORTAL_FILE_MAX_BYTES
from dispatch.tickets.schemas import BODY_MAX, TITLE_MAX

# What a portal upload may weigh (the reference's portal limit); the server's own
# attachment limit applies too, whichever is smaller.
PORTAL_MAX_UPLOAD_BYTES = PORTAL_FILE_MAX_BYTES
PORTAL_LIMIT_DEFAULT = 20
PORTAL_LIMIT_MAX = 50

PortalAuthorType = Literal["CUSTOMER", "STAFF"]


class PortalTokenResponse(ApiModel):
    token: str
    expires_at: datetime
    customer_id: str
    email: str
    name: str | None


class PortalAttachment(ApiModel):
    id: str
    filename: str
    content_type: str
    size: int
    status: AttachmentStatus
    created_at: datetime


class PortalAttachmentWithUrl(PortalAttachment):
    """The attachment flat (what the SDK reads) and under `attachment` (the production
    shape), with a signed `downloadUrl` until `expiresAt` (null while pending)."""

    attachment: PortalAttachment
    download_url: str | None
    expires_at: datetime | None


class PortalUploadStarted(ApiModel):
    """PUT the bytes to `uploadUrl` (with the declared Content-Type) before `expiresAt`,
    then confirm."""

    attachment: PortalAttachment
    attachment_id: str
    upload_url: str
    upload_method: Literal["PUT"] = "PUT"
    expires_in: int
    expires_at: datetime


class PortalComment(ApiModel):
    id: str
    body: str
    author_type: PortalAuthorType
    author_name: str | None
    created_at: datetime
    attachments: list[PortalAttachment] = Field(default_factory=list)


class PortalStatus(ApiModel):
    """How the brand names and colors the ticket's status."""

    key: str
    name: str
    color: str
    is_active: bool


class PortalTicket(ApiModel):
    id: str
    # `PREFIX-1042`, the number customers read in emails.
    ticket_number: str
    title: str
    status: str
    status_name: str
    status_color: str
    priority: str
    comment_count: int
    created_at: datetime
    updated_at: datetime


class PortalBrand(ApiModel):
    name: str
    ticket_prefix: str
    icon_url: str | None


class PortalCustomField(ApiModel):
    key: str
    label: str
    type: str
    value: Any


class PortalTicketDetail(PortalTicket):
    body: str | None
    brand: PortalBrand
    status_ref: PortalStatus
    category: str | None
    comments: list[PortalComment]
    # Files on the ticket itself (those of comments are listed with their comment).
    attachments: list[PortalAttachment]
    custom_fields: list[PortalCustomField]


class PortalCommentResult(ApiModel):
    comment: PortalComment
    # The reply reopened a pending, resolved or closed ticket.
    reopened: bool


class PortalCommentOut(PortalComment):
    """The API's answer to a reply: the PortalComment, and whether it reopened the ticket."""

    reopened: bool


# --- requests -------------------------------------------------------------------------


class PortalTokenRequest(RequestModel):
    email: EmailAddress
    name: str | None = Field(None, max_length=200)
    company_name: str | None = Field(None, max_length=200)
    # The caller's own id of the customer's organisation, kept in the contact's metadata
    # (Dispatch links companies by email domain and name).
    source_org_id: str | None = Field(None, max_length=200)


class MagicLinkRequest(RequestModel):
    email: EmailAddress
    portal_url: AnyHttpUrl


class VerifyRequest(RequestModel):
    token: str = Field(min_length=1, max_length=2048)


class PortalTicketCreate(RequestModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str | None = Field(None, max_length=BODY_MAX)
    attachment_ids: list[str] | None = Field(None, max_length=50)
    category_id: str | None = Field(None, max_length=64)
    custom_fields: dict[str, Any] | None = None


class PortalCommentCreate(RequestModel):
    body: str = Field(min_length=1, max_length=BODY_MAX)
    attachment_ids: list[str] | None = Field(None, max_length=50)


class PortalUploadRequest(UploadDeclaration):
    """`filename`, `contentType` and the exact `size`: over PORTAL_MAX_UPLOAD_BYTES is a
    413 `attachment_too_large`, as every upload path says."""

    def as_upload(self) -> InitiateUpload:
        return InitiateUpload.model_validate(self.model_dump(by_alias=True))
