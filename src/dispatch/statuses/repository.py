from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from dispatch.brands import repository as brands
from dispatch.core import transaction
from dispatch.core.versioned import VersionedCache
from dispatch.statuses.models import TicketStatus


def list_statuses(session: Session, brand_id: str) -> list[TicketStatus]:
    """The brand's statuses in display order, as rows of this session (for the status
    service, which changes them), read once per transaction; status writes call
    `forget_statuses`."""

    def load() -> tuple[TicketStatus, ...]:
        return tuple(session.scalars(_BRAND_STATUSES, {"brand_id": brand_id}))

    return list(transaction.cached(session, ("statuses", brand_id), load))


def brand_statuses(session: Session, brand_id: str) -> list[TicketStatus]:
    """The brand's statuses in display order, to read (every ticket change and every
    rendered ticket needs them): the process's copies for the brand's config version
    (`core.versioned`: never change them), this transaction's own rows once it changed
    them."""
    version = brands.config_version(session, brand_id)
    return list(
        _COPIES.get(session, brand_id, version, lambda s: tuple(list_statuses(s, brand_id)))
    )


_COPIES = VersionedCache[tuple[TicketStatus, ...]]()


_BRAND_STATUSES = (
    select(TicketStatus)
    .where(TicketStatus.brand_id == bindparam("brand_id"))
    .order_by(TicketStatus.sort_order, TicketStatus.id)
)


def forget_statuses(session: Session, brand_id: str) -> None:
    """The brand's statuses changed in this transaction."""
    transaction.uncache(session, ("statuses", brand_id))
    brands.config_changed(session, brand_id)


def get_status(session: Session, brand_id: str, status_id: str) -> TicketStatus | None:
    return session.scalar(
        select(TicketStatus).where(TicketStatus.brand_id == brand_id, TicketStatus.id == status_id)
    )


def get_status_by_key(session: Session, brand_id: str, key: str) -> TicketStatus | None:
    return session.scalar(
        select(TicketStatus).where(TicketStatus.brand_id == brand_id, TicketStatus.key == key)
    )


def name_taken(session: Session, brand_id: str, name: str, *, except_id: str | None = None) -> bool:
    stmt = select(TicketStatus.id).where(
        TicketStatus.brand_id == brand_id, func.lower(TicketStatus.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(TicketStatus.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def count_custom(session: Session, brand_id: str) -> int:
    stmt = select(func.count()).where(
        TicketStatus.brand_id == brand_id, TicketStatus.is_system.is_(False)
    )
    return session.scalar(stmt) or 0


def delete_status(session: Session, status: TicketStatus) -> None:
    session.execute(delete(TicketStatus).where(TicketStatus.id == status.id))
    session.expunge(status)
