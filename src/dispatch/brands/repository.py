from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import cast

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.db import autocommit_connect


def get_brand(session: Session, account_id: str, brand_id: str) -> Brand | None:
    return session.scalar(
        select(Brand).where(
            Brand.id == brand_id, Brand.account_id == account_id, Brand.deleted_at.is_(None)
        )
    )


def _visible(account_id: str, brand_ids: Iterable[str] | None) -> list[ColumnElement[bool]]:
    """Live brands of the account, among `brand_ids` unless that is None (every brand)."""
    where = [Brand.account_id == account_id, Brand.deleted_at.is_(None)]
    if brand_ids is not None:
        where.append(Brand.id.in_(list(brand_ids)))
    return where


def list_brands(session: Session, account_id: str, brand_ids: Iterable[str] | None) -> list[Brand]:
    stmt = select(Brand).where(*_visible(account_id, brand_ids))
    return list(session.scalars(stmt.order_by(Brand.name, Brand.id)))


def count_brands(session: Session, account_id: str, brand_ids: Iterable[str] | None) -> int:
    stmt = select(func.count()).select_from(Brand).where(*_visible(account_id, brand_ids))
    return session.scalar(stmt) or 0


def existing_brand_ids(session: Session, account_id: str, brand_ids: list[str]) -> set[str]:
    if not brand_ids:
        return set()
    stmt = select(Brand.id).where(
        Brand.account_id == account_id, Brand.deleted_at.is_(None), Brand.id.in_(brand_ids)
    )
    return set(session.scalars(stmt))


def by_slug(session: Session, slug: str) -> Brand | None:
    """A live brand by its slug (slugs are unique across accounts)."""
    return session.scalar(select(Brand).where(Brand.slug == slug, Brand.deleted_at.is_(None)))


def slug_taken(session: Session, slug: str, *, except_brand_id: str | None = None) -> bool:
    stmt = select(Brand.id).where(Brand.slug == slug, Brand.deleted_at.is_(None))
    if except_brand_id is not None:
        stmt = stmt.where(Brand.id != except_brand_id)
    return session.scalar(stmt.limit(1)) is not None


def portal_domain_owner(session: Session, domain: str) -> Brand | None:
    """The brand, live or deleted, whose portal domain `domain` is (at most one)."""
    return session.scalar(select(Brand).where(Brand.portal_domain == domain))


def lock_ticket_counter(session: Session, brand_id: str) -> int:
    """The brand's next ticket number, read under the row lock allocation takes."""
    return int(
        session.execute(
            select(Brand.next_ticket_number).where(Brand.id == brand_id).with_for_update()
        ).scalar_one()
    )


def _take_number(executor: Session | Connection, brand_id: str) -> int:
    number = executor.execute(_TAKE_NUMBER, {"brand_id": brand_id}).scalar_one()
    return int(number) - 1


# Every new ticket takes one: built once, on the table (the ORM's bulk UPDATE path and
# building the statement anew cost more than running it), as the brand's other UPDATE.
_BRANDS = cast(Table, Brand.__table__)
_TAKE_NUMBER = (
    update(_BRANDS)
    .where(_BRANDS.c.id == bindparam("brand_id"))
    .values(next_ticket_number=_BRANDS.c.next_ticket_number + 1)
    .returning(_BRANDS.c.next_ticket_number)
)


def allocate_ticket_number(session: Session, brand_id: str) -> int:
    """Take the brand's next ticket number atomically.

    The brand row's lock serialises allocations. Where the database allows it
    (PostgreSQL), the number is taken by one autocommitted statement beside the request's
    transaction, so that lock is held for the statement, not for the whole request. A
    request that fails afterwards leaves a gap; numbers are never reused.
    """
    connect = autocommit_connect(session)
    if connect is None:
        return _take_number(session, brand_id)
    with connect() as connection:
        return _take_number(connection, brand_id)


# --- The brand's configuration version (core.versioned) ------------------------------------

_CHANGED = "brand config changed"
_BUMPED = "brand config version set"


def config_version(session: Session, brand_id: str) -> int | None:
    """The version of the brand's statuses and field definitions, as this transaction
    read the brand (its identity map holds it: every request reads its brand first);
    None once the transaction changed them itself: it reads its own rows (and never
    lends them to other transactions: they may not commit)."""
    if transaction.marked(session, (_CHANGED, brand_id)):
        return None
    brand = session.get(Brand, brand_id)
    return brand.config_version if brand is not None else None


def config_changed(session: Session, brand_id: str) -> None:
    """The brand's statuses or field definitions change in this transaction: every
    process's copies of them are out of date from its commit (one new version per transaction,
    again should a rollback have undone it)."""
    transaction.mark(session, (_CHANGED, brand_id))
    if not transaction.cached(session, (_BUMPED, brand_id), lambda: False):
        # A new random version, not the next number: a change that rolled back, or a
        # database restored from a backup, never meets copies taken of other rows at the
        # same version.
        version = secrets.randbits(62)
        session.execute(_BUMP, {"brand_id": brand_id, "version": version})
        transaction.remember(session, (_BUMPED, brand_id), True)
        # The session's own brand row learns it too: a session that goes on to its next
        # transaction (a script's, a test's) reads the copies of this version.
        brand = session.identity_map.get(identity_key(Brand, brand_id))
        if brand is not None:
            set_committed_value(brand, "config_version", version)


_BUMP = (
    update(_BRANDS)
    .where(_BRANDS.c.id == bindparam("brand_id"))
    .values(config_version=bindparam("version"))
)
