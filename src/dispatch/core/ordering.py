"""Display order of a brand's settings rows (categories, custom field definitions): move
one row to an index and number the order 0..n-1 again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar


class Ordered(Protocol):
    id: str
    sort_order: int
    updated_at: datetime


T = TypeVar("T", bound=Ordered)


def moved(order: Sequence[T], moving: T, index: int) -> list[T]:
    """`order` with `moving` taken out and put back at `index` (clamped to the ends)."""
    rest = [row for row in order if row.id != moving.id]
    index = max(0, min(index, len(rest)))
    return [*rest[:index], moving, *rest[index:]]


def renumber(order: Sequence[T], now: datetime) -> dict[str, tuple[int, int]]:
    """Number the display order 0..n-1; return the moves (old, new) by row id."""
    moves = {}
    for index, row in enumerate(order):
        if row.sort_order != index:
            moves[row.id] = (row.sort_order, index)
            row.sort_order = index
            row.updated_at = now
    return moves
