"""Cursor pagination: opaque cursors over (sort value, id) keysets, and the `Link` header
of lists that answer a plain array."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import Field
from pydantic_core import to_json
from sqlalchemy import BigInteger, ColumnElement, Integer, SmallInteger, and_, or_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator
from starlette.datastructures import URL
from starlette.responses import Response

from dispatch.core.errors import DomainError
from dispatch.core.schemas import ApiModel

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class InvalidCursor(DomainError):
    status = 400
    code = "invalid_cursor"

    def __init__(self, reason: str = "The cursor is malformed or belongs to another query") -> None:
        super().__init__(reason, errors=[{"field": "cursor", "message": reason}])


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last row of a page: its sort value and id, tied to one query.

    `query` names what is paged and how, scope included (`"<brandId>/tickets:createdAt:desc"`):
    a cursor is refused by any other query, another brand's or another webhook's too."""

    query: str
    value: Any
    id: str

    def encode(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        raw = json.dumps([self.query, value, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, token: str, *, query: str, datetime_value: bool) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            query_key, value, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidCursor() from exc
        if query_key != query or not isinstance(row_id, str) or not row_id or "\x00" in row_id:
            raise InvalidCursor()
        if datetime_value and value is not None:
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise InvalidCursor() from exc
            if value.tzinfo is None:
                raise InvalidCursor()
        elif value is not None and not isinstance(value, int | float | str):
            raise InvalidCursor()
        return cls(query=query_key, value=value, id=row_id)


def _integer_bits(column_type: Any) -> int:
    if isinstance(column_type, SmallInteger):
        return 16
    if isinstance(column_type, BigInteger):
        return 64
    return 32 if isinstance(column_type, Integer) else 64


def _check_value_type(column: ColumnElement[Any] | InstrumentedAttribute[Any], value: Any) -> None:
    """A cursor is client input: its value must fit the column it is compared with, or the
    database (or a bind processor) fails on it and the client sees a 500 instead of a 400."""
    if value is None:
        if not getattr(column, "nullable", True):
            raise InvalidCursor()
        return
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    try:
        expected = column_type.python_type
    except NotImplementedError:
        return
    if isinstance(value, bool):
        fits = expected is bool
    elif expected is datetime:
        fits = isinstance(value, datetime) and value.tzinfo is not None
    elif expected is int:
        bits = _integer_bits(column_type)
        fits = isinstance(value, int) and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    elif expected in (float, Decimal):
        fits = isinstance(value, int | float) and math.isfinite(value)
    elif expected is str:
        # PostgreSQL text cannot hold NUL.
        fits = isinstance(value, str) and "\x00" not in value
    else:
        fits = True
    if not fits:
        raise InvalidCursor()


def after_cursor(
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[str],
    cursor: Cursor,
    *,
    descending: bool,
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in ORDER BY column, id (NULLs sort last)."""
    _check_value_type(column, cursor.value)
    if cursor.value is None:
        tail = id_column < cursor.id if descending else id_column > cursor.id
        return and_(column.is_(None), tail)
    beyond = column < cursor.value if descending else column > cursor.value
    same = and_(
        column == cursor.value, id_column < cursor.id if descending else id_column > cursor.id
    )
    return or_(beyond, same, column.is_(None))


def split_page(
    rows: Sequence[R], limit: int, cursor_after: Callable[[R], Cursor]
) -> tuple[list[R], str | None]:
    """The page (the first `limit` of `rows`, which were fetched with one more to tell
    whether more follow) and the encoded cursor after its last row, None on the last page."""
    page = list(rows[:limit])
    if len(rows) > limit and page:
        return page, cursor_after(page[-1]).encode()
    return page, None


def next_page_link(url: URL, next_cursor: str) -> str:
    """The RFC 8288 `Link` header value naming the next page of a list answered as a plain
    array: the request's URL with the same query parameters but `cursor=next_cursor`."""
    return f'<{url.include_query_params(cursor=next_cursor)}>; rel="next"'


def array_page(url: URL, items: Sequence[Any], next_cursor: str | None) -> Response:
    """A page answered as a plain JSON array, with the `Link` to the next page if any."""
    response = Response(to_json(items, by_alias=True), media_type="application/json")
    if next_cursor is not None:
        response.headers["Link"] = next_page_link(url, next_cursor)
    return response


# The header as a route documents it: `responses={200: {"headers": NEXT_PAGE_LINK_HEADER}}`.
NEXT_PAGE_LINK_HEADER: dict[str, Any] = {
    "Link": {
        "description": 'The next page, while there is one: `<URL>; rel="next"`',
        "schema": {"type": "string"},
    }
}


class PageInfo(ApiModel):
    has_more: bool
    next_cursor: str | None
    # The reference SDK reads `cursor`; the dashboard reads `nextCursor`. Both carry the same value.
    cursor: str | None


class Page(ApiModel, Generic[T]):
    data: list[T]
    pagination: PageInfo

    @classmethod
    def build(cls, items: list[T], next_cursor: str | None) -> Page[T]:
        info = PageInfo(
            has_more=next_cursor is not None, next_cursor=next_cursor, cursor=next_cursor
        )
        return cls(data=items, pagination=info)


LimitField = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
