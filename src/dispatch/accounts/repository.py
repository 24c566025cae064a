from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from dispatch.accounts.models import Account, ApiKey, Member
from dispatch.brands.models import Brand


def get_account(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def only_account_id(session: Session) -> str | None:
    """The account's id when there is exactly one (a fresh install); None otherwise."""
    ids = session.scalars(select(Account.id).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def count_accounts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Account)) or 0


def find_key_by_hash(
    session: Session, secret_hash: str, *, with_brand: str | None = None
) -> tuple[ApiKey, Brand | None] | None:
    """The live key with this hash and, in the same query, the live brand `with_brand`
    names if it belongs to the key's account (the brand scope is checked by the caller)."""
    if with_brand is None:
        key = session.scalar(_LIVE_KEY, {"secret_hash": secret_hash})
        return None if key is None else (key, None)
    row = session.execute(
        _LIVE_KEY_WITH_BRAND, {"secret_hash": secret_hash, "brand_id": with_brand}
    ).first()
    return None if row is None else (row[0], row[1])


# Every API request runs one of these: built once (see tickets.repository._LIVE_TICKET).
_LIVE = (ApiKey.secret_hash == bindparam("secret_hash"), ApiKey.revoked_at.is_(None))
_LIVE_KEY = select(ApiKey).where(*_LIVE)
_LIVE_KEY_WITH_BRAND = (
    select(ApiKey, Brand)
    .outerjoin(
        Brand,
        and_(
            Brand.id == bindparam("brand_id"),
            Brand.account_id == ApiKey.account_id,
            Brand.deleted_at.is_(None),
        ),
    )
    .where(*_LIVE)
)


def get_key(session: Session, account_id: str, key_id: str) -> ApiKey | None:
    return session.scalar(
        select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.account_id == account_id, ApiKey.revoked_at.is_(None)
        )
    )


def list_keys(session: Session, account_id: str) -> list[ApiKey]:
    stmt = (
        select(ApiKey)
        .where(ApiKey.account_id == account_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created_at, ApiKey.id)
    )
    return list(session.scalars(stmt))


def touch_key(session: Session, key_id: str, at: datetime) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))


def find_member_by_email(session: Session, account_id: str, email: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.account_id == account_id, Member.email == email.lower())
    )


def get_member(session: Session, account_id: str, member_id: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.account_id == account_id, Member.id == member_id)
    )


def list_members(session: Session, account_id: str) -> list[Member]:
    stmt = select(Member).where(Member.account_id == account_id).order_by(Member.email)
    return list(session.scalars(stmt))


def count_active_owners(session: Session, account_id: str, *, except_id: str) -> int:
    stmt = select(func.count()).where(
        Member.account_id == account_id,
        Member.role == "owner",
        Member.deactivated_at.is_(None),
        Member.id != except_id,
    )
    return session.scalar(stmt) or 0
