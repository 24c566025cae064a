"""Tags: a brand's ticket labels (unique by name without regard to case), their ticket
counts, merging, and the links between tickets and tags.

Tickets name tags by name (`resolve_names` finds or creates them) and the ticket service
sets a ticket's tags through `set_ticket_tags`, which writes the activity entries of each
link; the ticket change itself carries the `ticket.updated` event."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.audit.changes import record_change
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor, require_settings_manager
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.tags import repository
from dispatch.tags.errors import InvalidTagMerge, TagExists
from dispatch.tags.models import Tag
from dispatch.tags.schemas import (
    NewTag,
    TagChanges,
    TagOut,
    TagStats,
    clean_name,
    color_or_default,
    normalize,
)
from dispatch.tickets.models import Ticket

RELINK_BATCH = 500
MAX_NAMES = 100
ADDED = "tag.added_to_ticket"
REMOVED = "tag.removed_from_ticket"


# --- Reads --------------------------------------------------------------------------------


def list_tags(session: Session, brand_id: str) -> list[Tag]:
    return repository.list_tags(session, brand_id)


def get_tag(session: Session, brand: Brand, tag_id: str) -> Tag:
    tag = repository.get_tag(session, brand.id, tag_id)
    if tag is None:
        raise NotFound("tag", tag_id)
    return tag


def stats(session: Session, brand: Brand) -> list[TagStats]:
    """Ticket counts per tag, by name (live, non-spam, non-merged tickets)."""
    return [
        TagStats(id=tag.id, name=tag.name, color=tag.color, ticket_count=count)
        for tag, count in repository.with_ticket_counts(session, brand.id)
    ]


def tags_for_tickets(session: Session, ticket_ids: Collection[str]) -> dict[str, list[Tag]]:
    """The live tags of each ticket, by name, in one query; every id gets a list."""
    found: dict[str, list[Tag]] = {ticket_id: [] for ticket_id in ticket_ids}
    if found:
        for ticket_id, tag in repository.tags_of_tickets(session, list(found)):
            found[ticket_id].append(tag)
    return found


# --- Tags ---------------------------------------------------------------------------------


def _record(
    session: Session,
    actor: Actor,
    tag: Tag,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    record_change(
        session,
        actor,
        event,
        brand_id=tag.brand_id,
        entity_type="tag",
        entity_id=tag.id,
        data=TagOut.model_validate(tag).model_dump(mode="json", by_alias=True),
        changes=changes,
        extra=extra,
        metadata=extra,
    )


def _is_name_violation(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_tags_live_name" in text or "tags.normalized_name" in text


def _new_tag(brand: Brand, name: str, color: str | None) -> Tag:
    now = clock.now()
    return Tag(
        id=new_id("tag"),
        brand_id=brand.id,
        name=name,
        normalized_name=normalize(name),
        color=color_or_default(color),
        created_at=now,
        updated_at=now,
    )


def _insert(session: Session, tag: Tag) -> bool:
    """Insert; False when a concurrent request took the name since we looked."""
    try:
        with session.begin_nested():
            session.add(tag)
            session.flush()
    except IntegrityError as error:
        if not _is_name_violation(error):
            raise
        return False
    return True


def create_tag(session: Session, actor: Actor, brand: Brand, data: NewTag) -> Tag:
    if repository.name_taken(session, brand.id, normalize(data.name)):
        raise TagExists(data.name)
    tag = _new_tag(brand, data.name, data.color)
    if not _insert(session, tag):
        raise TagExists(data.name)
    _record(session, actor, tag, "tag.created")
    return tag


def update_tag(session: Session, actor: Actor, brand: Brand, tag_id: str, data: TagChanges) -> Tag:
    require_settings_manager(actor, "change tags")
    tag = get_tag(session, brand, tag_id)
    fields = data.model_dump(exclude_unset=True)
    changes: dict[str, tuple[Any, Any]] = {}
    name = fields.get("name")
    if name is not None and name != tag.name:
        if repository.name_taken(session, brand.id, normalize(name), except_id=tag.id):
            raise TagExists(name)
        changes["name"] = (tag.name, name)
        tag.name, tag.normalized_name = name, normalize(name)
    # Clearing the color restores the default, as for statuses.
    color = color_or_default(fields["color"]) if "color" in fields else tag.color
    if color != tag.color:
        changes["color"] = (tag.color, color)
        tag.color = color
    if not changes:
        return tag
    tag.updated_at = clock.now()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        # Another request took the name between our check and this write.
        if "name" in changes and _is_name_violation(error):
            raise TagExists(changes["name"][1]) from None
        raise
    _record(session, actor, tag, "tag.updated", changes)
    return tag


def delete_tag(session: Session, actor: Actor, brand: Brand, tag_id: str) -> Tag:
    """Soft-delete a tag, first taking it off every ticket (an activity entry each)."""
    require_settings_manager(actor, "delete tags")
    tag = get_tag(session, brand, tag_id)
    unlinked = _unlink_everywhere(session, actor, brand, [tag], target=None)
    _soft_delete(tag)
    session.flush()
    _record(session, actor, tag, "tag.deleted", extra={"ticketCount": unlinked})
    return tag


def _soft_delete(tag: Tag) -> None:
    now = clock.now()
    tag.deleted_at = now
    tag.updated_at = now


def merge_tags(
    session: Session,
    actor: Actor,
    brand: Brand,
    target_tag_id: str,
    source_tag_ids: Sequence[str],
    *,
    target_field: str | None = "targetTagId",
) -> Tag:
    """Move every ticket of the source tags to the target (no ticket gets it twice) and
    soft-delete the sources. `target_field` names the body field that gave the target;
    None when the path did (then an unknown target is a 404, not a 422)."""
    require_settings_manager(actor, "merge tags")
    if target_field is None:
        target = get_tag(session, brand, target_tag_id)
    else:
        found = repository.get_tag(session, brand.id, target_tag_id)
        if found is None:
            raise InvalidTagMerge(target_field, f"Unknown tag {target_tag_id!r} in this brand")
        target = found
    if target.id in source_tag_ids:
        raise InvalidTagMerge("sourceTagIds", "A tag cannot be merged into itself")
    sources = repository.get_tags(session, brand.id, source_tag_ids)
    unknown = sorted(set(source_tag_ids) - {t.id for t in sources})
    if unknown:
        raise InvalidTagMerge("sourceTagIds", f"Unknown tags in this brand: {', '.join(unknown)}")
    sources.sort(key=lambda t: source_tag_ids.index(t.id))

    moved = _unlink_everywhere(session, actor, brand, sources, target=target)
    for source in sources:
        _soft_delete(source)
    target.updated_at = clock.now()
    session.flush()
    for source in sources:
        _record(session, actor, source, "tag.deleted", extra={"mergedIntoTagId": target.id})
    _record(
        session,
        actor,
        target,
        "tag.merged",
        extra={"sourceTagIds": [s.id for s in sources], "ticketCount": moved},
    )
    return target


def _unlink_everywhere(
    session: Session, actor: Actor, brand: Brand, tags: list[Tag], *, target: Tag | None
) -> int:
    """Take `tags` off every ticket that has them, adding `target` where it is missing,
    batch by batch (ticket rows locked); returns how many tickets changed."""
    by_id = {t.id: t for t in tags}
    changed = 0
    while ticket_ids := repository.tickets_with_tags(session, list(by_id), batch=RELINK_BATCH):
        watched = [*by_id, *([target.id] if target else [])]
        linked = repository.linked_pairs(session, ticket_ids, watched)
        now = clock.now()
        added = []
        for ticket_id in ticket_ids:
            for tag_id, tag in by_id.items():
                if (ticket_id, tag_id) in linked:
                    _link_entry(session, actor, brand.id, ticket_id, tag, REMOVED, target)
            if target is not None and (ticket_id, target.id) not in linked:
                added.append((ticket_id, target.id))
                _link_entry(session, actor, brand.id, ticket_id, target, ADDED, None, tags)
        repository.remove_links(session, ticket_ids, list(by_id))
        repository.add_links(session, brand.id, added, now)
        changed += len(ticket_ids)
    return changed


def _link_entry(
    session: Session,
    actor: Actor,
    brand_id: str,
    ticket_id: str,
    tag: Tag,
    event: str,
    merged_into: Tag | None = None,
    merged_from: list[Tag] | None = None,
) -> None:
    metadata: dict[str, Any] = {"tagName": tag.name}
    if merged_into is not None:
        metadata["mergedIntoTagId"] = merged_into.id
    if merged_from:
        metadata["mergedFromTagIds"] = [t.id for t in merged_from]
    audit.record(
        session,
        actor,
        brand_id=brand_id,
        event=event,
        entity_type="tag",
        entity_id=tag.id,
        ticket_id=ticket_id,
        metadata=metadata,
    )


# --- Tickets name tags --------------------------------------------------------------------


def resolve_names(session: Session, actor: Actor, brand: Brand, names: list[str]) -> list[Tag]:
    """The tags a ticket request names, found without regard to case; unknown names
    create tags. Duplicates collapse; order is kept. Bad names are a 422 on `tags`."""
    if len(names) > MAX_NAMES:
        raise ValidationFailed("tags", f"A ticket has at most {MAX_NAMES} tags")
    wanted: dict[str, str] = {}
    for raw in names:
        try:
            name = clean_name(raw)
        except ValueError as exc:
            raise ValidationFailed("tags", f"Invalid tag name {raw!r}: {exc}") from None
        wanted.setdefault(normalize(name), name)
    if not wanted:
        return []
    existing = {t.normalized_name: t for t in repository.find_by_names(session, brand.id, wanted)}
    result = []
    for normalized, name in wanted.items():
        tag = existing.get(normalized)
        if tag is None:
            tag = _find_or_create(session, actor, brand, name)
        result.append(tag)
    return result


def _find_or_create(session: Session, actor: Actor, brand: Brand, name: str) -> Tag:
    tag = _new_tag(brand, name, None)
    if _insert(session, tag):
        _record(session, actor, tag, "tag.created")
        return tag
    # Created by a concurrent request since we looked: use theirs.
    (found,) = repository.find_by_names(session, brand.id, [tag.normalized_name])
    return found


def _check_tags(brand: Brand, ticket: Ticket, tags: Sequence[Tag]) -> None:
    if ticket.brand_id != brand.id or any(
        t.brand_id != brand.id or t.deleted_at is not None for t in tags
    ):
        raise ValidationFailed("tags", "Tags and ticket must be live and of this brand")


def _unique(tags: Sequence[Tag]) -> list[Tag]:
    seen: dict[str, Tag] = {}
    for tag in tags:
        seen.setdefault(tag.id, tag)
    return list(seen.values())


def _current_tags(session: Session, ticket: Ticket) -> list[Tag]:
    return [tag for _ticket_id, tag in repository.tags_of_tickets(session, [ticket.id])]


def _link(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket: Ticket,
    added: list[Tag],
    removed: list[Tag],
    now: datetime,
) -> None:
    repository.remove_links(session, [ticket.id], [t.id for t in removed])
    repository.add_links(session, brand.id, [(ticket.id, t.id) for t in added], now)
    for tag in removed:
        _link_entry(session, actor, brand.id, ticket.id, tag, REMOVED)
    for tag in added:
        _link_entry(session, actor, brand.id, ticket.id, tag, ADDED)


def set_ticket_tags(
    session: Session, actor: Actor, brand: Brand, ticket: Ticket, tags: list[Tag]
) -> tuple[list[Tag], list[Tag]]:
    """Make the ticket's tags exactly `tags`; returns (added, removed), each with an
    activity entry (`tag.added_to_ticket` / `tag.removed_from_ticket`)."""
    _check_tags(brand, ticket, tags)
    wanted = _unique(tags)
    current = _current_tags(session, ticket)
    current_ids = {t.id for t in current}
    wanted_ids = {t.id for t in wanted}
    added = [t for t in wanted if t.id not in current_ids]
    removed = [t for t in current if t.id not in wanted_ids]
    _link(session, actor, brand, ticket, added, removed, clock.now())
    return added, removed


def add_ticket_tags(
    session: Session, actor: Actor, brand: Brand, ticket: Ticket, tags: list[Tag]
) -> tuple[list[Tag], list[Tag]]:
    """Add `tags` to the ticket, keeping the ones it has; returns (added, [])."""
    _check_tags(brand, ticket, tags)
    current_ids = {t.id for t in _current_tags(session, ticket)}
    added = [t for t in _unique(tags) if t.id not in current_ids]
    _link(session, actor, brand, ticket, added, [], clock.now())
    return added, []
