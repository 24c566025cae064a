"""Categories: a brand's ticket categories, each with an immutable `key` integrations route
on (`ticket.category?.key === 'billing'`), their display order and their ticket counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slugify import slugify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.audit.changes import assign, record_change
from dispatch.brands.models import Brand
from dispatch.categories import repository
from dispatch.categories.errors import (
    CategoryKeyImmutable,
    CategoryKeyTaken,
    CategoryNameTaken,
)
from dispatch.categories.loading import get_category
from dispatch.categories.models import Category
from dispatch.categories.schemas import (
    KEY_MAX,
    CategoryChanges,
    CategoryCount,
    CategoryOut,
    CategoryStats,
    NewCategory,
)
from dispatch.core import clock, ordering
from dispatch.core.actor import Actor, require_settings_manager
from dispatch.core.errors import ValidationFailed
from dispatch.core.ids import new_id
from dispatch.tickets.workflow import TicketChange, Trigger, apply_changes

REASSIGN_BATCH = 500
FALLBACK_KEY = "category"
KEY_ATTEMPTS = 5


def derive_key(name: str) -> str:
    """A key from a name: "Billing & Payments" -> billing_payments (never empty)."""
    key = slugify(name, separator="_", max_length=KEY_MAX, replacements=[["'", ""], ["\u2019", ""]])
    return key or FALLBACK_KEY


def _with_suffix(base: str, number: int) -> str:
    suffix = f"_{number}"
    return base[: KEY_MAX - len(suffix)].rstrip("_") + suffix


def _free_key(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`... whichever is free first."""
    if base not in taken:
        return base
    number = 2
    while _with_suffix(base, number) in taken:
        number += 1
    return _with_suffix(base, number)


# --- Reads --------------------------------------------------------------------------------


def stats(session: Session, brand: Brand) -> list[CategoryStats]:
    """Ticket counts per category in display order (live, non-spam, non-merged tickets)."""
    return [
        CategoryStats(
            id=category.id,
            key=category.key,
            name=category.name,
            color=category.color,
            ticket_count=count,
        )
        for category, count in repository.with_ticket_counts(session, brand.id)
    ]


def stats_map(session: Session, brand: Brand) -> dict[str, CategoryCount]:
    """The SDK's shape of the stats: `{categoryId: {ticketCount}}`."""
    return {s.id: CategoryCount(ticket_count=s.ticket_count) for s in stats(session, brand)}


# --- Changes ------------------------------------------------------------------------------


