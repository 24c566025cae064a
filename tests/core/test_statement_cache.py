"""Every statement of the writes every channel makes most is compiled once per process:
from the second time on, SQLAlchemy finds it in its cache. A statement it cannot cache
(rows inlined with `.values([...])`, say) is compiled on every write: the events and
their inbox rows once cost an eighth of the server's CPU that way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine.default import CACHE_HIT

from dispatch.settings import Settings
from tests.conftest import Api, make_ticket


@contextmanager
def uncached(connection: Connection) -> Iterator[list[str]]:
    """The statements run meanwhile that SQLAlchemy compiled anew (SQL the driver is
    handed as is has nothing to compile; the savepoints are the test harness's, each
    request running in one)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _m: Any) -> None:
        compiled = context is not None and context.compiled is not None
        if compiled and context.cache_hit != CACHE_HIT and "SAVEPOINT" not in statement:
            seen.append(f"{context.cache_hit}: {statement.strip()[:160]}")

    event.listen(connection, "after_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "after_cursor_execute", record)


def _writes(api: Api, brand: dict[str, Any], n: int) -> None:
    """A ticket with a new contact, a public reply, a status change."""
    ticket = make_ticket(api, brand, customerEmail=f"cache{n}@corp.local", customerName="C")
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    api.ok("post", f"{path}/comments", 201, json={"body": "On it.", "authorType": "AGENT"})
    api.ok("patch", path, json={"status": "pending"})
    api.ok("patch", path, json={"status": "open"})


def test_the_hot_writes_run_only_statements_compiled_before(
    api: Api, brand: dict[str, Any], settings: Settings, connection: Connection
) -> None:
    settings.api_key_touch_seconds = 3600
    _writes(api, brand, 1)
    with uncached(connection) as compiled_anew:
        _writes(api, brand, 2)
    assert compiled_anew == []
