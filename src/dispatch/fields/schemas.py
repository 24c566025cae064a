from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import Field, computed_field, field_validator

from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, RequestModel
from dispatch.fields.values import FieldType

KEY_MAX = 50
LABEL_MAX = 100
DESCRIPTION_MAX = 1000
PLACEHOLDER_MAX = 200
SOURCE_MAX = 100
OPTION_MAX = 200
OPTIONS_MAX = 200
# \A...\Z, not ^...$: `$` also matches before a trailing newline.
KEY_PATTERN = re.compile(r"\A[a-z][a-z0-9_]*\Z")


class FieldDefinitionOut(ApiModel):
    id: str
    brand_id: str
    entity_type: str
    key: str
    label: str
    type: str
    required: bool
    default_value: Any
    description: str | None
    placeholder: str | None
    options: list[str] | None
    show_on_create: bool
    show_in_table: bool
    show_in_detail: bool
    portal_visible: bool
    sort_order: int
    source: str | None
    created_at: datetime
    updated_at: datetime

    @computed_field(alias="visible")  # type: ignore[prop-decorator]
    @property
    def visible(self) -> bool:
        """Deprecated (the SDK still reads it): shown anywhere at all."""
        return self.show_on_create or self.show_in_table or self.show_in_detail


class FieldDefinitions(ApiModel):
    """All of a brand's definitions; `customer` is the SDK's name for `contact`."""

    ticket: list[FieldDefinitionOut]
    contact: list[FieldDefinitionOut]
    customer: list[FieldDefinitionOut]
    company: list[FieldDefinitionOut]


def _options(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    cleaned = [option.strip() for option in value]
    if any(not option for option in cleaned):
        raise ValueError("options cannot be blank")
    if any(len(option) > OPTION_MAX for option in cleaned):
        raise ValueError(f"an option has at most {OPTION_MAX} characters")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("options must be distinct")
    return cleaned


class _FieldBody(Command):
    label: Omittable[str] = Field(None, min_length=1, max_length=LABEL_MAX)
    type: Omittable[FieldType] = None
    required: Omittable[bool] = None
    default_value: Any = None
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    placeholder: str | None = Field(None, max_length=PLACEHOLDER_MAX)
    options: list[str] | None = Field(None, max_length=OPTIONS_MAX)
    show_on_create: Omittable[bool] = None
    show_in_table: Omittable[bool] = None
    show_in_detail: Omittable[bool] = None
    # A ticket field customers see and fill in the portal.
    portal_visible: Omittable[bool] = None
    # Deprecated: stands for all three show* toggles that are not given.
    visible: bool | None = None
    sort_order: int | None = Field(None, ge=0)
    source: str | None = Field(None, max_length=SOURCE_MAX)

    _options = field_validator("options")(_options)


class NewField(_FieldBody):
    key: str = Field(min_length=1, max_length=KEY_MAX)
    label: str = Field(min_length=1, max_length=LABEL_MAX)
    type: FieldType

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_PATTERN.match(value):
            raise ValueError(
                "key starts with a lowercase letter and has only lowercase letters, "
                "digits and underscores"
            )
        return value


class FieldCreate(NewField):
    model_config = WIRE


class FieldChanges(_FieldBody):
    # Accepted so a client can send a definition back as it read it; it must not differ.
    key: str | None = Field(None, max_length=KEY_MAX)


class FieldUpdate(FieldChanges):
    model_config = WIRE


class FieldReorder(RequestModel):
    keys: list[str] = Field(min_length=1, max_length=500)

    @field_validator("keys")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("keys must not repeat a key")
        return value
