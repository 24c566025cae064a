"""Statuses & workflows: the four system statuses, custom ones between them, the order
they are shown in, their ticket counts, and deletion with a replacement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dispatch.audit.changes import record_change
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor, require_settings_manager
from dispatch.core.errors import ValidationFailed
from dispatch.core.ids import new_id
from dispatch.statuses import counts, repository, rules
from dispatch.statuses.errors import (
    InvalidStatusOrder,
    ReplacementRequired,
    StatusKeyImmutable,
    StatusKeyTaken,
    StatusNameTaken,
    SystemStatusImmutable,
)
from dispatch.statuses.loading import get_status, resolve
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.schemas import NewStatus, StatusChanges, StatusOut, StatusStats
from dispatch.tickets import repository as tickets_repository
from dispatch.tickets.workflow import TicketChange, Trigger, apply_changes

REASSIGN_BATCH = 500


def seed_system_statuses(session: Session, brand: Brand) -> list[TicketStatus]:
    now = clock.now()
    seeded = [
        TicketStatus(
            id=new_id("sts"),
            brand_id=brand.id,
            key=key,
            name=name,
            color=color,
            description=description,
            is_system=True,
            sort_order=index,
            created_at=now,
            updated_at=now,
        )
        for index, (key, name, color, description) in enumerate(rules.SYSTEM_STATUSES)
    ]
    session.add_all(seeded)
    session.flush()
    repository.forget_statuses(session, brand.id)
    return seeded


def count_custom_statuses(session: Session, brand_id: str) -> int:
    return repository.count_custom(session, brand_id)


def _placed(statuses: list[TicketStatus]) -> list[rules.Placed]:
    return [rules.Placed(s.id, s.key, s.is_system) for s in statuses]


def _renumber(
    statuses: list[TicketStatus], order: list[rules.Placed], now: datetime | None = None
) -> None:
    by_id = {s.id: s for s in statuses}
    now = now or clock.now()
    for index, placed in enumerate(order):
        status = by_id[placed.id]
        if status.sort_order != index:
            status.sort_order = index
            status.updated_at = now


def _record(
    session: Session,
    actor: Actor,
    status: TicketStatus,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    record_change(
        session,
        actor,
        event,
        brand_id=status.brand_id,
        entity_type="status",
        entity_id=status.id,
        data=StatusOut.model_validate(status).model_dump(mode="json", by_alias=True),
        changes=changes,
        extra=extra,
        metadata=extra,
    )


def create_status(session: Session, actor: Actor, brand: Brand, data: NewStatus) -> TicketStatus:
    require_settings_manager(actor, "create statuses")
    if repository.get_status_by_key(session, brand.id, data.key) is not None:
        raise StatusKeyTaken(data.key)
    if repository.name_taken(session, brand.id, data.name):
        raise StatusNameTaken(data.name)
    current = repository.list_statuses(session, brand.id)
    now = clock.now()
    status = TicketStatus(
        id=new_id("sts"),
        brand_id=brand.id,
        key=data.key,
        name=data.name,
        color=data.color,
        description=data.description,
        is_system=False,
        sort_order=len(current),
        created_at=now,
        updated_at=now,
    )
    placed = _placed(current)
    index = data.sort_order if data.sort_order is not None else rules.insertion_index(placed)
    try:
        order = rules.move([*placed, rules.Placed(status.id, status.key, False)], status.id, index)
    except rules.OrderViolation as exc:
        raise InvalidStatusOrder(str(exc), field="sortOrder") from exc
    session.add(status)
    _renumber([*current, status], order, now)
    session.flush()
    repository.forget_statuses(session, brand.id)
    _record(session, actor, status, "status.created")
    return status


def update_status(
    session: Session, actor: Actor, brand: Brand, status_id: str, data: StatusChanges
) -> TicketStatus:
    require_settings_manager(actor, "change statuses")
    status = get_status(session, brand, status_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("key") is not None and fields["key"] != status.key:
        raise StatusKeyImmutable()
    if fields.get("is_active") is not None and fields["is_active"] != status.is_active:
        raise ValidationFailed(
            "isActive",
            "isActive follows the status: open, pending and custom statuses are active; "
            "resolved and closed are not",
            code="status_activity_fixed",
        )
    if fields.get("name") and repository.name_taken(
        session, brand.id, fields["name"], except_id=status.id
    ):
        raise StatusNameTaken(fields["name"])

    changes: dict[str, tuple[Any, Any]] = {}
    for field in ("name", "color", "description"):
        if field not in fields:
            continue
        value = fields[field]
        if field == "color" and value is None:
            # Clearing the colour restores the default: the seed colour of a system status.
            value = rules.default_color(status.key, is_system=status.is_system)
        if value != getattr(status, field):
            changes[field] = (getattr(status, field), value)
            setattr(status, field, value)
    if fields.get("sort_order") is not None and fields["sort_order"] != status.sort_order:
        current = repository.list_statuses(session, brand.id)
        try:
            order = rules.move(_placed(current), status.id, fields["sort_order"])
        except rules.OrderViolation as exc:
            raise InvalidStatusOrder(str(exc), field="sortOrder") from exc
        old = status.sort_order
        _renumber(current, order)
        changes["sortOrder"] = (old, status.sort_order)
    if changes:
        status.updated_at = clock.now()
        session.flush()
        repository.forget_statuses(session, status.brand_id)
        _record(session, actor, status, "status.updated", changes)
    return status


def reorder(
    session: Session, actor: Actor, brand: Brand, status_ids: list[str]
) -> list[TicketStatus]:
    require_settings_manager(actor, "reorder statuses")
    current = repository.list_statuses(session, brand.id)
    known = {s.id for s in current}
    unknown = [i for i in status_ids if i not in known]
    if unknown:
        raise ValidationFailed(
            "statusIds", f"Unknown status ids in this brand: {', '.join(unknown)}"
        )
    try:
        order = rules.reorder(_placed(current), status_ids)
    except rules.OrderViolation as exc:
        raise InvalidStatusOrder(str(exc)) from exc
    before = {s.id: s.sort_order for s in current}
    _renumber(current, order)
    session.flush()
    repository.forget_statuses(session, brand.id)
    for status in current:
        if before[status.id] != status.sort_order:
            _record(
                session,
                actor,
                status,
                "status.updated",
                {"sortOrder": (before[status.id], status.sort_order)},
            )
    return sorted(current, key=lambda s: s.sort_order)


def stats(session: Session, brand: Brand) -> list[StatusStats]:
    totals = counts.read(session, brand.id)
    result = []
    for status in repository.list_statuses(session, brand.id):
        count = totals.get(status.id, 0)
        out = StatusOut.model_validate(status)
        result.append(
            StatusStats(
                **out.model_dump(),
                ticket_count=count,
                status_id=status.id,
                status_name=status.name,
                count=count,
            )
        )
    return result


def delete_status(
    session: Session,
    actor: Actor,
    brand: Brand,
    status_id: str,
    *,
    replacement_id: str | None,
    replacement_key: str | None,
) -> tuple[TicketStatus, TicketStatus | None, int]:
    """Delete a custom status for good, moving its tickets to the replacement first.

    Returns the deleted status, the replacement and how many live tickets moved.
    """
    require_settings_manager(actor, "delete statuses")
    if replacement_id is not None and replacement_key is not None:
        raise ValidationFailed(
            "replacementStatusKey", "Give replacementStatusId or replacementStatusKey, not both"
        )
    status = get_status(session, brand, status_id)
    if status.is_system:
        raise SystemStatusImmutable(
            f"{status.name!r} is a system status: it can be renamed and recolored, not deleted"
        )
    replacement = None
    if replacement_id is not None or replacement_key is not None:
        replacement = _replacement(session, brand, status, replacement_id, replacement_key)
    elif tickets_repository.has_tickets_with_status(session, status.id, live_only=True):
        raise ReplacementRequired(status.key)

    moved = _move_tickets(session, actor, brand, status, replacement)
    counts.forget(session, status.id)
    _record(
        session,
        actor,
        status,
        "status.deleted",
        extra={
            "replacementStatusId": replacement.id if replacement else None,
            "movedTicketCount": moved,
        },
    )
    remaining = [s for s in repository.list_statuses(session, brand.id) if s.id != status.id]
    repository.delete_status(session, status)
    _renumber(remaining, _placed(remaining))
    session.flush()
    repository.forget_statuses(session, brand.id)
    return status, replacement, moved


def _replacement(
    session: Session, brand: Brand, status: TicketStatus, by_id: str | None, by_key: str | None
) -> TicketStatus:
    field = "replacementStatusId" if by_id is not None else "replacementStatusKey"
    found = (
        repository.get_status(session, brand.id, by_id)
        if by_id is not None
        else repository.get_status_by_key(session, brand.id, by_key or "")
    )
    if found is None:
        raise ValidationFailed(
            field, "Unknown replacement status in this brand", code="unknown_status"
        )
    if found.id == status.id:
        raise ValidationFailed(field, "A status cannot replace itself")
    return found


def _move_tickets(
    session: Session,
    actor: Actor,
    brand: Brand,
    status: TicketStatus,
    replacement: TicketStatus | None,
) -> int:
    """Every ticket leaves the status through the one ticket-change function: each gets
    its activity entry and its `ticket.updated` event. Deleted tickets (restorable) are
    moved too, to the replacement or, without one, to `open`."""
    fallback = replacement or resolve(session, brand.id, key="open")
    moved = 0
    while batch := tickets_repository.tickets_with_status(session, status.id, batch=REASSIGN_BATCH):
        for ticket in batch:
            if ticket.deleted_at is None:
                moved += 1
            apply_changes(
                session,
                actor,
                brand,
                ticket,
                TicketChange(status=fallback),
                trigger=Trigger.STATUS_DELETED,
                metadata={"deletedStatusId": status.id},
            )
    return moved
