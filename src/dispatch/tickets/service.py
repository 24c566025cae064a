"""Tickets: create, read, list, change and delete, each one unit of work."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.attachments import service as attachments
from dispatch.audit import service as audit
from dispatch.audit.models import AuditLog
from dispatch.brands import repository as brands_repository
from dispatch.brands.models import Brand
from dispatch.categories import loading as categories
from dispatch.contacts import service as contacts
from dispatch.core import clock, events
from dispatch.core.actor import Actor
from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import ValidationFailed
from dispatch.core.ids import new_id
from dispatch.core.pagination import Cursor, split_page
from dispatch.core.patch import merge_map
from dispatch.fields import service as custom_values
from dispatch.spam import service as spam
from dispatch.statuses import loading as statuses
from dispatch.statuses.models import TicketStatus
from dispatch.tags import service as tags_service
from dispatch.tickets import policy, rendering, repository
from dispatch.tickets.errors import UnknownAssignee, VersionConflict
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.models import Ticket
from dispatch.tickets.priority import DEFAULT_PRIORITY, RANKS
from dispatch.tickets.schemas import NewTicket, TicketChanges, TicketOut
from dispatch.tickets.workflow import (
    NOT_COUNTED,
    Counted,
    TicketChange,
    Trigger,
    apply_changes,
    keep_counts,
)
from dispatch.watchers import service as watchers

REQUESTER_EMAIL = "requesterEmail"
REQUESTER_NAME = "requesterName"


def _named_status(
    session: Session, brand: Brand, key: str | None, status_id: str | None
) -> TicketStatus | None:
    """The status a request names by `status` (key) or `statusId`; None if it names none."""
    if key is None and status_id is None:
        return None
    return statuses.resolve(session, brand.id, key=key, status_id=status_id)


@dataclass(frozen=True, slots=True)
class Assignment:
    member_id: str | None
    email: str | None


def _assignment(
    session: Session, account_id: str, data: NewTicket | TicketChanges
) -> Assignment | None:
    """Resolve `assigneeId`/`assigneeEmail` from a request; None when neither was given.

    An email may be any address (a team alias, say); it links to the team member who
    has it, when there is one.
    """
    has_id = "assignee_id" in data.model_fields_set
    has_email = "assignee_email" in data.model_fields_set
    if not has_id and not has_email:
        return None
    member_id, email = data.assignee_id, data.assignee_email
    if member_id is None and email is None:
        return Assignment(None, None)
    if member_id is not None:
        member = accounts.find_member(session, account_id, member_id=member_id)
        if member is None:
            raise UnknownAssignee(member_id)
        if email is not None and email.lower() != member.email:
            raise ValidationFailed("assigneeEmail", "assigneeEmail and assigneeId disagree")
        return Assignment(member.id, member.email)
    if has_id or email is None:
        raise ValidationFailed("assigneeId", "assigneeId is null but assigneeEmail is set")
    member = accounts.find_member(session, account_id, email=email)
    return Assignment(member.id if member else None, email.lower())


def _requester_email(custom: dict[str, Any] | None) -> str | None:
    """`customFields.requesterEmail`, which must be an email address when given."""
    value = (custom or {}).get(REQUESTER_EMAIL)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"customFields.{REQUESTER_EMAIL}", "must be an email address")
    try:
        return normalize_email(value)
    except InvalidEmailAddress as exc:
        raise ValidationFailed(f"customFields.{REQUESTER_EMAIL}", str(exc)) from None


def _requester(data: NewTicket) -> tuple[str | None, str | None]:
    """Contact details from `customerEmail`/`customerName` or the dashboard's
    `customFields.requesterEmail`/`requesterName`."""
    custom = data.custom_fields or {}
    email = data.customer_email
    requester_email = _requester_email(custom)
    if email is None:
        email = requester_email
    name = data.customer_name
    if name is None and isinstance(custom.get(REQUESTER_NAME), str):
        name = custom[REQUESTER_NAME].strip()[:200] or None
    return (email.lower() if email else None), name


def _check_close_reason(status: TicketStatus, close_reason: str | None) -> None:
    if close_reason is not None and status.key != "closed":
        raise ValidationFailed("closeReason", "closeReason applies only to closed tickets")


def create_ticket(session: Session, actor: Actor, brand: Brand, data: NewTicket) -> TicketOut:
    """Create a ticket with everything it arrives with: contact (found or created),
    category, tags, custom fields (checked against their definitions and, when given, the
    brand's ticket schema), watchers and pending attachments. A ticket from a blocked
    sender arrives as spam. A customer's ticket is their own (policy.check_new_ticket)."""
    policy.check_new_ticket(actor, data.model_fields_set)
    status = _named_status(session, brand, data.status, data.status_id) or statuses.resolve(
        session, brand.id, key="open"
    )
    _check_close_reason(status, data.close_reason)
    assignment = _assignment(session, brand.account_id, data) or Assignment(None, None)
    customer_email, customer_name = _requester(data)
    if actor.is_customer:
        customer_email, customer_name = actor.email, customer_name or actor.name
    category = categories.resolve_category(
        session, brand, category_id=data.category_id, category_key=data.category_key
    )
    custom_fields = custom_values.validate_values(
        session,
        brand.id,
        "ticket",
        data.custom_fields or {},
        schema=brand.ticket_schema if "custom_fields" in data.model_fields_set else None,
        requires=functools.partial(policy.requires_field, actor),
    )
    tags = tags_service.resolve_names(session, actor, brand, data.tags) if data.tags else []
    contact = (
        contacts.find_or_create_contact(
            session, actor, brand, email=customer_email, name=customer_name
        )
        if customer_email
        else None
    )
    is_spam = customer_email is not None and spam.is_blocked(session, brand.id, customer_email)
    # Checked before the ticket number is taken: on PostgreSQL that happens outside the
    # request's transaction, and a refusal after it would leave a gap in the numbers.
    resolved_watchers = watchers.resolve_watchers(session, brand.account_id, data.watchers or [])
    uploads = attachments.pending_uploads(session, brand.id, data.attachment_ids or [])
    now = clock.now()
    ticket = Ticket(
        id=new_id("tkt"),
        account_id=brand.account_id,
        brand_id=brand.id,
        ticket_number=brands_repository.allocate_ticket_number(session, brand.id),
        title=data.title,
        body=data.body,
        status_id=status.id,
        close_reason=data.close_reason,
        priority=data.priority or DEFAULT_PRIORITY,
        source=data.source,
        source_id=data.source_id,
        source_data=data.source_data,
        assignee_id=assignment.member_id,
        assignee_email=assignment.email,
        created_by=actor.label,
        customer_id=contact.id if contact else None,
        customer_email=customer_email,
        customer_name=customer_name or (contact.name if contact else None),
        category_id=category.id if category else None,
        custom_fields=custom_fields,
        metadata_=data.metadata or {},
        links=data.links or [],
        comment_count=0,
        attachment_count=0,
        due_at=data.due_at,
        is_spam=is_spam,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    if tags:
        tags_service.set_ticket_tags(session, actor, brand, ticket, tags)
    keep_counts(session, brand.id, NOT_COUNTED, Counted.of(ticket))
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event="ticket.created",
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        metadata={
            "ticketNumber": ticket.ticket_number,
            "status": status.key,
            **({"spam": "sender is blocked"} if is_spam else {}),
        },
    )
    # A ticket created without tags has none: no need to ask.
    created = rendering.render_one(session, brand, ticket, status, None if tags else [])
    events.emit(
        session,
        "ticket.created",
        brand.id,
        rendering.created_payload(rendering.wire(created)),
        ticket_id=ticket.id,
        sequence=ticket.version,
    )
    # Watchers and attachments come after the ticket's own event, each with theirs.
    if data.watchers:
        watchers.add_watchers(session, actor, brand, ticket, data.watchers, resolved_watchers)
    if uploads:
        attachments.attach_pending(session, actor, brand, ticket, uploads)
    # A contact who turned email off (`notifyEmail: false`) gets no notice either.
    if data.notify_customer and contact is not None and contact.notify_email and not is_spam:
        _request_customer_notice(session, brand, ticket, created)
    if data.watchers or data.attachment_ids:
        return rendering.render_one(session, brand, ticket, status)
    return created


def _request_customer_notice(
    session: Session, brand: Brand, ticket: Ticket, created: TicketOut
) -> None:
    """`notifyCustomer`: ask for the "ticket created" email (the email channel sends it)."""
    events.emit(
        session,
        "notification.requested",
        brand.id,
        {
            "channel": "email",
            "recipient": ticket.customer_email,
            "reason": "ticket_created",
            "ticketId": ticket.id,
            "ticketNumber": created.public_id,
            "ticketTitle": ticket.title,
        },
        ticket_id=ticket.id,
        sequence=ticket.version,
    )


def _load(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, *, for_update: bool = False
) -> Ticket:
    return load_ticket(session, actor, brand, ticket_id, for_update=for_update)


def get_ticket(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> TicketOut:
    return rendering.render_one(session, brand, _load(session, actor, brand, ticket_id))


def _tag_change(
    session: Session, actor: Actor, brand: Brand, ticket: Ticket, names: list[str] | None
) -> dict[str, tuple[Any, Any]]:
    """Make the ticket's tags exactly `names` (None clears them); the change, by name."""
    before = sorted(t.name for t in tags_service.tags_for_tickets(session, [ticket.id])[ticket.id])
    wanted = tags_service.resolve_names(session, actor, brand, names) if names else []
    added, removed = tags_service.set_ticket_tags(session, actor, brand, ticket, wanted)
    if not added and not removed:
        return {}
    return {"tags": (before, sorted(t.name for t in wanted))}


def update_ticket(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket_id: str,
    data: TicketChanges,
    *,
    trigger: Trigger | None = None,
    expected_version: int | None = None,
) -> TicketOut:
    """Apply `data`. With `expected_version` (the dashboard's forms send the version they
    were rendered from) a ticket changed meanwhile is refused (409 `version_conflict`)
    rather than overwritten; checked on the locked row, so two saves cannot both pass."""
    policy.require_staff(actor, "edit tickets")
    ticket = _load(session, actor, brand, ticket_id, for_update=True)
    if expected_version is not None and ticket.version != expected_version:
        raise VersionConflict(expected_version, ticket.version)
    given = data.model_fields_set
    new_status = _named_status(session, brand, data.status, data.status_id)
    values: dict[str, Any] = {
        name: getattr(data, name)
        for name in ("title", "priority", "body", "due_at", "is_spam")
        if name in given
    }
    if "links" in given:
        values["links"] = data.links or []
    if "close_reason" in given:
        _check_close_reason(new_status or _status_of(session, brand, ticket), data.close_reason)
        values["close_reason"] = data.close_reason
    if "custom_fields" in given:
        _requester_email(data.custom_fields)
        values["custom_fields"] = custom_values.validate_values(
            session,
            brand.id,
            "ticket",
            data.custom_fields or {},
            current=ticket.custom_fields,
            schema=brand.ticket_schema,
        )
    if "metadata" in given:
        values["metadata"] = merge_map(ticket.metadata_, data.metadata)
    if given & {"category_id", "category_key"}:
        category = categories.resolve_category(
            session, brand, category_id=data.category_id, category_key=data.category_key
        )
        values["category_id"] = category.id if category else None
    assignment = _assignment(session, brand.account_id, data)
    if assignment is not None:
        values["assignee_id"], values["assignee_email"] = assignment.member_id, assignment.email
    tag_change = _tag_change(session, actor, brand, ticket, data.tags) if "tags" in given else {}

    applied = apply_changes(
        session,
        actor,
        brand,
        ticket,
        TicketChange(status=new_status, **values),
        applied_elsewhere=tag_change,
        trigger=trigger,
        activity_event=_activity_event(data),
    )
    if "isSpam" in applied.changes:
        spam.follow_ticket(session, actor, brand, ticket)
    return applied.ticket or rendering.render_one(session, brand, ticket)


def _status_of(session: Session, brand: Brand, ticket: Ticket) -> TicketStatus:
    return statuses.by_id(session, brand.id)[ticket.status_id]


def _activity_event(data: TicketChanges) -> str:
    if data.model_fields_set == {"is_spam"}:
        return "ticket.spam_marked" if data.is_spam else "ticket.spam_unmarked"
    return "ticket.updated"


def set_spam(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, is_spam: bool
) -> TicketOut:
    """Mark (or unmark) a ticket as spam: it leaves (or rejoins) normal lists and counts,
    and its sender is blocked (or unblocked) for later tickets."""
    return update_ticket(
        session, actor, brand, ticket_id, TicketChanges(is_spam=is_spam), trigger=Trigger.SPAM
    )


def delete_ticket(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> TicketOut:
    policy.require_staff(actor, "delete tickets")
    ticket = _load(session, actor, brand, ticket_id, for_update=True)
    status = statuses.by_id(session, brand.id)[ticket.status_id]
    keep_counts(session, brand.id, Counted.of(ticket), NOT_COUNTED)
    now = clock.now()
    ticket.deleted_at = now
    ticket.deleted_by = actor.performed_by()
    ticket.new_version(now)
    session.flush()
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event="ticket.deleted",
        entity_type="ticket",
        entity_id=ticket.id,
        ticket_id=ticket.id,
    )
    out = rendering.render_one(session, brand, ticket, status)
    snapshot = rendering.wire(out)
    events.emit(
        session,
        "ticket.deleted",
        brand.id,
        {**rendering.updated_payload(snapshot, {}), "deletedAt": snapshot["deletedAt"]},
        ticket_id=ticket.id,
        sequence=ticket.version,
    )
    return out


@dataclass(frozen=True, slots=True)
class TicketQuery:
    status: str | None = None
    status_id: str | None = None
    priority: str | None = None
    assignee_id: str | None = None
    assignee_email: str | None = None
    created_by: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    company_id: str | None = None
    category_id: str | None = None
    tag_ids: str | None = None
    has_attachments: bool | None = None
    is_spam: bool = False
    source: str | None = None
    sort: str = "createdAt"
    order: str = "desc"
    cursor: str | None = None
    limit: int = 25


def _status_filter(session: Session, brand: Brand, q: TicketQuery) -> list[str] | None:
    if q.status is None and q.status_id is None:
        return None
    brand_statuses = statuses.list_for_brand(session, brand.id)
    ids: set[str] = set()
    if q.status_id is not None:
        known = {s.id for s in brand_statuses}
        for status_id in _split(q.status_id):
            if status_id not in known:
                raise ValidationFailed("statusId", f"Unknown status id {status_id!r}")
            ids.add(status_id)
    if q.status is not None:
        by_key = {s.key: s for s in brand_statuses}
        for part in _split(q.status):
            if part == "active":
                ids.update(s.id for s in brand_statuses if s.is_active)
            elif part == "inactive":
                ids.update(s.id for s in brand_statuses if not s.is_active)
            elif part in by_key:
                ids.add(by_key[part].id)
            else:
                raise ValidationFailed("status", f"Unknown status {part!r} in this brand")
    return sorted(ids)


def _status_filter_across(
    session: Session, brands: Sequence[Brand], q: TicketQuery
) -> list[str] | None:
    """The status ids a filter names in any of `brands`: a custom key one brand lacks
    matches nothing there; refused only when no brand knows it (always, for one brand)."""
    if q.status is None and q.status_id is None:
        return None
    found: list[str] = []
    refusal: ValidationFailed | None = None
    for brand in brands:
        try:
            found.extend(_status_filter(session, brand, q) or [])
        except ValidationFailed as error:
            refusal = error
    if not found and refusal is not None:
        raise refusal
    return sorted(found)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def list_tickets(
    session: Session, actor: Actor, brand: Brand, q: TicketQuery
) -> tuple[list[TicketOut], str | None]:
    return _list(session, actor, [brand], q, scope=brand.id)


def list_account_tickets(
    session: Session, actor: Actor, q: TicketQuery, *, brand_ids: Collection[str] | None = None
) -> tuple[list[TicketOut], str | None]:
    """The cross-brand queue (`GET /tickets` of the reference): the same filters, sorts and
    cursors over every brand the actor reaches (among `brand_ids` when given). The status
    filter takes keys, `active` and `inactive`; ids of one brand's categories, tags and
    statuses match only that brand's tickets."""
    policy.require_staff(actor, "list tickets across brands")
    reach = brands_repository.list_brands(session, actor.account_id, actor.brand_ids)
    brands = [b for b in reach if brand_ids is None or b.id in brand_ids]
    if not brands:
        return [], None
    return _list(session, actor, brands, q, scope=actor.account_id)


def _list(
    session: Session, actor: Actor, brands: Sequence[Brand], q: TicketQuery, *, scope: str
) -> tuple[list[TicketOut], str | None]:
    descending = q.order == "desc"
    key = repository.SORT_KEYS[q.sort]
    query = f"{scope}/tickets:{q.sort}:{q.order}"
    cursor = None
    if q.cursor:
        cursor = Cursor.decode(q.cursor, query=query, datetime_value=key.datetime_value)
    priorities = _split(q.priority) if q.priority else None
    if priorities:
        unknown = [p for p in priorities if p not in RANKS]
        if unknown:
            raise ValidationFailed("priority", f"Unknown priority {unknown[0]!r}")
    # A customer lists their own tickets only (another contact's filter finds none).
    customer_id = q.customer_id
    scope_id = policy.requester_scope(actor)
    if scope_id is not None:
        if customer_id not in (None, scope_id):
            return [], None
        customer_id = scope_id
    f = repository.TicketFilter(
        status_ids=_status_filter_across(session, brands, q),
        priorities=priorities,
        assignee_id=q.assignee_id,
        assignee_email=q.assignee_email,
        created_by=q.created_by,
        created_after=q.created_after,
        created_before=q.created_before,
        search=q.search,
        customer_id=customer_id,
        customer_email=q.customer_email,
        company_id=q.company_id,
        category_id=q.category_id,
        tag_ids=_split(q.tag_ids) if q.tag_ids else None,
        has_attachments=q.has_attachments,
        is_spam=q.is_spam,
        source=q.source,
    )
    rows = repository.list_tickets(
        session,
        [b.id for b in brands],
        f,
        sort=q.sort,
        descending=descending,
        cursor=cursor,
        limit=q.limit,
    )
    by_brand = {b.id: statuses.by_id(session, b.id) for b in brands}

    def cursor_after(last: Ticket) -> Cursor:
        order = by_brand[last.brand_id][last.status_id].sort_order
        return Cursor(query=query, value=repository.sort_value(last, q.sort, order), id=last.id)

    page, next_cursor = split_page(rows, q.limit, cursor_after)
    return _render_page(session, brands, page, by_brand), next_cursor


def _render_page(
    session: Session,
    brands: Sequence[Brand],
    page: Sequence[Ticket],
    by_brand: dict[str, dict[str, TicketStatus]],
) -> list[TicketOut]:
    """Render a page brand by brand (a few queries per brand, whatever the rows), in the
    page's order."""
    groups: dict[str, list[Ticket]] = defaultdict(list)
    for ticket in page:
        groups[ticket.brand_id].append(ticket)
    rendered: dict[str, TicketOut] = {}
    for brand in brands:
        if brand.id in groups:
            for out in rendering.render(session, brand, groups[brand.id], by_brand[brand.id]):
                rendered[out.id] = out
    return [rendered[ticket.id] for ticket in page]


@dataclass(frozen=True, slots=True)
class TicketLabel:
    """How a list that names tickets by id shows one: `ACME-1042` and its title."""

    public_id: str
    title: str
    deleted: bool


def labels(
    session: Session, actor: Actor, brand: Brand, ticket_ids: Collection[str]
) -> dict[str, TicketLabel]:
    """The labels of these tickets of the brand, by id (unknown ids are left out)."""
    policy.require_staff(actor, "list tickets by id")
    found = repository.numbers_and_titles(session, brand.id, ticket_ids)
    return {
        ticket_id: TicketLabel(brand.public_id(number), title, deleted)
        for ticket_id, (number, title, deleted) in found.items()
    }


def history(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, *, cursor: str | None, limit: int
) -> tuple[list[AuditLog], str | None]:
    ticket = _load(session, actor, brand, ticket_id)
    return audit.ticket_history(session, ticket.id, cursor=cursor, limit=limit)
