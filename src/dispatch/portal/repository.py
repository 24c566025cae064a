"""Every query of the portal: its brands, magic links, and what of a ticket's
conversation a customer may see."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.comments.models import SYSTEM, Comment
from dispatch.portal.models import PortalLink


def live_brand(session: Session, brand_id: str) -> Brand | None:
    """A brand that is not deleted, whatever its account (a portal token names it)."""
    return session.scalar(select(Brand).where(Brand.id == brand_id, Brand.deleted_at.is_(None)))


def origin_listed(session: Session, origin: str) -> bool:
    """Whether any live brand lists `origin` among its portal origins (a CORS preflight,
    which carries no token, is answered for those only). Brands are few: scanned here."""
    lists = session.scalars(select(Brand.portal_origins).where(Brand.deleted_at.is_(None)))
    return any(origin in (origins or []) for origins in lists)


# --- magic links -------------------------------------------------------------------------


def add_link(session: Session, link: PortalLink) -> None:
    session.add(link)
    session.flush()


def links_sent_since(session: Session, brand_id: str, email: str, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(PortalLink)
            .where(
                PortalLink.brand_id == brand_id,
                PortalLink.email == email,
                PortalLink.created_at >= since,
            )
        )
        or 0
    )


def claim_link(session: Session, token_hash: str, now: datetime) -> PortalLink | None:
    """Mark the unused, unexpired link with this hash used, and return it; None if there
    is none. One conditional UPDATE: of two concurrent redemptions only one claims it."""
    claimed = session.execute(
        update(PortalLink)
        .where(
            PortalLink.token_hash == token_hash,
            PortalLink.used_at.is_(None),
            PortalLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalar(select(PortalLink).where(PortalLink.token_hash == token_hash))


def delete_links_expired_before(session: Session, before: datetime) -> int:
    result = session.execute(
        PortalLink.__table__.delete().where(PortalLink.expires_at < before)  # type: ignore[attr-defined]
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- what a customer sees of a conversation ----------------------------------------------


def _public(*where: object) -> list[object]:
    return [
        *where,
        Comment.is_internal.is_(False),
        Comment.author_type != SYSTEM,
        Comment.deleted_at.is_(None),
    ]


def public_comment_counts(session: Session, ticket_ids: Collection[str]) -> dict[str, int]:
    """Per ticket, its comments a customer sees (no internal notes, no SYSTEM entries)."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(Comment.ticket_id, func.count())
        .where(*_public(Comment.ticket_id.in_(sorted(ticket_ids))))  # type: ignore[arg-type]
        .group_by(Comment.ticket_id)
    )
    return {ticket_id: int(count) for ticket_id, count in rows}


def hidden_comment_ids(session: Session, brand_id: str, ticket_id: str) -> set[str]:
    """The ticket's comments a customer never sees (internal notes, SYSTEM entries and
    deleted comments): their attachments stay hidden too."""
    return set(
        session.scalars(
            select(Comment.id).where(
                Comment.brand_id == brand_id,
                Comment.ticket_id == ticket_id,
                or_(
                    Comment.is_internal.is_(True),
                    Comment.author_type == SYSTEM,
                    Comment.deleted_at.is_not(None),
                ),
            )
        )
    )
