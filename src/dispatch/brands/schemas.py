from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import idna
from pydantic import AnyHttpUrl, Field, RootModel, field_validator

from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable, refuse_nul

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
PREFIX_PATTERN = r"^[A-Za-z0-9]{1,10}$"
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
PRIORITIES = ("low", "normal", "medium", "high", "urgent")
MAX_SLA_HOURS = 100_000

CsatType = Literal["thumbs", "scale5", "scale10"]


class BusinessHours(Command):
    """Single-word fields: the same on the wire and in Python."""

    start: str
    end: str
    days: list[int] = Field(min_length=1, max_length=7)
    timezone: str

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not TIME_OF_DAY.match(value):
            raise ValueError("use HH:mm, 24-hour")
        return value

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value) or len(set(value)) != len(value):
            raise ValueError("days are distinct numbers 0 (Sunday) to 6 (Saturday)")
        return sorted(value)

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


DEFAULT_PORTS = {"http": 80, "https": 443}
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _origin_host(hostname: str) -> str | None:
    """The host as a browser writes it in an Origin header, or None if it is not one."""
    if ":" in hostname:
        try:
            return f"[{ipaddress.IPv6Address(hostname).compressed}]"
        except ValueError:
            return None
    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(HOST_LABEL.match(label) for label in labels):
        return None
    return ascii_host.removesuffix(".")


def normalise_origin(origin: str) -> str:
    raw = origin.strip()
    parts = urlsplit(raw)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{origin!r} is not an http(s) origin")
    if parts.path not in ("", "/") or "?" in raw or "#" in raw or "@" in parts.netloc:
        raise ValueError(f"{origin!r} must be an origin only, like https://app.example.com")
    try:
        port = parts.port
    except ValueError:
        port = 0
    host = _origin_host(parts.hostname)
    if host is None or port == 0:
        raise ValueError(f"{origin!r} does not have a valid host and port")
    # Browsers leave the scheme's default port out of the Origin header; so do we.
    if port is not None and port != DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}"


def normalise_origins(origins: list[str]) -> list[str]:
    normalised: list[str] = []
    for origin in origins:
        value = normalise_origin(origin)
        if value in normalised:
            raise ValueError(f"duplicate origin {value}")
        normalised.append(value)
    return normalised


def normalise_portal_domain(value: str) -> str:
    """A brand's own domain for its hosted portal as a Host header carries it: a bare,
    lowercased host name (IDNA 2008, non-ASCII names in their xn-- form), at least two
    labels, no IP address, scheme, path or port."""
    raw = value.strip().lower().removesuffix(".")
    if not raw or any(c in raw for c in "/:@?#[]\\ \t"):
        raise ValueError("use a host name only, like help.example.com (no https://, path or port)")
    try:
        host = idna.encode(raw, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"{value.strip()!r} is not a valid host name: {exc}") from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{value.strip()!r} is not a valid host name, like help.example.com")
    if labels[-1].isdigit():
        raise ValueError("use a host name, not an IP address")
    return host


SlaHours = Annotated[float, Field(gt=0, le=MAX_SLA_HOURS, allow_inf_nan=False)]


def _check_sla_hours(value: dict[str, float] | None) -> dict[str, float] | None:
    if value is None:
        return None
    for priority in value:
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}")
    return value


class _BrandFields(Command):
    """Fields shared by create and update; all optional here."""

    slug: Omittable[str] = Field(None, min_length=2, max_length=63, pattern=SLUG_PATTERN)
    ticket_prefix: Omittable[str] = Field(None, pattern=PREFIX_PATTERN)
    ticket_number_start: Omittable[int] = Field(None, ge=1, le=2_000_000_000)
    url: AnyHttpUrl | None = None
    icon_url: AnyHttpUrl | None = None
    metadata: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    # A JSON Schema (draft 2020-12) for the customFields of ticket writes; null clears it.
    ticket_schema: dict[str, Any] | None = None

    @field_validator("ticket_prefix")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value is not None else None


class NewBrand(_BrandFields):
    name: str = Field(min_length=1, max_length=200)


class BrandCreate(NewBrand):
    model_config = WIRE


class BrandChanges(_BrandFields):
    name: Omittable[str] = Field(None, min_length=1, max_length=200)
    inbound_email_enabled: Omittable[bool] = None
    from_name: str | None = Field(None, max_length=200)
    from_email: EmailAddress | None = None
    autoresponse_enabled: Omittable[bool] = None
    autoresponse_subject: str | None = Field(None, max_length=200)
    autoresponse_body: str | None = Field(None, max_length=20_000)
    csat_enabled: Omittable[bool] = None
    csat_type: Omittable[CsatType] = None
    csat_delay_minutes: Omittable[int] = Field(None, ge=1, le=43_200)
    csat_email_subject: str | None = Field(None, max_length=200)
    csat_email_body: str | None = Field(None, max_length=20_000)
    sla_enabled: Omittable[bool] = None
    sla_default_hours: float | None = Field(None, gt=0, le=MAX_SLA_HOURS, allow_inf_nan=False)
    sla_by_priority: dict[str, SlaHours] | None = None
    sla_notify_overdue: Omittable[bool] = None
    sla_business_hours_only: Omittable[bool] = None
    sla_business_hours: BusinessHours | None = None
    portal_origins: list[str] | None = Field(None, max_length=100)
    portal_enabled: Omittable[bool] = None
    portal_categories: Omittable[bool] = None
    # The brand's own host name for its hosted portal (help.example.com); null clears it.
    portal_domain: str | None = Field(None, max_length=253)

    _sla_hours = field_validator("sla_by_priority")(_check_sla_hours)

    @field_validator("portal_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        return normalise_origins(value) if value is not None else None

    @field_validator("portal_domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        # A blank field (the dashboard's form) clears it like null.
        return normalise_portal_domain(value) if value and value.strip() else None


class BrandUpdate(BrandChanges):
    model_config = WIRE


class BrandOut(ApiModel):
    id: str
    account_id: str
    name: str
    slug: str
    ticket_prefix: str
    next_ticket_number: int
    url: str | None
    icon_url: str | None
    settings: dict[str, Any]
    metadata: dict[str, Any] = Field(validation_alias="metadata_")
    ticket_schema: dict[str, Any] | None
    inbound_email_enabled: bool
    from_name: str | None
    from_email: str | None
    autoresponse_enabled: bool
    autoresponse_subject: str | None
    autoresponse_body: str | None
    csat_enabled: bool
    csat_type: CsatType
    csat_delay_minutes: int
    csat_email_subject: str | None
    csat_email_body: str | None
    sla_enabled: bool
    sla_default_hours: float | None
    sla_by_priority: dict[str, float]
    sla_notify_overdue: bool
    sla_business_hours_only: bool
    sla_business_hours: dict[str, Any] | None
    portal_origins: list[str]
    portal_enabled: bool
    portal_categories: bool
    portal_domain: str | None
    created_at: datetime
    updated_at: datetime


class TicketSchemaBody(RootModel[dict[str, Any] | None]):
    """`PUT /brands/:id/schema`: the schema object itself (as the reference sends it), or
    null to clear it."""

    _no_nul = field_validator("root", mode="before")(refuse_nul)


class BrandDeletePreview(ApiModel):
    """What `DELETE /brands/:id` without `confirm=true` reports; nothing is deleted."""

    brand_id: str
    ticket_count: int
    custom_status_count: int
    webhook_count: int
    category_count: int
    tag_count: int
    contact_count: int
    company_count: int
    confirm_required: bool = True
