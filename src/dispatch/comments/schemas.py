from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable
from dispatch.tickets.schemas import Link, Source

AuthorType = Literal["CUSTOMER", "AGENT", "SYSTEM"]
BODY_MAX = 100_000
LINKS_MAX = 100
CC_MAX = 50


def _links(value: list[Any] | None) -> list[dict[str, Any]] | None:
    """Both wire forms, as on tickets: `[{url, title?, type?}]` (SDK) and `["https://..."]`."""
    if value is None:
        return None
    links = [
        Link(url=item) if isinstance(item, str) else Link.model_validate(item) for item in value
    ]
    return [link.model_dump(exclude_none=True) for link in links]


class CommentOut(ApiModel):
    id: str
    ticket_id: str
    body: str
    author_id: str | None
    author_name: str | None
    author_email: str | None
    author_type: AuthorType
    is_internal: bool
    parent_id: str | None
    links: list[dict[str, Any]]
    # Always carries `isInternal` (the dashboard reads it here).
    metadata: dict[str, Any]
    source: str
    source_id: str | None
    source_data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class ThreadedCommentOut(CommentOut):
    """A comment with its replies nested (`?threaded=true`)."""

    replies: list[ThreadedCommentOut] = Field(default_factory=list)


class NewComment(Command):
    body: str = Field(min_length=1, max_length=BODY_MAX)
    author_id: str | None = Field(None, max_length=64)
    author_name: str | None = Field(None, max_length=200)
    author_email: EmailAddress | None = None
    author_type: AuthorType = "AGENT"
    # Also accepted as `metadata.isInternal` (the dashboard's form).
    is_internal: bool | None = None
    parent_id: str | None = Field(None, max_length=64)
    links: list[Any] | None = Field(None, max_length=LINKS_MAX)
    metadata: dict[str, Any] | None = None
    source: Source = "api"
    source_id: str | None = Field(None, max_length=500)
    source_data: dict[str, Any] | None = None
    # A status key of the brand, applied in the same transaction as the comment.
    set_status: str | None = Field(None, min_length=1, max_length=50)
    # For the email channel: extra recipients and the connection to send from.
    cc: list[EmailAddress] | None = Field(None, max_length=CC_MAX)
    connection_id: str | None = Field(None, min_length=1, max_length=64)

    _links = field_validator("links")(_links)


class CommentCreate(NewComment):
    model_config = WIRE


class CommentChanges(Command):
    body: Omittable[str] = Field(None, min_length=1, max_length=BODY_MAX)
    links: list[Any] | None = Field(None, max_length=LINKS_MAX)
    # Merged: given keys are set, a null value removes a key.
    metadata: dict[str, Any] | None = None

    _links = field_validator("links")(_links)

    @model_validator(mode="after")
    def _not_empty(self) -> CommentChanges:
        if not self.model_fields_set:
            raise ValueError("Nothing to update: give body, links or metadata")
        return self


class CommentUpdate(CommentChanges):
    model_config = WIRE
