"""Small helpers shared by the ticket and activity-log tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import dispatch.models  # noqa: F401 - every table, for committed_brand's clean-up
from dispatch.accounts import service as accounts
from dispatch.accounts.models import Account
from dispatch.audit.models import AuditLog
from dispatch.brands import service as brands
from dispatch.brands.schemas import BrandCreate
from dispatch.core.actor import Actor
from dispatch.core.db import Base, Database, make_engine
from dispatch.core.events import Event
from dispatch.statuses import counts
from dispatch.tickets import repository as tickets_repository
from dispatch.tickets.models import Ticket
from tests.conftest import Api, delete_events

T = TypeVar("T")

PROBLEM_KEYS = {"type", "title", "status", "detail", "message", "code", "requestId"}


def tickets_path(brand: dict[str, Any]) -> str:
    return f"/brands/{brand['id']}/tickets"


def ticket_path(brand: dict[str, Any], ticket: dict[str, Any] | str) -> str:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    return f"{tickets_path(brand)}/{ticket_id}"


def get_ticket(api: Api, brand: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    return api.ok("get", ticket_path(brand, ticket))  # type: ignore[no-any-return]


def patch_ticket(
    api: Api, brand: dict[str, Any], ticket: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    return api.ok("patch", ticket_path(brand, ticket), json=changes)  # type: ignore[no-any-return]


def add_member(api: Api, email: str, name: str = "Team member") -> dict[str, Any]:
    body = {"email": email, "name": name, "role": "member"}
    return api.ok("post", "/accounts/me/members", 201, json=body)  # type: ignore[no-any-return]


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an error response in the API's error format and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["message"], str)
    assert body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    """The fields a validation error names (each entry must carry a message)."""
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        assert set(error) >= {"field", "message"}, error
        assert error["message"]
    return [error["field"] for error in errors]


def events_of(session: Session, ticket_id: str) -> list[Event]:
    """The outbox rows of one ticket, in the order they were written."""
    session.expire_all()
    stmt = select(Event).where(Event.ticket_id == ticket_id).order_by(Event.position)
    return list(session.scalars(stmt))


def event_types(session: Session, ticket_id: str) -> list[str]:
    return [e.type for e in events_of(session, ticket_id)]


def events_of_brand(session: Session, brand_id: str) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.brand_id == brand_id).order_by(Event.position)
    return list(session.scalars(stmt))


def log_rows_of_brand(session: Session, brand_id: str) -> list[AuditLog]:
    session.expire_all()
    stmt = select(AuditLog).where(AuditLog.brand_id == brand_id).order_by(AuditLog.created_at)
    return list(session.scalars(stmt))


def all_pages(api: Api, path: str, params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Follow `nextCursor` to the end; return the pages."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(200):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.ok("get", path, params=query)
        info = page["pagination"]
        assert info["cursor"] == info["nextCursor"]
        assert info["hasMore"] is (info["nextCursor"] is not None)
        pages.append(page["data"])
        cursor = info["nextCursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination did not end")


# --- ticket data: contacts, taxonomy, spam, merge, bulk, search ---------------------------


def listed_ids(api: Api, brand: dict[str, Any], **params: Any) -> list[str]:
    """Ids of the tickets a list request returns (first page of up to 100)."""
    page = api.ok("get", tickets_path(brand), params={"limit": 100, **params})
    return [t["id"] for t in page["data"]]


def ticket_logs(api: Api, brand: dict[str, Any], ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return api.ok("get", f"{ticket_path(brand, ticket)}/logs")  # type: ignore[no-any-return]


def ticket_rows(session: Session, brand_id: str) -> int:
    """Ticket rows of the brand, deleted ones included."""
    session.expire_all()
    stmt = select(func.count()).select_from(Ticket).where(Ticket.brand_id == brand_id)
    return int(session.scalar(stmt) or 0)


def assert_counts_agree(session: Session, brand_id: str) -> dict[str, int]:
    """The kept status counts equal the counts recomputed from the tickets; returns them."""
    session.expire_all()
    kept = {status_id: n for status_id, n in counts.read(session, brand_id).items() if n}
    assert kept == tickets_repository.count_by_status(session, brand_id)
    return kept


@contextmanager
def committed_brand(database_url: str) -> Iterator[tuple[Database, Actor, str]]:
    """An account and brand committed for real on an engine of their own (for tests of
    concurrent requests, and of numbers PostgreSQL takes outside the transaction), and
    everything of theirs removed afterwards."""
    database = Database(make_engine(database_url, pool_size=4))
    with database.session() as s:
        account, issued = accounts.create_account(s, name="Committed")
        actor = accounts.actor_for(issued.record)
        brand = brands.create_brand(s, actor, BrandCreate.model_validate({"name": "Committed"}))
        s.commit()
        account_id, brand_id = account.id, brand.id
    try:
        yield database, actor, brand_id
    finally:
        with database.session() as s:
            delete_events(s, Event.brand_id == brand_id)
            tables = list(reversed(Base.metadata.sorted_tables))
            for table in tables:
                if "brand_id" in table.c:
                    s.execute(table.delete().where(table.c.brand_id == brand_id))
            for table in tables:
                if "account_id" in table.c:
                    s.execute(table.delete().where(table.c.account_id == account_id))
            s.execute(delete(Account).where(Account.id == account_id))
            s.commit()
        database.dispose()


def pausing_after_first_call(function: Callable[..., T], others: int = 1) -> Callable[..., T]:
    """`function`, except that each thread, after its first call, waits until `others`
    more threads have made theirs (at most two seconds): lines concurrent requests up so
    each holds what it took first while the others take theirs."""
    all_started = threading.Barrier(others + 1, timeout=2)
    paused = threading.local()

    def wrapper(*args: Any, **kwargs: Any) -> T:
        result = function(*args, **kwargs)
        if not getattr(paused, "done", False):
            paused.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                all_started.wait()
        return result

    return wrapper
