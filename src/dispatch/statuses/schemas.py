from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, RequestModel
from dispatch.statuses.rules import COLOR_PATTERN, DEFAULT_COLOR, KEY_PATTERN, RESERVED_KEYS

NAME_MAX = 100
DESCRIPTION_MAX = 1000


def _color(value: str | None) -> str | None:
    if value is None:
        return None
    if not COLOR_PATTERN.match(value):
        raise ValueError("color must be a hex color like #8b5cf6")
    return value.lower()


class StatusOut(ApiModel):
    id: str
    brand_id: str
    name: str
    key: str
    color: str
    description: str | None
    is_system: bool
    is_active: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime


class StatusStats(StatusOut):
    """One entry per status: the reference's status fields with `ticketCount`, plus the
    seed's `{statusId, statusName, count}`."""

    ticket_count: int
    status_id: str
    status_name: str
    count: int


class NewStatus(Command):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    key: str = Field(min_length=1, max_length=50)
    color: str = DEFAULT_COLOR
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    sort_order: int | None = Field(None, ge=0)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_PATTERN.match(value):
            raise ValueError("key may contain only lowercase letters, digits and underscores")
        if value in RESERVED_KEYS:
            raise ValueError(f"{value!r} is reserved; choose another key")
        return value

    _color = field_validator("color")(_color)


class StatusCreate(NewStatus):
    model_config = WIRE


class StatusChanges(Command):
    name: Omittable[str] = Field(None, min_length=1, max_length=NAME_MAX)
    # null restores the status's default color.
    color: str | None = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    sort_order: int | None = Field(None, ge=0)
    # Accepted so a client can send a status back as it read it; both must match.
    key: str | None = None
    is_active: bool | None = None

    _color = field_validator("color")(_color)


class StatusUpdate(StatusChanges):
    model_config = WIRE


class StatusReorder(RequestModel):
    status_ids: list[str] = Field(min_length=1, max_length=200)

    @field_validator("status_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("statusIds must not repeat an id")
        return value


class StatusReplacement(RequestModel):
    """Where tickets of a deleted custom status go: by id or by key (query or body).
    Giving both is refused by the service, whichever way they arrive."""

    replacement_status_id: str | None = Field(None, max_length=64)
    replacement_status_key: str | None = Field(None, max_length=50)
