"""Cursor pagination of the ticket list, for every sort field and both orders."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.tickets import service as tickets
from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import all_pages, patch_ticket, problem, tickets_path

RANK = {"low": 1, "normal": 2, "medium": 3, "high": 4, "urgent": 5}


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


SORT_VALUE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "createdAt": lambda t: _when(t["createdAt"]),
    "updatedAt": lambda t: _when(t["updatedAt"]),
    "dueAt": lambda t: _when(t["dueAt"]),
    "priority": lambda t: RANK[t["priority"]],
    "ticketNumber": lambda t: t["ticketNumber"],
    "title": lambda t: t["title"],
    "status": lambda t: t["statusRef"]["sortOrder"],
}


def _encode(raw: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()


def test_cursor_pagination_through_60_tickets_in_pages_of_25(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    # The clock is frozen: every ticket shares one createdAt, so only the id breaks ties.
    created = {make_ticket(api, brand, title=f"ticket {i:02}")["id"] for i in range(60)}

    first = api.ok("get", tickets_path(brand), params={"limit": 25})
    second = api.ok(
        "get", tickets_path(brand), params={"limit": 25, "cursor": first["pagination"]["cursor"]}
    )
    third = api.ok(
        "get",
        tickets_path(brand),
        params={"limit": 25, "cursor": second["pagination"]["nextCursor"]},
    )

    pages = [first, second, third]
    assert [len(p["data"]) for p in pages] == [25, 25, 10]
    assert [p["pagination"]["hasMore"] for p in pages] == [True, True, False]
    for page in pages:
        assert page["pagination"]["cursor"] == page["pagination"]["nextCursor"]
    assert third["pagination"]["nextCursor"] is None
    assert first["pagination"]["nextCursor"] != second["pagination"]["nextCursor"]
    ids = [t["id"] for p in pages for t in p["data"]]
    assert len(ids) == len(set(ids)) == 60
    assert set(ids) == created
    assert len({t["createdAt"] for p in pages for t in p["data"]}) == 1


def test_pages_are_stable_when_tickets_arrive_between_requests(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    older = [make_ticket(api, brand)["id"] for _ in range(6)]
    first = api.ok("get", tickets_path(brand), params={"limit": 4})

    frozen_clock.advance(minutes=5)
    make_ticket(api, brand, title="newer, belongs before page one")
    rest = api.ok(
        "get", tickets_path(brand), params={"limit": 4, "cursor": first["pagination"]["cursor"]}
    )

    seen = [t["id"] for t in first["data"]] + [t["id"] for t in rest["data"]]
    assert sorted(seen) == sorted(older)
    assert rest["pagination"]["hasMore"] is False


def test_exactly_one_full_page_has_no_next_cursor(api: Api, brand: dict[str, Any]) -> None:
    for _ in range(3):
        make_ticket(api, brand)

    page = api.ok("get", tickets_path(brand), params={"limit": 3})

    assert len(page["data"]) == 3
    assert page["pagination"] == {"hasMore": False, "nextCursor": None, "cursor": None}


@pytest.fixture
def varied(api: Api, brand: dict[str, Any], frozen_clock: Any) -> list[dict[str, Any]]:
    """Eleven tickets whose every sortable field has ties (and some null due dates)."""
    make_status(api, brand, name="In Progress", key="in_progress")
    titles = ["delta", "alpha", "charlie", "alpha", "bravo", "echo", "delta", "bravo", "alpha"]
    titles += ["foxtrot", "charlie"]
    priorities = ["urgent", "low", "normal", "low", "high", "medium", "urgent", "normal"]
    priorities += ["low", "high", "normal"]
    keys = ["open", "closed", "in_progress", "pending", "open", "resolved", "in_progress"]
    keys += ["closed", "open", "pending", "open"]
    due = [None, "2026-03-01T10:00:00Z", None, "2026-02-01T10:00:00Z", "2026-03-01T10:00:00Z"]
    due += [None, "2026-01-20T08:00:00Z", None, "2026-02-01T10:00:00Z", None, None]
    tickets = []
    for i in range(11):
        ticket = make_ticket(
            api,
            brand,
            title=titles[i],
            priority=priorities[i],
            status=keys[i],
            **({"dueAt": due[i]} if due[i] else {}),
        )
        tickets.append(ticket)
        if i % 3 != 2:  # pairs of tickets share a createdAt
            frozen_clock.advance(seconds=30)
    # Updates in another order, some within the same instant.
    for i in [7, 2, 9, 0, 4]:
        frozen_clock.advance(seconds=10 if i != 9 else 0)
        patch_ticket(api, brand, tickets[i], body=f"touched {i}")
    return tickets


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", list(SORT_VALUE))
def test_every_sort_field_pages_in_order_without_gaps_or_duplicates(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]], sort: str, order: str
) -> None:
    params = {"sort": sort, "order": order}
    whole = api.ok("get", tickets_path(brand), params={**params, "limit": 100})["data"]

    pages = all_pages(api, tickets_path(brand), {**params, "limit": 3})

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    paged = [t["id"] for page in pages for t in page]
    assert paged == [t["id"] for t in whole]
    assert sorted(paged) == sorted(t["id"] for t in varied)
    values = [SORT_VALUE[sort](t) for t in whole]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), "nulls sort last"
    assert present == sorted(present, reverse=(order == "desc"))
    if sort != "ticketNumber":
        assert len(set(present)) < len(present), "the data set has ties for this field"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_due_at_sort_puts_tickets_without_due_date_last(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]], order: str
) -> None:
    pages = all_pages(api, tickets_path(brand), {"sort": "dueAt", "order": order, "limit": 2})

    due = [t["dueAt"] for page in pages for t in page]
    assert None not in due[:5]
    assert due[5:] == [None] * 6


def test_ticket_number_sort_follows_creation(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]]
) -> None:
    asc = all_pages(api, tickets_path(brand), {"sort": "ticketNumber", "order": "asc", "limit": 4})

    assert [t["ticketNumber"] for page in asc for t in page] == list(range(1001, 1012))


def test_priority_sorts_by_urgency_not_alphabetically(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]]
) -> None:
    page = api.ok("get", tickets_path(brand), params={"sort": "priority", "order": "desc"})

    order = list(dict.fromkeys(t["priority"] for t in page["data"]))
    assert order == ["urgent", "high", "medium", "normal", "low"]


def test_status_sorts_by_display_order(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]]
) -> None:
    page = api.ok("get", tickets_path(brand), params={"sort": "status", "order": "asc"})
    display = [s["key"] for s in api.ok("get", f"/brands/{brand['id']}/statuses")]

    order = list(dict.fromkeys(t["status"] for t in page["data"]))
    assert order == display


def test_paging_with_a_filter_keeps_the_filter(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]]
) -> None:
    pages = all_pages(api, tickets_path(brand), {"status": "active", "limit": 2})

    statuses = {t["status"] for page in pages for t in page}
    assert statuses == {"open", "pending", "in_progress"}
    assert sum(len(p) for p in pages) == 8


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "abc",
        _encode({"sort": "createdAt:desc"}),
        # Forged with this brand's query, so only the value, id or shape is wrong.
        ["/tickets:createdAt:desc", "yesterday", "tkt_x"],
        ["/tickets:createdAt:desc", "2026-01-01T00:00:00+00:00", 7],
        ["/tickets:createdAt:desc", "2026-01-01T00:00:00+00:00"],
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_malformed_cursor_is_400_invalid_cursor(
    api: Api, brand: dict[str, Any], cursor: str | list[Any]
) -> None:
    make_ticket(api, brand)
    if isinstance(cursor, list):
        cursor = _encode([brand["id"] + cursor[0], *cursor[1:]])

    response = api.get(tickets_path(brand), params={"cursor": cursor})

    body = problem(response, 400, "invalid_cursor")
    assert body["errors"][0]["field"] == "cursor"


FORGED = [
    ("title", ["title:desc", 5, "tkt_x"]),
    ("title", ["title:desc", "a\u0000b", "tkt_x"]),
    ("title", ["title:desc", "abc", "tkt_\u0000"]),
    ("title", ["title:desc", None, "tkt_x"]),
    ("ticketNumber", ["ticketNumber:desc", "abc", "tkt_x"]),
    ("ticketNumber", ["ticketNumber:desc", 10**30, "tkt_x"]),
    ("ticketNumber", ["ticketNumber:desc", True, "tkt_x"]),
    ("priority", ["priority:desc", "abc", "tkt_x"]),
    ("priority", ["priority:desc", 1.5, "tkt_x"]),
    ("priority", ["priority:desc", {"rank": 1}, "tkt_x"]),
    ("status", ["status:desc", "abc", "tkt_x"]),
    ("createdAt", ["createdAt:desc", "2026-01-01T00:00:00", "tkt_x"]),
    ("createdAt", ["createdAt:desc", 5, "tkt_x"]),
    ("createdAt", ["createdAt:desc", None, "tkt_x"]),
]


@pytest.mark.parametrize(("sort", "raw"), FORGED)
def test_forged_cursor_with_a_value_of_the_wrong_kind_is_400_not_a_server_error(
    api: Api, brand: dict[str, Any], sort: str, raw: list[Any]
) -> None:
    make_ticket(api, brand)

    forged = [f"{brand['id']}/tickets:{raw[0]}", *raw[1:]]
    response = api.get(tickets_path(brand), params={"cursor": _encode(forged), "sort": sort})

    problem(response, 400, "invalid_cursor")


def test_due_at_cursor_may_carry_null(
    api: Api, brand: dict[str, Any], varied: list[dict[str, Any]]
) -> None:
    # Issued when a page ends among the tickets without a due date.
    first = api.ok("get", tickets_path(brand), params={"sort": "dueAt", "limit": 7})
    assert first["data"][-1]["dueAt"] is None

    rest = api.ok(
        "get",
        tickets_path(brand),
        params={"sort": "dueAt", "limit": 7, "cursor": first["pagination"]["cursor"]},
    )

    assert [t["dueAt"] for t in rest["data"]] == [None] * 4


@pytest.mark.parametrize(
    "other", [{"sort": "title"}, {"sort": "createdAt", "order": "asc"}, {"sort": "updatedAt"}]
)
def test_cursor_from_another_sort_is_400_invalid_cursor(
    api: Api, brand: dict[str, Any], other: dict[str, str]
) -> None:
    for _ in range(3):
        make_ticket(api, brand)
    cursor = api.ok("get", tickets_path(brand), params={"limit": 1})["pagination"]["cursor"]
    assert cursor

    response = api.get(tickets_path(brand), params={"cursor": cursor, **other})

    problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize("listing", ["tickets", "contacts", "companies", "logs"])
def test_cursor_from_another_brand_of_the_account_is_400_invalid_cursor(
    api: Api, brand: dict[str, Any], listing: str
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Store"})
    for target in (brand, second):
        for i in range(2):
            make_ticket(api, target, customerEmail=f"c{i}@corp.local")
            api.ok("post", f"/brands/{target['id']}/companies", 201, json={"name": f"Co {i}"})
    page = api.ok("get", f"/brands/{brand['id']}/{listing}", params={"limit": 1})
    cursor = page["pagination"]["cursor"]
    assert cursor

    response = api.get(f"/brands/{second['id']}/{listing}", params={"cursor": cursor, "limit": 1})

    problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", list(SORT_VALUE))
def test_the_cross_brand_queue_merges_each_brands_pages_in_order(
    api: Api,
    session: Session,
    brand: dict[str, Any],
    varied: list[dict[str, Any]],
    sort: str,
    order: str,
) -> None:
    # Each brand's page is read through its own index and the pages are merged; the
    # second brand's priorities, titles and due dates interleave with the first's.
    second = api.ok("post", "/brands", 201, json={"name": "Acme Wholesale"})
    for t in varied[::2]:
        due = {"dueAt": t["dueAt"]} if t["dueAt"] else {}
        make_ticket(api, second, title=t["title"], priority=t["priority"], **due)
    key, _ = accounts.authenticate(session, api.key)
    actor = accounts.actor_for(key)

    seen: list[Any] = []
    cursor: str | None = None
    for _ in range(20):
        query = tickets.TicketQuery(sort=sort, order=order, cursor=cursor, limit=3)
        page, cursor = tickets.list_account_tickets(session, actor, query)
        seen += page
        if cursor is None:
            break

    assert sorted(t.id for t in seen) == sorted(
        [t["id"] for t in varied] + [t["id"] for t in api.ok("get", tickets_path(second))["data"]]
    )
    wire = [t.model_dump(mode="json", by_alias=True) for t in seen]
    values = [SORT_VALUE[sort](t) for t in wire]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present)), "nulls sort last"
    descending = order == "desc"
    for before, after in itertools.pairwise(wire):
        if SORT_VALUE[sort](before) == SORT_VALUE[sort](after):
            assert (before["id"] > after["id"]) is descending, "ties follow the id"
    assert present == sorted(present, reverse=descending)
