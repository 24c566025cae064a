from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.webforms.models import FormToken


def list_forms(session: Session, brand_id: str) -> list[FormToken]:
    stmt = select(FormToken).where(FormToken.brand_id == brand_id)
    return list(session.scalars(stmt.order_by(FormToken.created_at, FormToken.id)))


def get_form(session: Session, brand_id: str, form_id: str) -> FormToken | None:
    return session.scalar(
        select(FormToken).where(FormToken.id == form_id, FormToken.brand_id == brand_id)
    )


def by_token(session: Session, token: str) -> tuple[FormToken, Brand] | None:
    """The form behind a public token and its brand, unless the brand was deleted."""
    stmt = (
        select(FormToken, Brand)
        .join(Brand, Brand.id == FormToken.brand_id)
        .where(FormToken.token == token, Brand.deleted_at.is_(None))
    )
    row = session.execute(stmt).first()
    return (row[0], row[1]) if row is not None else None


def count_submission(session: Session, form: FormToken, at: datetime) -> None:
    """One more submission, counted in the database (concurrent ones all count)."""
    session.execute(
        update(FormToken)
        .where(FormToken.id == form.id)
        .values(submission_count=FormToken.submission_count + 1, last_submission_at=at)
        .execution_options(synchronize_session=False)
    )
    session.expire(form, ["submission_count", "last_submission_at"])
