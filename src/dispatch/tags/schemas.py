from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, RequestModel
from dispatch.statuses.rules import DEFAULT_COLOR

NAME_MAX = 50
COLOR_PATTERN = re.compile(r"\A#[0-9a-fA-F]{6}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(value: Any) -> str:
    """A tag name as stored: trimmed, 1 to 50 characters, no control characters.

    Raises ValueError with the reason otherwise."""
    if not isinstance(value, str):
        raise ValueError("a tag name must be a string")
    name = value.strip()
    if not name:
        raise ValueError("a tag name cannot be blank")
    if len(name) > NAME_MAX or len(normalize(name)) > NAME_MAX:
        raise ValueError(f"a tag name has at most {NAME_MAX} characters")
    if _CONTROL.search(name):
        raise ValueError("a tag name cannot contain control characters")
    return name


def normalize(name: str) -> str:
    """What names are compared by: tags are unique per brand without regard to case."""
    return name.lower()


def _color(value: str | None) -> str | None:
    if value is None:
        return None
    if not COLOR_PATTERN.match(value):
        raise ValueError("color must be a hex color like #8b5cf6")
    return value.lower()


def color_or_default(value: str | None) -> str:
    """A tag without a color (rows from before the default, too) shows the gray custom
    statuses get."""
    return value or DEFAULT_COLOR


def _ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("sourceTagIds must not repeat an id")
    return value


class TagOut(ApiModel):
    id: str
    brand_id: str
    name: str
    color: str
    created_at: datetime
    updated_at: datetime

    _color = field_validator("color", mode="before")(color_or_default)


class TagStats(ApiModel):
    id: str
    name: str
    color: str
    ticket_count: int

    _color = field_validator("color", mode="before")(color_or_default)


class NewTag(Command):
    name: str
    color: str | None = None

    _name = field_validator("name")(clean_name)
    _color = field_validator("color")(_color)


class TagCreate(NewTag):
    model_config = WIRE


class TagChanges(Command):
    name: Omittable[str] = None
    color: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else clean_name(value)

    _color = field_validator("color")(_color)


class TagUpdate(TagChanges):
    model_config = WIRE


class TagMergeInto(RequestModel):
    """The SDK's form: `POST /tags/{targetTagId}/merge`."""

    source_tag_ids: list[str] = Field(min_length=1, max_length=100)

    _distinct = field_validator("source_tag_ids")(_ids)


class TagMerge(TagMergeInto):
    """The dashboard's form: `POST /tags/merge`."""

    target_tag_id: str = Field(min_length=1, max_length=64)
