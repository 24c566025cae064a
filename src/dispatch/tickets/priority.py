"""Ticket priorities: names on the wire, ranks in the database so they sort by urgency."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Dialect, SmallInteger
from sqlalchemy.types import TypeDecorator

Priority = Literal["low", "normal", "medium", "high", "urgent"]
RANKS: dict[str, int] = {"low": 10, "normal": 20, "medium": 30, "high": 40, "urgent": 50}
NAMES = {rank: name for name, rank in RANKS.items()}
DEFAULT_PRIORITY: Priority = "normal"


class PriorityType(TypeDecorator[str]):
    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        return RANKS[value]

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else NAMES[int(value)]
