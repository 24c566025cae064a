"""Test harness: every test runs against a real, migrated database (SQLite or PostgreSQL,
chosen by DISPATCH_TEST_DATABASE) inside one outer transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, Connection, Engine, create_engine, delete, select, text
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core import clock
from dispatch.core import migrate as migrations
from dispatch.core.db import Database, make_engine
from dispatch.core.events import Event, EventInbox
from dispatch.settings import Settings

BACKEND = os.environ.get("DISPATCH_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = Settings(
    database_url=os.environ.get(
        "DISPATCH_TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
).database_url
# One database per pytest-xdist worker (gw0, gw1, ...), so workers never meet.
POSTGRES_DB = os.environ.get("DISPATCH_TEST_POSTGRES_DB", "dispatch_test") + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
)


# Begins the reason of every browser test skipped for want of chromium (tests/browser), and
# the summary line that counts them. The hook lives here, not in tests/browser/conftest.py:
# with pytest-xdist only the root conftest is loaded in the process that prints the summary.
BROWSER_SKIPPED = "BROWSER TESTS SKIPPED"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and BROWSER_SKIPPED in report.longrepr[2]
    ]
    if skipped:
        terminalreporter.write_sep(
            "!",
            f"{BROWSER_SKIPPED}: {len(skipped)} test(s), chromium not installed "
            "(apt-get install -y chromium)",
            red=True,
            bold=True,
        )


def _postgres_url(database: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


def _fresh_postgres() -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{POSTGRES_DB}"'))
    admin.dispose()
    return _postgres_url(POSTGRES_DB)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if BACKEND == "postgres":
        url = _fresh_postgres()
    elif BACKEND == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        raise pytest.UsageError(f"DISPATCH_TEST_DATABASE must be sqlite or postgres, not {BACKEND}")
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def database(connection: Connection) -> Database:
    return Database(connection)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.session() as s:
        yield s


def settings_in(data_dir: Path) -> Settings:
    """The settings tests run with: no rate limit in the way, API keys touched at once."""
    return Settings(data_dir=data_dir, rate_limit="100000/minute", api_key_touch_seconds=0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_in(tmp_path)


@pytest.fixture(scope="session")
def _shared_app(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Building the app (every route, the middleware) costs more than most tests: build it
    once and give each test its own settings and database through app.state."""
    base = Settings(data_dir=tmp_path_factory.mktemp("app"), rate_limit="100000/minute")
    app = create_app(base, Database(engine))
    return app, dict(vars(app.state)["_state"])


@pytest.fixture
def app(_shared_app: Any, settings: Settings, database: Database) -> Any:
    """The app with this test's settings and rolled-back database, and nothing left over
    on app.state from earlier tests. Tests needing other middleware settings (a small
    rate limit, say) build their own with create_app."""
    return bind_app(_shared_app, settings, database)


def bind_app(shared_app: Any, settings: Settings, database: Database) -> Any:
    """The shared app, serving `database` with `settings` and nothing else on app.state
    (for fixtures of a wider scope than a test's `app`)."""
    shared, initial_state = shared_app
    vars(shared.state)["_state"] = {**initial_state, "settings": settings, "database": database}
    return shared


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@dataclass
class Api:
    """A client for one API key: `api.post("/brands", json=...)` hits `/v1/brands`."""

    client: TestClient
    key: str
    account_id: str

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(f"/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.client.patch(f"/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.client.put(f"/v1{path}", headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        headers = self._headers(kw.pop("headers", None))
        return self.client.request("DELETE", f"/v1{path}", headers=headers, **kw)

    def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        """Call and assert the status; return the JSON body."""
        response = getattr(self, method)(path, **kw)
        assert response.status_code == status, response.text
        return response.json() if response.content else None


def _new_account(database: Database, name: str) -> tuple[str, str]:
    with database.session() as s:
        account, issued = accounts.create_account(s, name=name)
        s.commit()
        return account.id, issued.secret


@pytest.fixture
def api(client: TestClient, database: Database) -> Api:
    account_id, key = _new_account(database, "Acme")
    return Api(client, key, account_id)


@pytest.fixture
def other_api(client: TestClient, database: Database) -> Api:
    """A second, unrelated account."""
    account_id, key = _new_account(database, "Globex")
    return Api(client, key, account_id)


@pytest.fixture
def brand(api: Api) -> dict[str, Any]:
    return api.ok("post", "/brands", 201, json={"name": "Acme Store"})  # type: ignore[no-any-return]


@pytest.fixture
def other_brand(other_api: Api) -> dict[str, Any]:
    return other_api.ok("post", "/brands", 201, json={"name": "Globex Support"})  # type: ignore[no-any-return]


@pytest.fixture
def statuses(api: Api, brand: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The brand's statuses by key."""
    return {s["key"]: s for s in api.ok("get", f"/brands/{brand['id']}/statuses")}


def make_ticket(api: Api, brand: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {"title": "Cannot log in", "body": "The login page spins forever.", **overrides}
    return api.ok("post", f"/brands/{brand['id']}/tickets", 201, json=body)  # type: ignore[no-any-return]


def delete_events(conn: Connection | Session, where: ColumnElement[bool]) -> None:
    """Delete committed events (tests that commit clean up after themselves) and their
    inbox rows, which have no foreign key to cascade from (migration 0027)."""
    positions = select(Event.position).where(where)
    conn.execute(delete(EventInbox).where(EventInbox.position.in_(positions)))
    conn.execute(delete(Event).where(where))


def make_status(api: Api, brand: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {"name": "In Progress", "key": "in_progress", **overrides}
    return api.ok("post", f"/brands/{brand['id']}/statuses", 201, json=body)  # type: ignore[no-any-return]


@pytest.fixture
def frozen_clock() -> Iterator[Any]:
    from datetime import UTC, datetime, timedelta

    class Clock:
        def __init__(self) -> None:
            self.now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

        def advance(self, **delta: float) -> None:
            self.now += timedelta(**delta)

    fake = Clock()
    clock.set_clock(lambda: fake.now)
    yield fake
    clock.set_clock(None)
