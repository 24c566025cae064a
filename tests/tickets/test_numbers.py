"""Ticket numbers under concurrency, with real commits on separate connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, select

from dispatch.accounts import service as accounts
from dispatch.accounts.models import Account, ApiKey, Member
from dispatch.audit.models import AuditLog
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import BrandCreate
from dispatch.core.actor import Actor
from dispatch.core.db import Database, make_engine
from dispatch.core.events import Event
from dispatch.statuses.models import StatusTicketCount, TicketStatus
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketCreate, TicketUpdate
from tests.conftest import delete_events

THREADS = 8
PER_THREAD = 5


@dataclass(frozen=True)
class Committed:
    database: Database
    actor: Actor
    brand_id: str


def _purge(database: Database, account_id: str) -> None:
    with database.session() as s:
        brand_ids = list(s.scalars(select(Brand.id).where(Brand.account_id == account_id)))
        delete_events(s, Event.brand_id.in_(brand_ids))
        s.execute(delete(AuditLog).where(AuditLog.account_id == account_id))
        s.execute(delete(Ticket).where(Ticket.account_id == account_id))
        s.execute(delete(StatusTicketCount).where(StatusTicketCount.brand_id.in_(brand_ids)))
        s.execute(delete(TicketStatus).where(TicketStatus.brand_id.in_(brand_ids)))
        s.execute(delete(Brand).where(Brand.account_id == account_id))
        s.execute(delete(Member).where(Member.account_id == account_id))
        s.execute(delete(ApiKey).where(ApiKey.account_id == account_id))
        s.execute(delete(Account).where(Account.id == account_id))
        s.commit()


@pytest.fixture
def committed(database_url: str) -> Iterator[Committed]:
    """An account and brand of its own, committed for real and removed afterwards."""
    database = Database(make_engine(database_url, pool_size=THREADS))
    with database.session() as s:
        account, issued = accounts.create_account(s, name="Concurrency test")
        actor = accounts.actor_for(issued.record)
        brand = brands.create_brand(s, actor, BrandCreate.model_validate({"name": "Rush Hour"}))
        s.commit()
        account_id, brand_id = account.id, brand.id
    try:
        yield Committed(database, actor, brand_id)
    finally:
        _purge(database, account_id)
        with database.session() as s:
            assert s.scalar(select(Account.id).where(Account.id == account_id)) is None
            assert list(s.scalars(select(Ticket.id).where(Ticket.account_id == account_id))) == []
        database.dispose()


@pytest.mark.committed
def test_concurrent_creates_get_unique_contiguous_ticket_numbers(committed: Committed) -> None:
    start = threading.Barrier(THREADS)

    def create_some(worker: int) -> list[int]:
        start.wait()
        numbers = []
        for i in range(PER_THREAD):
            with committed.database.session() as s:
                brand = s.get(Brand, committed.brand_id)
                assert brand is not None
                data = TicketCreate.model_validate({"title": f"worker {worker} ticket {i}"})
                numbers.append(tickets.create_ticket(s, committed.actor, brand, data).ticket_number)
                s.commit()
        return numbers

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(create_some, range(THREADS)))

    total = THREADS * PER_THREAD
    numbers = sorted(n for result in results for n in result)
    assert numbers == list(range(1001, 1001 + total))
    for result in results:
        assert result == sorted(result), "each worker sees its own numbers increase"
    with committed.database.session() as s:
        stored = sorted(
            s.scalars(select(Ticket.ticket_number).where(Ticket.brand_id == committed.brand_id))
        )
        brand = s.get(Brand, committed.brand_id)
        assert brand is not None
        next_number = brand.next_ticket_number
        created_events = s.scalars(
            select(Event.id).where(
                Event.brand_id == committed.brand_id, Event.type == "ticket.created"
            )
        ).all()
    assert stored == numbers
    assert next_number == 1001 + total
    assert len(created_events) == total


@pytest.mark.committed
def test_concurrent_updates_of_one_ticket_apply_in_turn_with_distinct_versions(
    committed: Committed,
) -> None:
    with committed.database.session() as s:
        brand = s.get(Brand, committed.brand_id)
        assert brand is not None
        data = TicketCreate.model_validate({"title": "contended"})
        ticket_id = tickets.create_ticket(s, committed.actor, brand, data).id
        s.commit()
    start = threading.Barrier(THREADS)

    def update_some(worker: int) -> list[int]:
        start.wait()
        versions = []
        for i in range(PER_THREAD):
            with committed.database.session() as s:
                brand = s.get(Brand, committed.brand_id)
                assert brand is not None
                change = TicketUpdate.model_validate({"title": f"worker {worker} edit {i}"})
                out = tickets.update_ticket(s, committed.actor, brand, ticket_id, change)
                s.commit()
                versions.append(out.version)
        return versions

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(update_some, range(THREADS)))

    total = THREADS * PER_THREAD
    versions = sorted(v for result in results for v in result)
    assert versions == list(range(2, 2 + total))
    with committed.database.session() as s:
        stored = s.get(Ticket, ticket_id)
        assert stored is not None
        assert stored.version == 1 + total
        sequences = list(
            s.scalars(
                select(Event.sequence)
                .where(Event.ticket_id == ticket_id, Event.type == "ticket.updated")
                .order_by(Event.position)
            )
        )
        entries = s.scalars(
            select(AuditLog.id).where(
                AuditLog.ticket_id == ticket_id, AuditLog.event == "ticket.updated"
            )
        ).all()
    assert sequences == list(range(2, 2 + total)), "events are committed in version order"
    assert len(entries) == total
