"""Brands: isolated workspaces with their own statuses, tickets and numbering."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from slugify import slugify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.accounts.errors import AllBrandsKeyRequired
from dispatch.audit import service as audit
from dispatch.brands import repository
from dispatch.brands.models import DEFAULT_TICKET_NUMBER_START, Brand, new_portal_secret
from dispatch.brands.policy import in_scope
from dispatch.brands.schemas import BrandChanges, BrandDeletePreview, NewBrand
from dispatch.categories import repository as categories_repository
from dispatch.contacts import repository as contacts_repository
from dispatch.core import clock
from dispatch.core.actor import Actor, require_settings_manager
from dispatch.core.errors import Conflict, NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.fields import ticket_schema
from dispatch.statuses import service as statuses
from dispatch.tags import repository as tags_repository
from dispatch.tickets import repository as tickets_repository
from dispatch.webhooks import repository as webhooks_repository

FALLBACK_PREFIX = "TKT"
SLUG_ATTEMPTS = 5


def derive_ticket_prefix(name: str) -> str:
    """Initials of a multi-word name ("Epic Design Labs" -> EDL), else its first letters."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", slugify(name, separator=" ")) if w]
    if not words:
        return FALLBACK_PREFIX
    prefix = "".join(w[0] for w in words) if len(words) > 1 else words[0][:4]
    return prefix.upper()[:10]


def _slug_base(name: str) -> str:
    base = slugify(name, max_length=50, word_boundary=True) or "brand"
    return base if len(base) >= 2 else f"brand-{base}"


def _with_suffix(base: str) -> str:
    # Same shape as the dashboard's: the name plus a short random suffix.
    return f"{base}-{secrets.token_hex(2)}"


def _unique_slug(session: Session, name: str) -> str:
    base = _slug_base(name)
    candidate = base
    while repository.slug_taken(session, candidate):
        candidate = _with_suffix(base)
    return candidate


def _slug_conflict(slug: str) -> Conflict:
    return Conflict(f"The slug {slug!r} is already in use", code="slug_taken")


def _is_slug_violation(error: IntegrityError) -> bool:
    return "slug" in str(error.orig).lower()


def _insert_brand(session: Session, brand: Brand, *, slug_given: bool) -> None:
    """Insert; a slug taken by a concurrent request since our check is a 409 when the
    caller chose it, and a fresh suffix when we generated it."""
    base = brand.slug
    for _attempt in range(SLUG_ATTEMPTS):
        try:
            with session.begin_nested():
                session.add(brand)
                session.flush()
            return
        except IntegrityError as error:
            if not _is_slug_violation(error):
                raise
            if slug_given:
                raise _slug_conflict(brand.slug) from None
            brand.slug = _with_suffix(base)
    raise _slug_conflict(brand.slug)


def create_brand(session: Session, actor: Actor, data: NewBrand) -> Brand:
    require_settings_manager(actor, "create brands")
    if not actor.all_brands:
        raise AllBrandsKeyRequired("create brands")
    if data.slug is not None and repository.slug_taken(session, data.slug):
        raise _slug_conflict(data.slug)
    if data.ticket_schema is not None:
        ticket_schema.check_schema(data.ticket_schema)
    now = clock.now()
    brand = Brand(
        id=new_id("br"),
        account_id=actor.account_id,
        name=data.name,
        slug=data.slug or _unique_slug(session, data.name),
        ticket_prefix=data.ticket_prefix or derive_ticket_prefix(data.name),
        next_ticket_number=data.ticket_number_start or DEFAULT_TICKET_NUMBER_START,
        url=str(data.url) if data.url else None,
        icon_url=str(data.icon_url) if data.icon_url else None,
        settings=data.settings or {},
        metadata_=data.metadata or {},
        ticket_schema=data.ticket_schema,
        inbound_email_enabled=True,
        autoresponse_enabled=False,
        csat_enabled=False,
        csat_type="thumbs",
        csat_delay_minutes=60,
        sla_enabled=False,
        sla_default_hours=72,
        sla_by_priority={"urgent": 4, "high": 24, "normal": 72, "low": 168},
        sla_notify_overdue=True,
        sla_business_hours_only=False,
        sla_business_hours=None,
        portal_origins=[],
        portal_secret=new_portal_secret(),
        portal_enabled=True,
        portal_categories=False,
        created_at=now,
        updated_at=now,
    )
    _insert_brand(session, brand, slug_given=data.slug is not None)
    statuses.seed_system_statuses(session, brand)
    return brand


def list_brands(session: Session, actor: Actor) -> list[Brand]:
    return repository.list_brands(session, actor.account_id, actor.brand_ids)


def get_brand(session: Session, actor: Actor, brand_id: str) -> Brand:
    """A brand the actor may use; 404 outside its account or access."""
    return in_scope(actor, repository.get_brand(session, actor.account_id, brand_id), brand_id)


def portal_brand(session: Session, slug: str, *, domain: str | None = None) -> Brand:
    """The brand whose hosted portal is at /support/<slug> (and, with `domain`, at that
    host's root: its portal domain now, whatever an earlier lookup said): 404 for an
    unknown or deleted brand and for one whose portal is off (the same answer, nothing to
    tell apart)."""
    brand = repository.by_slug(session, slug[:63])
    if brand is None or not brand.portal_enabled:
        raise NotFound("portal", slug[:63])
    if domain is not None and brand.portal_domain != domain:
        raise NotFound("portal", slug[:63])
    return brand


