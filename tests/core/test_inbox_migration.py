"""Migration 0010: the events the webhooks and email consumers had yet to take (null
`dispatched_at` / `emailed_at`) become exactly their inbox rows; nothing pending is lost,
nothing done is taken again. Run on a fresh database of the suite's backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text

from dispatch.core import migrate as migrations
from dispatch.core.db import make_engine
from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, POSTGRES_DB

BEFORE = "0009_ticket_schema"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# position: (dispatched, emailed)
EVENTS = {
    1: (True, True),
    2: (True, False),
    3: (False, True),
    4: (False, False),
    5: (True, True),
    6: (False, False),
}


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name = f"{POSTGRES_DB}_inbox_migration"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine_at_0009(fresh_url: str) -> Iterator[Engine]:
    command.upgrade(migrations.alembic_config(fresh_url), BEFORE)
    engine = make_engine(fresh_url, pool_size=1)
    with engine.begin() as conn:
        for position, (dispatched, emailed) in EVENTS.items():
            conn.execute(
                text(
                    "INSERT INTO events (position, id, type, brand_id, data, created_at, "
                    "dispatched_at, emailed_at) VALUES (:position, :id, 'ticket.updated', "
                    "'br_1', '{}', :at, :dispatched, :emailed)"
                ),
                {
                    "position": position,
                    "id": f"evt_{position}",
                    "at": AT,
                    "dispatched": AT if dispatched else None,
                    "emailed": AT if emailed else None,
                },
            )
    yield engine
    engine.dispose()


def _inbox(engine: Engine) -> set[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT consumer, position FROM event_inbox"))
        return {(consumer, int(position)) for consumer, position in rows}


def test_pending_events_become_exactly_the_inbox_rows_of_their_consumers(
    engine_at_0009: Engine, fresh_url: str
) -> None:
    migrations.upgrade(fresh_url)

    assert _inbox(engine_at_0009) == {
        ("webhooks", 3),
        ("webhooks", 4),
        ("webhooks", 6),
        ("email", 2),
        ("email", 4),
        ("email", 6),
    }
    columns = {c["name"] for c in inspect(engine_at_0009).get_columns("events")}
    assert not columns & {"dispatched_at", "emailed_at"}
    with engine_at_0009.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM events")) == len(EVENTS)


def test_downgrading_marks_consumed_exactly_the_events_without_inbox_rows(
    engine_at_0009: Engine, fresh_url: str
) -> None:
    migrations.upgrade(fresh_url)
    with engine_at_0009.begin() as conn:  # the webhooks consumer takes event 3 meanwhile
        conn.execute(text("DELETE FROM event_inbox WHERE consumer = 'webhooks' AND position = 3"))

    command.downgrade(migrations.alembic_config(fresh_url), BEFORE)

    with engine_at_0009.connect() as conn:
        rows = conn.execute(
            text("SELECT position, dispatched_at IS NULL, emailed_at IS NULL FROM events")
        )
        pending = {int(p): (bool(d), bool(e)) for p, d, e in rows}
    assert pending == {
        1: (False, False),
        2: (False, True),
        3: (False, False),
        4: (True, True),
        5: (False, False),
        6: (True, True),
    }
