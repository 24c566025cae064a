from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from dispatch.categories.schemas import CategoryOut
from dispatch.contacts.schemas import ContactOut
from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, RequestModel
from dispatch.statuses.schemas import StatusOut
from dispatch.tags.schemas import TagOut
from dispatch.tickets.priority import Priority
from dispatch.watchers.schemas import NewWatcher, WatcherSpec

Source = Literal[
    "api",
    "web",
    "email",
    "portal",
    "slack",
    "sms",
    "discord",
    "instagram",
    "twitter",
    "whatsapp",
    "custom",
    "other",
]
CloseReason = Literal["no_response", "out_of_scope", "customer_left", "duplicate"]

TITLE_MAX = 500
BODY_MAX = 200_000


class Link(ApiModel):
    url: str = Field(min_length=1, max_length=2048)
    title: str | None = Field(None, max_length=500)
    type: str | None = Field(None, max_length=50)


def _links(value: list[Any] | None) -> list[dict[str, Any]] | None:
    """Accept both wire forms: `[{url, title?, type?}]` (SDK) and `["https://..."]` (UI)."""
    if value is None:
        return None
    links = [
        Link(url=item) if isinstance(item, str) else Link.model_validate(item) for item in value
    ]
    return [link.model_dump(exclude_none=True) for link in links]


class TicketOut(ApiModel):
    id: str
    brand_id: str
    account_id: str
    ticket_number: int
    # `PREFIX-NUMBER`, the form used in email subjects and the portal.
    public_id: str
    title: str
    body: str | None
    status: str
    status_id: str
    status_ref: StatusOut
    close_reason: CloseReason | None
    priority: Priority
    source: str
    source_id: str | None
    source_data: dict[str, Any] | None
    assignee_id: str | None
    assignee_email: str | None
    created_by: str | None
    customer_id: str | None
    customer: ContactOut | None
    customer_email: str | None
    customer_name: str | None
    category_id: str | None
    category: CategoryOut | None
    tags: list[TagOut]
    custom_fields: dict[str, Any]
    metadata: dict[str, Any]
    links: list[dict[str, Any]]
    comment_count: int
    attachment_count: int
    due_at: datetime | None
    is_spam: bool
    merged_into_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class _TicketWritable(Command):
    body: str | None = Field(None, max_length=BODY_MAX)
    status: Omittable[str] = Field(None, max_length=50)
    status_id: Omittable[str] = Field(None, max_length=64)
    close_reason: CloseReason | None = None
    assignee_id: str | None = Field(None, max_length=64)
    assignee_email: EmailAddress | None = None
    custom_fields: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    links: list[Any] | None = Field(None, max_length=100)
    due_at: datetime | None = None
    category_id: str | None = Field(None, max_length=64)
    # The category's immutable key, e.g. "billing" (an addition: routing rules use keys).
    category_key: str | None = Field(None, max_length=50)
    # Tag names; unknown names create the tag. On update, the full new list.
    tags: list[str] | None = Field(None, max_length=100)

    _links = field_validator("links")(_links)

    @field_validator("due_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("dueAt needs a time zone, e.g. 2026-01-31T17:00:00Z")
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("dueAt is out of range") from None


class NewTicket(_TicketWritable):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    priority: Priority | None = None
    source: Source = "api"
    source_id: str | None = Field(None, max_length=500)
    source_data: dict[str, Any] | None = None
    customer_email: EmailAddress | None = None
    customer_name: str | None = Field(None, max_length=200)
    # Sent by the reference SDK; the server records the authenticated caller instead.
    created_by: str | None = Field(None, max_length=320)
    watchers: Sequence[NewWatcher] | None = Field(None, max_length=50)
    # Pending uploads (POST /brands/:b/attachments/pending...) to attach.
    attachment_ids: list[str] | None = Field(None, max_length=50)
    # Email the requester a "ticket created" notice.
    notify_customer: bool = False


class TicketCreate(NewTicket):
    model_config = WIRE

    watchers: Sequence[WatcherSpec] | None = Field(None, max_length=50)


class TicketChanges(_TicketWritable):
    title: Omittable[str] = Field(None, min_length=1, max_length=TITLE_MAX)
    priority: Omittable[Priority] = None
    # Same as POST .../spam: marking spam also blocks the sender, unmarking unblocks.
    is_spam: Omittable[bool] = None

    @model_validator(mode="after")
    def _not_empty(self) -> TicketChanges:
        if not self.model_fields_set:
            raise ValueError("Nothing to update: give at least one field")
        return self


class TicketUpdate(TicketChanges):
    model_config = WIRE


class SpamRequest(RequestModel):
    is_spam: bool


class MergeRequest(RequestModel):
    source_ticket_ids: list[str] = Field(min_length=1, max_length=50)


class MergeOut(TicketOut):
    """The target ticket after the merge, with the dashboard's summary fields."""

    target_ticket_id: str
    merged_ticket_ids: list[str]
    merged_count: int


SortField = Literal[
    "createdAt", "updatedAt", "priority", "ticketNumber", "title", "status", "dueAt"
]
