"""Ticket watchers: team members (or any address) told about new comments and status
changes of a ticket, per their flags. A watcher is identified by email."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.audit import service as audit
from dispatch.audit.changes import with_changes
from dispatch.brands.models import Brand
from dispatch.core import clock, events
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.models import Ticket
from dispatch.tickets.policy import require_staff
from dispatch.watchers import repository
from dispatch.watchers.errors import UnknownMember, WatcherExists
from dispatch.watchers.models import TicketWatcher
from dispatch.watchers.schemas import NewWatcher, WatcherChanges, WatcherOut


def _added_by(performed_by: dict[str, Any] | None) -> str | None:
    if not performed_by:
        return None
    for key in ("userId", "email", "name", "apiKeyPrefix"):
        if performed_by.get(key):
            return str(performed_by[key])
    return None


def watcher_out(watcher: TicketWatcher) -> WatcherOut:
    return WatcherOut(
        id=watcher.id,
        ticket_id=watcher.ticket_id,
        member_id=watcher.member_id,
        member_email=watcher.member_email,
        member_name=watcher.member_name,
        added_by=_added_by(watcher.added_by),
        added_at=watcher.added_at,
        notify_on_comment=watcher.notify_on_comment,
        notify_on_status_change=watcher.notify_on_status_change,
    )


def _watcher(session: Session, brand: Brand, ticket: Ticket, ref: str) -> TicketWatcher:
    watcher = repository.find(session, brand.id, ticket.id, ref)
    if watcher is None:
        raise NotFound("watcher", ref)
    return watcher


def _record(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    watcher: TicketWatcher,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    data = with_changes(watcher_out(watcher).model_dump(mode="json", by_alias=True), changes)
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event=event,
        entity_type="watcher",
        entity_id=watcher.id,
        ticket_id=ticket.id,
        changes=changes,
        metadata={"memberEmail": watcher.member_email, "memberId": watcher.member_id},
    )
    events.emit(session, event, brand.id, data, ticket_id=ticket.id)


# Who a watcher spec names: (member id, email, name).
Resolved = tuple[str | None, str, str | None]


def _resolve(session: Session, account_id: str, spec: NewWatcher, field: str) -> Resolved:
    """(member id, email, name) of the watcher a spec names."""
    if spec.member_id is not None:
        member = accounts.find_member(session, account_id, member_id=spec.member_id)
        if member is None:
            raise UnknownMember(f"{field}memberId", spec.member_id)
        if spec.member_email is not None and spec.member_email.lower() != member.email:
            raise ValidationFailed(
                f"{field}memberEmail", "memberEmail is not the email of the team member memberId"
            )
        return member.id, member.email, spec.member_name or member.name
    email = (spec.member_email or "").lower()
    member = accounts.find_member(session, account_id, email=email)
    name = spec.member_name or (member.name if member else None)
    return (member.id if member else None), email, name


def _add(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    spec: NewWatcher,
    member: tuple[str | None, str, str | None],
) -> TicketWatcher:
    member_id, email, name = member
    watcher = repository.add(
        session,
        TicketWatcher(
            id=new_id("wch"),
            brand_id=brand.id,
            ticket_id=ticket.id,
            member_email=email,
            member_id=member_id,
            member_name=name,
            added_by=actor.performed_by(),
            notify_on_comment=spec.notify_on_comment,
            notify_on_status_change=spec.notify_on_status_change,
            added_at=clock.now(),
        ),
    )
    _record(session, actor, brand, ticket, watcher, "watcher.created")
    return watcher


def list_watchers(
    session: Session, actor: Actor, brand: Brand, ticket_id: str
) -> list[TicketWatcher]:
    require_staff(actor, "see watchers")
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=False)
    return repository.list_watchers(session, brand.id, ticket.id)


def add_watcher(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, spec: NewWatcher
) -> TicketWatcher:
    """Add one watcher (409 `watcher_exists` if that email already watches)."""
    require_staff(actor, "add watchers")
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=True)
    member = _resolve(session, brand.account_id, spec, "")
    if member[1] in repository.emails(session, brand.id, ticket.id):
        raise WatcherExists(member[1])
    return _add(session, actor, brand, ticket, spec, member)


def resolve_watchers(
    session: Session, account_id: str, specs: Sequence[NewWatcher]
) -> list[Resolved]:
    """(member id, email, name) of each watcher `specs` names; an unknown memberId is a
    422 naming `watchers.<index>.memberId`."""
    return [
        _resolve(session, account_id, spec, f"watchers.{index}.")
        for index, spec in enumerate(specs)
    ]


def add_watchers(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    specs: Sequence[NewWatcher],
    resolved: list[Resolved] | None = None,
) -> list[TicketWatcher]:
    """Add the watchers of a ticket being created or changed (a loaded ticket of the
    brand); addresses that already watch, or repeat in `specs`, are skipped. Returns the
    watchers added. `resolved`: `resolve_watchers(specs)`, when the caller checked them
    first."""
    if resolved is None:
        resolved = resolve_watchers(session, brand.account_id, specs)
    seen = repository.emails(session, brand.id, ticket.id)
    added = []
    for spec, member in zip(specs, resolved, strict=True):
        if member[1] in seen:
            continue
        seen.add(member[1])
        added.append(_add(session, actor, brand, ticket, spec, member))
    return added


def update_watcher(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, ref: str, data: WatcherChanges
) -> TicketWatcher:
    require_staff(actor, "change watchers")
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=True)
    watcher = _watcher(session, brand, ticket, ref)
    changes: dict[str, tuple[Any, Any]] = {}
    for field, wire in (
        ("notify_on_comment", "notifyOnComment"),
        ("notify_on_status_change", "notifyOnStatusChange"),
    ):
        value = getattr(data, field)
        if field in data.model_fields_set and value != getattr(watcher, field):
            changes[wire] = (getattr(watcher, field), value)
            setattr(watcher, field, value)
    if changes:
        session.flush()
        _record(session, actor, brand, ticket, watcher, "watcher.updated", changes)
    return watcher


def remove_watcher(session: Session, actor: Actor, brand: Brand, ticket_id: str, ref: str) -> None:
    require_staff(actor, "remove watchers")
    ticket = load_ticket(session, actor, brand, ticket_id, for_update=True)
    watcher = _watcher(session, brand, ticket, ref)
    _record(session, actor, brand, ticket, watcher, "watcher.deleted")
    repository.remove(session, watcher)
