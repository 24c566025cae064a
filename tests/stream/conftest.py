"""Fixtures of the stream tests: an account with two brands, another account's brand, and
the key's actor, on the test's rolled-back session; events emitted through the services
and appended to the stream by the worker's consumer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import NewBrand
from dispatch.core.actor import Actor
from dispatch.core.events import Event
from dispatch.stream import consumer
from dispatch.stream.models import StreamEvent
from dispatch.tickets import service as tickets
from dispatch.tickets.schemas import NewTicket
from tests.core import conftest as core_fixtures

# Real commits on their own engine, cleaned up afterwards (the live-server tests).
committed_database = core_fixtures.committed_database


@dataclass
class World:
    session: Session
    key: Actor
    brand: Brand
    second_brand: Brand
    foreign_brand: Brand

    def ticket(self, brand: Brand | None = None, title: str = "Cannot log in") -> str:
        """A new ticket (its events are written at the next commit); its id."""
        return tickets.create_ticket(
            self.session, self.key, brand or self.brand, NewTicket(title=title)
        ).id

    def append(self) -> int:
        """Commit what was emitted, then append every pending event as the worker does
        (batch after batch, each committed); how many."""
        return self.append_with({})

    def append_with(self, bodies: dict[str, str]) -> int:
        """`append`, with bodies rendered ahead."""
        self.session.commit()
        total = 0
        while appended := consumer.append(self.session, bodies=bodies):
            self.session.commit()
            total += appended
        return total

    def events(self, brand: Brand) -> list[Event]:
        stmt = select(Event).where(Event.brand_id == brand.id).order_by(Event.position)
        return list(self.session.scalars(stmt))

    def streamed(self, brand: Brand) -> list[StreamEvent]:
        stmt = select(StreamEvent).where(StreamEvent.brand_id == brand.id)
        return list(self.session.scalars(stmt.order_by(StreamEvent.seq)))


@pytest.fixture
def world(session: Session) -> World:
    _account, issued = accounts.create_account(session, name="Acme")
    key = accounts.actor_for(issued.record)
    _other, foreign = accounts.create_account(session, name="Globex")
    foreign_key = accounts.actor_for(foreign.record)
    return World(
        session,
        key,
        brands.create_brand(session, key, NewBrand(name="Acme Store")),
        brands.create_brand(session, key, NewBrand(name="Acme Outlet")),
        brands.create_brand(session, foreign_key, NewBrand(name="Globex Support")),
    )
