from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dispatch.views.models import SavedView


def visible_views(
    session: Session, account_id: str, brand_id: str | None, member_id: str
) -> list[SavedView]:
    """The brand's (or All inboxes') shared views and the member's own, by name."""
    stmt = (
        select(SavedView)
        .where(
            SavedView.account_id == account_id,
            SavedView.brand_id.is_(None) if brand_id is None else SavedView.brand_id == brand_id,
            or_(SavedView.shared.is_(True), SavedView.member_id == member_id),
        )
        .order_by(SavedView.name, SavedView.id)
    )
    return list(session.scalars(stmt))


def get_view(session: Session, account_id: str, view_id: str) -> SavedView | None:
    return session.scalar(
        select(SavedView).where(SavedView.id == view_id, SavedView.account_id == account_id)
    )


def add(session: Session, view: SavedView) -> None:
    session.add(view)
    session.flush()


def delete(session: Session, view: SavedView) -> None:
    session.delete(view)
    session.flush()
