"""Cursor pagination: opaque cursors that round-trip, refuse tampering, and page exactly."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    create_engine,
    select,
)
from starlette.datastructures import URL

from dispatch.core.pagination import Cursor, InvalidCursor, Page, after_cursor, next_page_link
from dispatch.core.types import UTCDateTime
from tests.conftest import Api, make_ticket

WHEN = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def raw_token(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


# --- Encode / decode ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "datetime_value"),
    [
        (1042, False),
        (0, False),
        (-5, False),
        (2.5, False),
        ("Printer on fire", False),
        ('ünïcödé / 日本 "quoted"', False),
        ("", False),
        (None, False),
        (WHEN, True),
        (None, True),
    ],
)
def test_cursor_round_trips(value: Any, datetime_value: bool) -> None:
    cursor = Cursor(query="createdAt:desc", value=value, id="tkt_abc")
    decoded = Cursor.decode(cursor.encode(), query="createdAt:desc", datetime_value=datetime_value)
    assert decoded == cursor


def test_datetime_cursor_keeps_the_instant_in_another_zone() -> None:
    plus_two = WHEN.astimezone(timezone(timedelta(hours=2)))
    token = Cursor(query="s", value=plus_two, id="x").encode()
    decoded = Cursor.decode(token, query="s", datetime_value=True).value
    assert decoded == WHEN
    assert decoded.utcoffset() == timedelta(hours=2)


def test_cursor_token_is_url_safe_without_padding() -> None:
    for n in range(1, 40):
        token = Cursor(query="createdAt:desc", value="?" * n, id="tkt_" + ">" * n).encode()
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token


def test_cursor_is_tied_to_its_sort() -> None:
    token = Cursor(query="createdAt:desc", value=WHEN, id="t").encode()
    with pytest.raises(InvalidCursor):
        Cursor.decode(token, query="createdAt:asc", datetime_value=True)
    with pytest.raises(InvalidCursor):
        Cursor.decode(token, query="title:desc", datetime_value=False)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-cursor", id="garbage"),
        pytest.param("%%%%", id="not-base64"),
        pytest.param("a", id="truncated"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe").decode(), id="not-utf8"),
        pytest.param(raw_token({"sort": "s"}), id="object"),
        pytest.param(raw_token(["s", 1]), id="two-items"),
        pytest.param(raw_token(["s", 1, "id", "x"]), id="four-items"),
        pytest.param(raw_token(["s", 1, 7]), id="id-not-a-string"),
        pytest.param(raw_token(["s", 1, None]), id="id-null"),
        pytest.param(raw_token(["s", 1, ""]), id="id-empty"),
        pytest.param(raw_token(["s", 1, "tkt\u0000"]), id="id-with-nul"),
        pytest.param(raw_token(["s", [1, 2], "id"]), id="value-list"),
        pytest.param(raw_token(["s", {"a": 1}, "id"]), id="value-object"),
        pytest.param(raw_token("s"), id="string"),
    ],
)
def test_malformed_cursor_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(token, query="s", datetime_value=False)


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01T00:00:00+00:00", 1700000000, "2026-03-01T12:00:00"],
    ids=["words", "month-13", "epoch-number", "naive"],
)
def test_datetime_cursor_with_a_bad_or_naive_date_is_refused(value: Any) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.decode(raw_token(["s", value, "id"]), query="s", datetime_value=True)


def test_invalid_cursor_is_a_400_naming_the_cursor_field() -> None:
    error = InvalidCursor()
    assert error.status == 400
    assert error.code == "invalid_cursor"
    assert error.errors == [{"field": "cursor", "message": error.message}]


def test_page_reports_the_next_cursor_under_both_names() -> None:
    more = Page[int].build([1, 2], "abc").model_dump(by_alias=True)
    assert more == {
        "data": [1, 2],
        "pagination": {"hasMore": True, "nextCursor": "abc", "cursor": "abc"},
    }
    last = Page[int].build([3], None).model_dump(by_alias=True)
    assert last["pagination"] == {"hasMore": False, "nextCursor": None, "cursor": None}


def test_the_next_page_link_keeps_the_query_and_replaces_the_cursor() -> None:
    url = URL("https://help.example.com/v1/x/deliveries?status=FAILED&cursor=old&limit=2&e=a&e=b")

    link = next_page_link(url, "bmV4dA")

    assert link == (
        "<https://help.example.com/v1/x/deliveries?status=FAILED&limit=2&e=a&e=b&cursor=bmV4dA>;"
        ' rel="next"'
    )
    first = URL("/v1/x/deliveries")
    assert next_page_link(first, "bmV4dA") == '</v1/x/deliveries?cursor=bmV4dA>; rel="next"'


# --- Keyset paging against a real query ---------------------------------------------------

meta = MetaData()
rows_table = Table(
    "rows",
    meta,
    Column("id", String, primary_key=True),
    Column("rank", Integer, nullable=True),
    Column("at", UTCDateTime(), nullable=True),
)


def page_through(conn: Any, column: Any, *, descending: bool, limit: int) -> list[str]:
    seen: list[str] = []
    cursor: Cursor | None = None
    for _ in range(100):
        stmt = select(rows_table)
        if cursor is not None:
            stmt = stmt.where(after_cursor(column, rows_table.c.id, cursor, descending=descending))
        direction = column.desc() if descending else column.asc()
        id_order = rows_table.c.id.desc() if descending else rows_table.c.id.asc()
        page = list(conn.execute(stmt.order_by(direction.nulls_last(), id_order).limit(limit)))
        seen.extend(r.id for r in page)
        if len(page) < limit:
            return seen
        last = page[-1]
        cursor = Cursor(query="s", value=getattr(last, column.name), id=last.id)
    raise AssertionError("paging did not finish")


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
@pytest.mark.parametrize("column_name", ["rank", "at"])
def test_keyset_paging_visits_every_row_once_in_order(
    descending: bool, limit: int, column_name: str
) -> None:
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    ranks = [3, 1, None, 3, 2, None, 1, 3, 5, None, 2, 2]
    with engine.begin() as conn:
        conn.execute(
            rows_table.insert(),
            [
                {
                    "id": f"r{i:02d}",
                    "rank": rank,
                    "at": None if rank is None else WHEN + timedelta(minutes=rank),
                }
                for i, rank in enumerate(ranks)
            ],
        )
        column = rows_table.c[column_name]
        direction = column.desc() if descending else column.asc()
        id_order = rows_table.c.id.desc() if descending else rows_table.c.id.asc()
        expected = [
            r.id
            for r in conn.execute(select(rows_table).order_by(direction.nulls_last(), id_order))
        ]
        assert page_through(conn, column, descending=descending, limit=limit) == expected
    engine.dispose()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (rows_table.c.rank, "three"),
        (rows_table.c.rank, 2.5),
        (rows_table.c.rank, True),
        (rows_table.c.id, 5),
        (rows_table.c.id, "nul\x00byte"),
        (rows_table.c.rank, 2**31),
        (rows_table.c.rank, -(2**31) - 1),
        (Column("small", SmallInteger), 2**15),
        (Column("big", BigInteger), 2**63),
        (rows_table.c.at, "2026-01-01"),
        (rows_table.c.at, datetime(2026, 1, 1)),  # noqa: DTZ001 - naive on purpose
        (Column("x", DateTime(timezone=True)), 17),
    ],
)
def test_cursor_value_of_the_wrong_type_for_the_column_is_refused(column: Any, value: Any) -> None:
    with pytest.raises(InvalidCursor):
        after_cursor(column, rows_table.c.id, Cursor("s", value, "id"), descending=False)


# --- Through the API ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("createdAt", "2026-03-01T12:00:00"),
        ("createdAt", 17),
        ("ticketNumber", "abc"),
        ("ticketNumber", 1.5),
        ("priority", "urgent"),
        ("title", 3),
        ("title", "nul\u0000"),
        ("ticketNumber", 2**40),
        ("status", "open"),
    ],
)
def test_tampered_cursor_is_400_not_500(
    api: Api, brand: dict[str, Any], sort: str, value: Any
) -> None:
    make_ticket(api, brand)
    token = raw_token([f"{brand['id']}/tickets:{sort}:desc", value, "tkt_x"])
    response = api.get(f"/brands/{brand['id']}/tickets", params={"sort": sort, "cursor": token})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_cursor"


def test_cursor_pages_through_tickets_without_gaps_or_repeats(
    api: Api, brand: dict[str, Any]
) -> None:
    created = {make_ticket(api, brand, title=f"T{i}")["id"] for i in range(7)}
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = api.ok("get", f"/brands/{brand['id']}/tickets", params=params)
        seen += [t["id"] for t in page["data"]]
        assert page["pagination"]["nextCursor"] == page["pagination"]["cursor"]
        if not page["pagination"]["hasMore"]:
            break
        params["cursor"] = page["pagination"]["nextCursor"]
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == created
