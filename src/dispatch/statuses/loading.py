"""A brand's statuses as other domains read them: by id, by key, or a 404/422 — the
records level (no service imports), so ticket code and the status service share it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.statuses import repository
from dispatch.statuses.models import TicketStatus


def list_for_brand(session: Session, brand_id: str) -> list[TicketStatus]:
    return repository.brand_statuses(session, brand_id)


def by_id(session: Session, brand_id: str) -> dict[str, TicketStatus]:
    return {s.id: s for s in repository.brand_statuses(session, brand_id)}


def get_status(session: Session, brand: Brand, status_id: str) -> TicketStatus:
    status = repository.get_status(session, brand.id, status_id)
    if status is None:
        raise NotFound("status", status_id)
    return status


def resolve(
    session: Session, brand_id: str, *, key: str | None = None, status_id: str | None = None
) -> TicketStatus:
    """The status a ticket request names, by key (`status`) or id (`statusId`)."""
    return pick(repository.brand_statuses(session, brand_id), key=key, status_id=status_id)


def pick(
    brand_statuses: Iterable[TicketStatus],
    *,
    key: str | None = None,
    status_id: str | None = None,
) -> TicketStatus:
    """`resolve` among statuses already loaded (422 for an unknown key or id)."""
    by_key = None
    candidates = list(brand_statuses)
    if key is not None:
        by_key = next((s for s in candidates if s.key == key), None)
        if by_key is None:
            raise ValidationFailed(
                "status", f"Unknown status {key!r} in this brand", code="unknown_status"
            )
    if status_id is None:
        if by_key is None:
            raise ValidationFailed("status", "Give status or statusId")
        return by_key
    found = next((s for s in candidates if s.id == status_id), None)
    if found is None:
        raise ValidationFailed(
            "statusId", f"Unknown status id {status_id!r} in this brand", code="unknown_status"
        )
    if by_key is not None and by_key.id != found.id:
        raise ValidationFailed("statusId", "status and statusId name different statuses")
    return found
