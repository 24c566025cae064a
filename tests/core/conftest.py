"""Fixtures for tests that need real commits (concurrency): their own engine and cleanup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, delete, or_, select

from dispatch.brands.models import Brand
from dispatch.core.db import Database
from dispatch.core.events import Event
from dispatch.models import metadata
from dispatch.tickets.models import Ticket
from tests.conftest import delete_events


def purge_accounts(conn: Connection, account_ids: set[str]) -> None:
    """Delete every row that belongs to these accounts, children first."""
    if not account_ids:
        return
    brand_ids = set(conn.scalars(select(Brand.id).where(Brand.account_id.in_(account_ids))))
    ticket_ids = set(conn.scalars(select(Ticket.id).where(Ticket.brand_id.in_(brand_ids))))
    owned = {"account_id": account_ids, "brand_id": brand_ids, "ticket_id": ticket_ids}
    if brand_ids:
        delete_events(conn, Event.brand_id.in_(brand_ids))
    for table in reversed(metadata.sorted_tables):
        conditions = [
            table.c[column].in_(ids) for column, ids in owned.items() if column in table.c and ids
        ]
        if table.name == "accounts":
            conditions.append(table.c.id.in_(account_ids))
        if conditions:
            conn.execute(delete(table).where(or_(*conditions)))


@pytest.fixture
def committed_database(database_url: str) -> Iterator[Database]:
    """A Database on its own engine: every request really commits. Accounts created during
    the test (and everything under them) are deleted afterwards."""
    from dispatch.accounts.models import Account
    from dispatch.core.db import make_engine

    engine = make_engine(database_url, pool_size=4)
    with engine.connect() as conn:
        before = set(conn.scalars(select(Account.id)))
    try:
        yield Database(engine)
    finally:
        with engine.begin() as conn:
            created = set(conn.scalars(select(Account.id))) - before
            purge_accounts(conn, created)
        with engine.connect() as conn:
            assert set(conn.scalars(select(Account.id))) == before
        engine.dispose()
