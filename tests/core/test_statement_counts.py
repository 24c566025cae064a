"""The SQL statements of the two writes every channel makes most: a ticket created with a
new contact, and a status change. The same services run for the API, the dashboard, the
portal, email and rules, so a statement saved here is saved everywhere; these pins keep
one from coming back unnoticed. Counted on PostgreSQL, where each is a round trip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from dispatch.settings import Settings
from tests.conftest import BACKEND, Api, make_ticket

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="counted on PostgreSQL")

# Where they stand (they were 22 and 15); lower them as statements go. A status change
# rose from 12 to 13 with the analytics rollup (the stay it ends is its own
# `status_stays` row, which lets the reports read narrow indexed rows instead of the
# activity log's JSON), and both fell by one when the events and their inbox rows
# became one statement. All three fell when the commit's writes (activity entries,
# status stays, status and contact counts, events with their inbox rows) became one
# statement on PostgreSQL (`transaction.CommitPart`): 13 / 12 / 9 -> 10 / 9 / 8; then a
# write's ticket came with its newest comment's time and whether it has tags and
# watchers (`transaction.Fact`): a status change and a reply on a ticket with neither
# 9 / 8 -> 6 / 6. Then the brand's statuses and field definitions came from each
# process's copies for the brand's config version (`core.versioned`): 10 / 6 / 6 -> 8 / 5 / 5.
TICKET_CREATE_WITH_NEW_CONTACT = 8
STATUS_CHANGE = 5
# A reply read its ticket twice (once to check it, once to lock it): 10, then 9.
PUBLIC_REPLY = 5


@contextmanager
def statements(connection: Connection) -> Iterator[list[str]]:
    """The statements one request runs. Tests run each request in a savepoint of the
    test's transaction: its opening SAVEPOINT and closing RELEASE are the harness's (in
    production, BEGIN and COMMIT cost no statement of their own), so they are left out."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().split("\n", 1)[0])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)
    if seen and seen[0].startswith("SAVEPOINT"):
        seen.pop(0)
    if seen and seen[-1].startswith("RELEASE SAVEPOINT"):
        seen.pop()


@pytest.fixture
def warm(api: Api, brand: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A brand that has served a request (its key touched: the key is touched at most
    once a minute, not on every request)."""
    settings.api_key_touch_seconds = 3600
    return make_ticket(api, brand, customerEmail="first@corp.local")


def test_creating_a_ticket_with_a_new_contact(
    api: Api, brand: dict[str, Any], warm: dict[str, Any], connection: Connection
) -> None:
    with statements(connection) as seen:
        make_ticket(api, brand, customerEmail="new@corp.local", customerName="New")
    assert len(seen) <= TICKET_CREATE_WITH_NEW_CONTACT, "\n".join(seen)


def test_changing_a_tickets_status(
    api: Api, brand: dict[str, Any], warm: dict[str, Any], connection: Connection
) -> None:
    path = f"/brands/{brand['id']}/tickets/{warm['id']}"
    with statements(connection) as seen:
        api.ok("patch", path, json={"status": "pending"})
    assert len(seen) <= STATUS_CHANGE, "\n".join(seen)


def test_adding_a_public_reply(
    api: Api, brand: dict[str, Any], warm: dict[str, Any], connection: Connection
) -> None:
    path = f"/brands/{brand['id']}/tickets/{warm['id']}/comments"
    with statements(connection) as seen:
        api.ok("post", path, 201, json={"body": "On it.", "authorType": "AGENT"})
    assert len(seen) <= PUBLIC_REPLY, "\n".join(seen)


def test_a_writes_events_are_not_read_back(
    api: Api, brand: dict[str, Any], warm: dict[str, Any], connection: Connection
) -> None:
    """An event's inbox rows (one per consumer) are written with it and check nothing
    against it: a foreign key's check was a lookup and a row lock per row, and a plan
    cached while `events` was nearly empty scanned the whole table (migration 0027)."""
    scans = text(
        "SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables "
        "WHERE relname = 'events'"
    )
    before = connection.scalar(scans)

    path = f"/brands/{brand['id']}/tickets/{warm['id']}/comments"
    api.ok("post", path, 201, json={"body": "On it.", "authorType": "AGENT"})

    assert connection.scalar(scans) == before