def _record(
    session: Session,
    actor: Actor,
    category: Category,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    record_change(
        session,
        actor,
        event,
        brand_id=category.brand_id,
        entity_type="category",
        entity_id=category.id,
        data=CategoryOut.model_validate(category).model_dump(mode="json", by_alias=True),
        changes=changes,
        extra=extra,
        metadata=extra,
    )


def _name_taken(categories: Sequence[Category], name: str, *, except_id: str | None = None) -> bool:
    folded = name.casefold()
    return any(c.name.casefold() == folded and c.id != except_id for c in categories)


def _is_key_violation(error: IntegrityError) -> bool:
    return "uq_categories_live_key" in str(error.orig) or "categories.key" in str(error.orig)


def _insert(session: Session, category: Category, *, key_given: bool) -> None:
    """Insert; a key taken by a concurrent request since our check is a 409 when the
    caller chose it, and the next free suffix when we derived it."""
    for _attempt in range(KEY_ATTEMPTS):
        try:
            with session.begin_nested():
                session.add(category)
                session.flush()
            return
        except IntegrityError as error:
            if not _is_key_violation(error):
                raise
            if key_given:
                raise CategoryKeyTaken(category.key) from None
            taken = repository.live_keys(session, category.brand_id)
            category.key = _free_key(derive_key(category.name), taken)
    raise CategoryKeyTaken(category.key)


def create_category(session: Session, actor: Actor, brand: Brand, data: NewCategory) -> Category:
    require_settings_manager(actor, "create categories")
    current = repository.list_categories(session, brand.id)
    if _name_taken(current, data.name):
        raise CategoryNameTaken(data.name)
    keys = {c.key for c in current}
    if data.key is not None and data.key in keys:
        raise CategoryKeyTaken(data.key)
    key = data.key if data.key is not None else _free_key(derive_key(data.name), keys)
    now = clock.now()
    category = Category(
        id=new_id("cat"),
        brand_id=brand.id,
        key=key,
        name=data.name,
        color=data.color,
        description=data.description,
        sort_order=len(current),
        created_at=now,
        updated_at=now,
    )
    _insert(session, category, key_given=data.key is not None)
    if data.sort_order is not None:
        ordering.renumber(ordering.moved([*current, category], category, data.sort_order), now)
        session.flush()
    _record(session, actor, category, "category.created")
    return category


def update_category(
    session: Session, actor: Actor, brand: Brand, category_id: str, data: CategoryChanges
) -> Category:
    require_settings_manager(actor, "change categories")
    category = get_category(session, brand, category_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("key") is not None and fields["key"] != category.key:
        raise CategoryKeyImmutable()
    current = repository.list_categories(session, brand.id)
    if fields.get("name") and _name_taken(current, fields["name"], except_id=category.id):
        raise CategoryNameTaken(fields["name"])

    changes = assign(category, fields, ("name", "color", "description"))
    now = clock.now()
    if fields.get("sort_order") is not None and fields["sort_order"] != category.sort_order:
        old = category.sort_order
        ordering.renumber(ordering.moved(current, category, fields["sort_order"]), now)
        if category.sort_order != old:
            changes["sortOrder"] = (old, category.sort_order)
    if changes:
        category.updated_at = now
        session.flush()
        _record(session, actor, category, "category.updated", changes)
    return category


def reorder(
    session: Session, actor: Actor, brand: Brand, category_ids: list[str]
) -> list[Category]:
    """Put the listed categories, in the listed order, into the positions they hold now:
    a full list sets the whole order, a partial one permutes just its members."""
    require_settings_manager(actor, "reorder categories")
    current = repository.list_categories(session, brand.id)
    by_id = {c.id: c for c in current}
    unknown = [i for i in category_ids if i not in by_id]
    if unknown:
        raise ValidationFailed(
            "categoryIds",
            f"Unknown category ids in this brand: {', '.join(unknown)}",
            code="unknown_category",
        )
    requested = set(category_ids)
    positions = [i for i, c in enumerate(current) if c.id in requested]
    order = list(current)
    for position, category_id in zip(positions, category_ids, strict=True):
        order[position] = by_id[category_id]
    moves = ordering.renumber(order, clock.now())
    session.flush()
    for category in order:
        if category.id in moves:
            _record(session, actor, category, "category.updated", {"sortOrder": moves[category.id]})
    return order


def delete_category(
    session: Session, actor: Actor, brand: Brand, category_id: str
) -> tuple[Category, int]:
    """Soft-delete a category. Every ticket leaves it first through the one ticket-change
    function (an activity entry and a `ticket.updated` event each); returns the category
    and how many live tickets left it."""
    require_settings_manager(actor, "delete categories")
    category = get_category(session, brand, category_id)
    moved = _clear_tickets(session, actor, brand, category)
    now = clock.now()
    category.deleted_at = now
    category.updated_at = now
    remaining = [c for c in repository.list_categories(session, brand.id) if c.id != category.id]
    ordering.renumber(remaining, now)
    session.flush()
    _record(session, actor, category, "category.deleted", extra={"ticketCount": moved})
    return category, moved


def _clear_tickets(session: Session, actor: Actor, brand: Brand, category: Category) -> int:
    """Deleted tickets (restorable) leave the category too, but are not counted."""
    moved = 0
    while batch := repository.tickets_in_category(session, category.id, batch=REASSIGN_BATCH):
        for ticket in batch:
            if ticket.deleted_at is None:
                moved += 1
            apply_changes(
                session,
                actor,
                brand,
                ticket,
                TicketChange(category_id=None),
                trigger=Trigger.CATEGORY_DELETED,
                metadata={"deletedCategoryId": category.id},
            )
    return moved
