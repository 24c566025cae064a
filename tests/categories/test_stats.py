"""GET /categories/stats: ticket counts per category (live, non-spam, non-merged tickets),
as the dashboard's list and, with `format=map`, the SDK's map; one grouped query."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, categories_path, make_category, set_ticket_columns
from tests.conftest import Api, make_ticket


def stats(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", categories_path(brand, "/stats"))
    return listed


def counts(api: Api, brand: Json) -> dict[str, int]:
    return {s["key"]: s["ticketCount"] for s in stats(api, brand)}


def file_under(api: Api, brand: Json, session: Session, category: Json, n: int) -> list[Json]:
    tickets = []
    for i in range(n):
        ticket = make_ticket(api, brand, title=f"{category['name']} {i}")
        set_ticket_columns(session, ticket, category_id=category["id"])
        tickets.append(ticket)
    return tickets


def test_stats_list_every_category_in_display_order_with_its_count(
    api: Api, brand: Json, session: Session, billing: Json, shipping: Json, returns: Json
) -> None:
    file_under(api, brand, session, billing, 2)
    file_under(api, brand, session, returns, 1)
    make_ticket(api, brand, title="Uncategorized")

    assert stats(api, brand) == [
        {
            "id": billing["id"],
            "key": "billing",
            "name": "Billing",
            "color": "#22c55e",
            "ticketCount": 2,
        },
        {
            "id": shipping["id"],
            "key": "shipping",
            "name": "Shipping",
            "color": None,
            "ticketCount": 0,
        },
        {"id": returns["id"], "key": "returns", "name": "Returns", "color": None, "ticketCount": 1},
    ]


def test_the_map_format_is_the_sdks_shape(
    api: Api, brand: Json, session: Session, billing: Json, shipping: Json
) -> None:
    file_under(api, brand, session, billing, 3)

    assert api.ok("get", categories_path(brand, "/stats"), params={"format": "map"}) == {
        billing["id"]: {"ticketCount": 3},
        shipping["id"]: {"ticketCount": 0},
    }
    assert api.ok("get", categories_path(brand, "/stats"), params={"format": "list"}) == stats(
        api, brand
    )


def test_a_brand_without_categories_has_empty_stats(api: Api, brand: Json) -> None:
    make_ticket(api, brand)
    assert stats(api, brand) == []
    assert api.ok("get", categories_path(brand, "/stats"), params={"format": "map"}) == {}


@pytest.mark.parametrize(
    ("hidden_by", "columns"),
    [
        ("spam", {"is_spam": True}),
        ("merge", {"merged_into_id": "tkt_target"}),
    ],
)
def test_spam_and_merged_tickets_are_not_counted(
    api: Api, brand: Json, session: Session, billing: Json, hidden_by: str, columns: Json
) -> None:
    hidden, _shown = file_under(api, brand, session, billing, 2)
    set_ticket_columns(session, hidden, **columns)

    assert counts(api, brand) == {"billing": 1}


def test_deleted_tickets_are_not_counted(
    api: Api, brand: Json, session: Session, billing: Json
) -> None:
    gone, _kept = file_under(api, brand, session, billing, 2)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{gone['id']}")

    assert counts(api, brand) == {"billing": 1}


def test_tickets_of_another_brand_are_not_counted(
    api: Api, brand: Json, session: Session, billing: Json, sibling_brand: Json
) -> None:
    theirs = make_category(api, sibling_brand, name="Billing", key="billing")
    file_under(api, sibling_brand, session, theirs, 2)
    file_under(api, brand, session, billing, 1)

    assert counts(api, brand) == {"billing": 1}
    assert counts(api, sibling_brand) == {"billing": 2}


@pytest.fixture
def statements(connection: Connection) -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    yield sent
    event.remove(connection, "before_cursor_execute", record)


def test_stats_cost_the_same_queries_for_any_number_of_categories(
    api: Api, brand: Json, session: Session, statements: list[str]
) -> None:
    def queries_for_stats() -> int:
        statements.clear()
        stats(api, brand)
        return len(statements)

    first = make_category(api, brand, name="First")
    file_under(api, brand, session, first, 1)
    with_one = queries_for_stats()
    for i in range(5):
        file_under(api, brand, session, make_category(api, brand, name=f"More {i}"), 2)
    with_six = queries_for_stats()

    assert with_six == with_one
    # The table, not a column that names it (brands.portal_categories).
    assert sum(bool(re.search(r"\bcategories\b", sql)) for sql in statements) == 1
