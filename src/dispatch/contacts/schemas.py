"""Wire shapes of contacts (the reference's customers) and companies."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from dispatch.contacts.rules import normalize_domain
from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable

NAME_MAX = 200
URL_MAX = 2048
ID_MAX = 64
# Serialized size of one metadata or customFields map (the dashboard keeps notes in it).
MAP_MAX_BYTES = 64 * 1024
SEARCH_LIMIT = 10

ContactSort = Literal["createdAt", "name", "email"]
CompanySort = Literal["name", "createdAt"]


# ---- responses ---------------------------------------------------------------------------


class CompanyCount(ApiModel):
    # Live contacts linked to the company.
    customers: int


class CompanyOut(ApiModel):
    id: str
    brand_id: str
    name: str
    domain: str | None
    metadata: dict[str, Any]
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    count: CompanyCount = Field(alias="_count")


class ContactCount(ApiModel):
    # Live tickets of the contact (not deleted, not spam, not merged into another).
    tickets: int


class ContactOut(ApiModel):
    id: str
    brand_id: str
    email: str
    name: str | None
    avatar_url: str | None
    company_id: str | None
    company: CompanyOut | None
    metadata: dict[str, Any]
    custom_fields: dict[str, Any]
    notify_email: bool
    email_undeliverable: bool
    email_undeliverable_at: datetime | None
    created_at: datetime
    updated_at: datetime
    count: ContactCount = Field(alias="_count")


class CompanyDetail(CompanyOut):
    """A company with its contacts, newest first (at most 100)."""

    customers: list[ContactOut]


# ---- requests ----------------------------------------------------------------------------


def _map_size(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value, separators=(",", ":"))) > MAP_MAX_BYTES:
        raise ValueError(f"must be at most {MAP_MAX_BYTES} bytes as JSON")
    return value


def _avatar_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("avatarUrl must be an http or https URL")
    return value


def _domain(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return normalize_domain(value)


def _lower_email(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def _blank_is_none(value: str | None) -> str | None:
    return value or None


class _ContactFields(Command):
    name: str | None = Field(None, max_length=NAME_MAX)
    avatar_url: str | None = Field(None, max_length=URL_MAX)
    company_id: str | None = Field(None, max_length=ID_MAX)
    metadata: dict[str, Any] | None = None
    custom_fields: dict[str, Any] | None = None

    _name = field_validator("name")(_blank_is_none)
    _avatar = field_validator("avatar_url")(_avatar_url)
    _maps = field_validator("metadata", "custom_fields")(_map_size)


class NewContact(_ContactFields):
    email: EmailAddress
    notify_email: bool = True

    _email = field_validator("email")(_lower_email)


class ContactCreate(NewContact):
    model_config = WIRE


class ContactChanges(_ContactFields):
    email: Omittable[EmailAddress] = None
    notify_email: Omittable[bool] = None

    _email = field_validator("email")(_lower_email)

    @model_validator(mode="after")
    def _not_empty(self) -> ContactChanges:
        if not self.model_fields_set:
            raise ValueError("Nothing to update: give at least one field")
        return self


class ContactUpdate(ContactChanges):
    model_config = WIRE


class _CompanyFields(Command):
    domain: str | None = Field(None, max_length=300)
    metadata: dict[str, Any] | None = None
    custom_fields: dict[str, Any] | None = None

    _domain = field_validator("domain")(_domain)
    _maps = field_validator("metadata", "custom_fields")(_map_size)


class NewCompany(_CompanyFields):
    name: str = Field(min_length=1, max_length=NAME_MAX)


class CompanyCreate(NewCompany):
    model_config = WIRE


class CompanyChanges(_CompanyFields):
    name: Omittable[str] = Field(None, min_length=1, max_length=NAME_MAX)

    @model_validator(mode="after")
    def _not_empty(self) -> CompanyChanges:
        if not self.model_fields_set:
            raise ValueError("Nothing to update: give at least one field")
        return self


class CompanyUpdate(CompanyChanges):
    model_config = WIRE
