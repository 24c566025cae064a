from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field, field_validator

from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, RequestModel

NAME_MAX = 100
DESCRIPTION_MAX = 1000
KEY_MAX = 50
# \A...\Z, not ^...$: `$` also matches before a trailing newline.
KEY_PATTERN = re.compile(r"\A[a-z0-9_]{1,50}\Z")
COLOR_PATTERN = re.compile(r"\A#[0-9a-fA-F]{6}\Z")


def _color(value: str | None) -> str | None:
    if value is None:
        return None
    if not COLOR_PATTERN.match(value):
        raise ValueError("color must be a hex color like #8b5cf6")
    return value.lower()


def _key(value: str | None) -> str | None:
    if value is not None and not KEY_PATTERN.match(value):
        raise ValueError("key may contain only lowercase letters, digits and underscores (1 to 50)")
    return value


def _description(value: str | None) -> str | None:
    """A blank description is no description."""
    return value or None


class CategoryOut(ApiModel):
    id: str
    brand_id: str
    key: str
    name: str
    color: str | None
    description: str | None
    sort_order: int
    created_at: datetime
    updated_at: datetime


class CategoryStats(ApiModel):
    """One entry of the production stats shape."""

    id: str
    key: str
    name: str
    color: str | None
    ticket_count: int


class CategoryCount(ApiModel):
    """A value of the SDK's stats map (`?format=map`)."""

    ticket_count: int


class NewCategory(Command):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    # Derived from the name when omitted ("Billing & Payments" -> billing_payments).
    key: str | None = Field(None, max_length=KEY_MAX)
    color: str | None = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    sort_order: int | None = Field(None, ge=0)

    _key = field_validator("key")(_key)
    _color = field_validator("color")(_color)
    _description = field_validator("description")(_description)


class CategoryCreate(NewCategory):
    model_config = WIRE


class CategoryChanges(Command):
    name: Omittable[str] = Field(None, min_length=1, max_length=NAME_MAX)
    # Accepted so a client can send a category back as it read it; it must not differ.
    key: str | None = Field(None, max_length=KEY_MAX)
    color: str | None = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    sort_order: int | None = Field(None, ge=0)

    _color = field_validator("color")(_color)
    _description = field_validator("description")(_description)


class CategoryUpdate(CategoryChanges):
    model_config = WIRE


class CategoryReorder(RequestModel):
    category_ids: list[str] = Field(min_length=1, max_length=500)

    @field_validator("category_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("categoryIds must not repeat an id")
        return value
