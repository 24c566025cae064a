"""A customer's list and ticket view cost the same number of statements whatever they
hold: no statement per ticket, comment or file."""

from __future__ import annotations

from sqlalchemy import Connection

from tests.conftest import Api
from tests.core.test_statement_counts import statements
from tests.portal.helpers import Customer, Json, customer, portal_brand


def _count(connection: Connection, person: Customer, path: str) -> int:
    with statements(connection) as seen:
        person.ok("get", path)
    return len(seen)


def _reply(api: Api, brand: Json, ticket: Json, n: int) -> None:
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    for i in range(n):
        api.ok("post", f"{path}/comments", 201, json={"body": f"Reply {i}"})
        files = {"file": (f"f{i}.txt", b"hello there", "text/plain")}
        api.ok("post", f"{path}/attachments/upload", 201, files=files)


def test_a_longer_list_or_conversation_costs_no_more_statements(
    api: Api, connection: Connection
) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    first = jane.ok("post", "/tickets", 201, json={"title": "First"})
    _reply(api, brand, first, 1)
    jane.ok("get", "/tickets")  # warm: the brand's statuses are cached after the first read
    short_list = _count(connection, jane, "/tickets")
    short_view = _count(connection, jane, f"/tickets/{first['id']}")
    assert short_list > 0
    assert short_view > 0

    for n in range(6):
        jane.ok("post", "/tickets", 201, json={"title": f"More {n}"})
    _reply(api, brand, first, 4)
    assert _count(connection, jane, "/tickets") == short_list
    assert _count(connection, jane, f"/tickets/{first['id']}") == short_view
