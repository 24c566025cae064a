"""Cursor pagination: opaque cursors over (sort value, id) keysets."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import Field
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from dispatch.core.errors import DomainError
from dispatch.core.schemas import ApiModel

T = TypeVar("T")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class InvalidCursor(DomainError):
    status = 400
    code = "invalid_cursor"

    def __init__(self, reason: str = "The cursor is malformed or belongs to another query") -> None:
        super().__init__(reason, errors=[{"field": "cursor", "message": reason}])


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last row of a page: its sort value and id, tied to one sort."""

    sort: str
    value: Any
    id: str

    def encode(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        raw = json.dumps([self.sort, value, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, token: str, *, sort: str, datetime_value: bool) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            sort_key, value, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidCursor() from exc
        if sort_key != sort or not isinstance(row_id, str):
            raise InvalidCursor()
        if datetime_value and value is not None:
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise InvalidCursor() from exc
        elif value is not None and not isinstance(value, int | float | str):
            raise InvalidCursor()
        return cls(sort=sort_key, value=value, id=row_id)


def after_cursor(
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[str],
    cursor: Cursor,
    *,
    descending: bool,
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in ORDER BY column, id (NULLs sort last)."""
    if cursor.value is None:
        tail = id_column < cursor.id if descending else id_column > cursor.id
        return and_(column.is_(None), tail)
    beyond = column < cursor.value if descending else column > cursor.value
    same = and_(
        column == cursor.value, id_column < cursor.id if descending else id_column > cursor.id
    )
    return or_(beyond, same, column.is_(None))


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