@dataclass(frozen=True, slots=True)
class PortalHost:
    """What a host some brand claims as its portal domain serves: the portal of the brand
    with `slug`, or nothing at all (None: the brand was deleted or its portal is off)."""

    slug: str | None


def portal_host(session: Session, host: str) -> PortalHost | None:
    """What `host` serves when it is a brand's portal domain; None for any other host."""
    owner = repository.portal_domain_owner(session, host)
    if owner is None:
        return None
    serving = owner.deleted_at is None and owner.portal_enabled
    return PortalHost(owner.slug if serving else None)


def _domain_conflict(domain: str) -> Conflict:
    message = f"{domain} is already another brand's portal domain"
    return Conflict(message, code="portal_domain_taken")


def _is_domain_violation(error: IntegrityError) -> bool:
    return "portal_domain" in str(error.orig).lower()


def _claim_portal_domain(
    session: Session, brand: Brand, domain: str, server_hosts: Collection[str]
) -> None:
    """Check that `brand` may take `domain` for its portal: not a host Dispatch itself
    answers at, not a live brand's. A deleted brand's claim is released (until then its
    host answers 404, never the dashboard)."""
    if domain in server_hosts:
        raise ValidationFailed(
            "portalDomain",
            f"{domain} is this server's own address: the dashboard and the API answer there",
        )
    owner = repository.portal_domain_owner(session, domain)
    if owner is None or owner.id == brand.id:
        return
    if owner.deleted_at is None:
        raise _domain_conflict(domain)
    owner.portal_domain = None
    session.flush()


_RENAMED = {"metadata": "metadata_"}


def update_brand(
    session: Session,
    actor: Actor,
    brand: Brand,
    data: BrandChanges,
    *,
    server_hosts: Collection[str] = (),
) -> Brand:
    """Apply the changes `data` sets. `server_hosts` are the hosts Dispatch answers at
    (core.hosts.server_hosts), never a portal domain."""
    require_settings_manager(actor, "change brand settings")
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, mode="json")
    if "slug" in changes and repository.slug_taken(
        session, changes["slug"], except_brand_id=brand.id
    ):
        raise _slug_conflict(changes["slug"])
    if changes.get("portal_domain"):
        _claim_portal_domain(session, brand, changes["portal_domain"], server_hosts)
    if "ticket_schema" in changes:
        _ticket_schema_change(session, actor, brand, changes["ticket_schema"])
    if "ticket_number_start" in changes:
        _move_ticket_counter(session, brand, changes.pop("ticket_number_start"))
    for field in ("settings", "metadata", "sla_by_priority", "portal_origins"):
        if field in changes and changes[field] is None:
            changes[field] = [] if field == "portal_origins" else {}
    for field, value in changes.items():
        setattr(brand, _RENAMED.get(field, field), value)
    brand.updated_at = clock.now()
    try:
        session.flush()
    except IntegrityError as error:
        # Another request took the domain or the slug between our check and this write
        # (the domain first: a host name may contain "slug", a slug never "portal_domain").
        if changes.get("portal_domain") and _is_domain_violation(error):
            raise _domain_conflict(changes["portal_domain"]) from None
        if "slug" in changes and _is_slug_violation(error):
            raise _slug_conflict(changes["slug"]) from None
        raise
    return brand


def set_ticket_schema(
    session: Session, actor: Actor, brand: Brand, schema: dict[str, Any] | None
) -> Brand:
    """Set the JSON Schema the customFields of the brand's ticket writes must satisfy
    (None: no schema), as a brand update of that one field."""
    return update_brand(session, actor, brand, BrandChanges(ticket_schema=schema))


def _ticket_schema_change(
    session: Session, actor: Actor, brand: Brand, schema: dict[str, Any] | None
) -> None:
    """Refuse an invalid schema; a different one gets its activity entry."""
    if schema is not None:
        ticket_schema.check_schema(schema)
    if schema != brand.ticket_schema:
        audit.record(
            session,
            actor,
            brand_id=brand.id,
            event="brand.updated",
            entity_type="brand",
            entity_id=brand.id,
            changes={"ticketSchema": (brand.ticket_schema, schema)},
        )


def _move_ticket_counter(session: Session, brand: Brand, start: int) -> None:
    """Numbers already handed out are never handed out again: once a brand has tickets,
    the counter only moves forward (read under the row lock that allocation takes)."""
    current = repository.lock_ticket_counter(session, brand.id)
    highest = tickets_repository.highest_ticket_number(session, brand.id)
    if highest is not None and start < current:
        raise ValidationFailed(
            "ticketNumberStart",
            f"ticketNumberStart must be at least {current}: numbers up to {current - 1} "
            "may already be in use",
        )
    brand.next_ticket_number = start


def preview_delete(session: Session, brand: Brand) -> BrandDeletePreview:
    contact_count, company_count = contacts_repository.count_live(session, brand.id)
    return BrandDeletePreview(
        brand_id=brand.id,
        ticket_count=tickets_repository.count_live_tickets(session, brand.id),
        custom_status_count=statuses.count_custom_statuses(session, brand.id),
        webhook_count=webhooks_repository.count_live(session, brand.id),
        category_count=categories_repository.count_live(session, brand.id),
        tag_count=tags_repository.count_live(session, brand.id),
        contact_count=contact_count,
        company_count=company_count,
    )


def delete_brand(session: Session, actor: Actor, brand: Brand) -> None:
    require_settings_manager(actor, "delete brands")
    if not actor.all_brands:
        raise AllBrandsKeyRequired("delete brands")
    now = clock.now()
    brand.deleted_at = now
    brand.deleted_by = actor.performed_by()
    brand.updated_at = now
    session.flush()
