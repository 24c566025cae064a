"""Form tokens on the wire (§3.16) and the typed commands the service takes."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from dispatch.brands.schemas import normalise_origins
from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable

NAME_MAX = 100
URL_MAX = 2048
MESSAGE_MAX = 2000
FIELD_NAME_MAX = 100
MAPPING_MAX = 50
ORIGINS_MAX = 50

# The ticket properties a form field can fill.
TITLE = "title"
BODY = "body"
PRIORITY = "priority"
CUSTOMER_EMAIL = "customerEmail"
CUSTOMER_NAME = "customerName"
CUSTOM_PREFIX = "customFields."
PROPERTIES = (TITLE, BODY, PRIORITY, CUSTOMER_EMAIL, CUSTOMER_NAME)
# The reference names the requester's fields as custom fields; they fill the contact.
_ALIASES = {
    "customFields.requesterEmail": CUSTOMER_EMAIL,
    "customFields.requesterName": CUSTOMER_NAME,
}
# A form field's name as HTML writes it; a custom field key as the fields domain keeps it.
FIELD_NAME = re.compile(r"\A[^\x00-\x1f\x7f]{1,100}\Z")
CUSTOM_KEY = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")


def _redirect_url(value: str | None) -> str | None:
    """An absolute http(s) URL to send the browser to, or None when blank."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    return value


def _blank_is_none(value: str | None) -> str | None:
    return value or None


def _field_name(value: str | None) -> str | None:
    if value is None or not value:
        return None
    if not FIELD_NAME.match(value):
        raise ValueError("must be 1 to 100 characters without control characters")
    return value


def property_of(target: str) -> str:
    """A mapping target in its stored form; ValueError when it names no ticket property."""
    target = _ALIASES.get(target.strip(), target.strip())
    if target in PROPERTIES:
        return target
    key = target.removeprefix(CUSTOM_PREFIX)
    if target.startswith(CUSTOM_PREFIX) and CUSTOM_KEY.match(key):
        return target
    raise ValueError(
        f"{target!r} is not a ticket property: use title, body, priority, customerEmail, "
        "customerName or customFields.<key>"
    )


def _mapping(value: dict[str, str] | None) -> dict[str, str] | None:
    if not value:
        return None
    mapping: dict[str, str] = {}
    for field, target in value.items():
        name = field.strip()
        if not FIELD_NAME.match(name):
            raise ValueError(f"form field {field!r} must be 1 to 100 characters")
        mapping[name] = property_of(target)
    return mapping


def _origins(value: list[str] | None) -> list[str] | None:
    return normalise_origins(value) if value is not None else None


class FormTokenOut(ApiModel):
    id: str
    brand_id: str
    name: str
    token: str
    success_url: str | None
    error_url: str | None
    thank_you_message: str | None
    field_mapping: dict[str, str] | None
    enabled: bool
    honeypot_field: str | None
    allowed_origins: list[str]
    submission_count: int
    last_submission_at: datetime | None
    created_at: datetime
    updated_at: datetime


class _FormFields(Command):
    success_url: str | None = Field(None, max_length=URL_MAX)
    error_url: str | None = Field(None, max_length=URL_MAX)
    thank_you_message: str | None = Field(None, max_length=MESSAGE_MAX)
    field_mapping: dict[str, str] | None = Field(None, max_length=MAPPING_MAX)
    honeypot_field: str | None = Field(None, max_length=FIELD_NAME_MAX)
    allowed_origins: list[str] | None = Field(None, max_length=ORIGINS_MAX)

    _urls = field_validator("success_url", "error_url")(_redirect_url)
    _message = field_validator("thank_you_message")(_blank_is_none)
    _field_mapping = field_validator("field_mapping")(_mapping)
    _allowed_origins = field_validator("allowed_origins")(_origins)

    @field_validator("honeypot_field")
    @classmethod
    def _honeypot(cls, value: str | None, info: ValidationInfo) -> str | None:
        name = _field_name(value)
        if name is not None and name in (info.data.get("field_mapping") or {}):
            raise ValueError("must not also be a mapped field")
        return name


class NewForm(_FormFields):
    name: str = Field(min_length=1, max_length=NAME_MAX)


class FormCreate(NewForm):
    model_config = WIRE


class FormChanges(_FormFields):
    name: Omittable[str] = Field(None, min_length=1, max_length=NAME_MAX)
    enabled: Omittable[bool] = None

    @model_validator(mode="after")
    def _not_empty(self) -> FormChanges:
        if not self.model_fields_set:
            raise ValueError("Nothing to update: give at least one field")
        return self


class FormUpdate(FormChanges):
    model_config = WIRE


class SubmittedTicket(ApiModel):
    """What a public submission answers about its ticket (`ticketNumber` as people read
    it: `ACME-1042`)."""

    id: str
    ticket_number: str
    number: int
    title: str
    status: str
    created_at: datetime


class SubmissionOut(ApiModel):
    success: bool = True
    ticket: SubmittedTicket | None = None
