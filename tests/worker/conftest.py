"""Fixtures of the worker tests: a scriptable receiver, a webhook pointing at it, and a
worker on the test's rolled-back database (driven one pass at a time)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.core.db import Database
from dispatch.webhooks import signing
from dispatch.webhooks.models import Webhook
from dispatch.worker.runner import Worker
from tests.conftest import Api
from tests.worker.helpers import TEST_CONFIG, add_webhook
from tests.worker.receiver import Receiver

SECRET = signing.generate_secret()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(SECRET) as r:
        yield r


@pytest.fixture
def webhook(session: Session, brand: dict[str, Any], receiver: Receiver) -> Webhook:
    return add_webhook(session, brand["id"], receiver.url, secret=SECRET)


@pytest.fixture
def worker(database: Database) -> Iterator[Worker]:
    w = Worker(database, TEST_CONFIG, name="test-worker")
    yield w
    w.close()


# --- Tests with real commits (threads and processes working on a shared database) ----------


@pytest.fixture
def committed_database(database_url: str) -> Iterator[Database]:
    """A Database on its own engine whose sessions really commit. Accounts created during
    the test (and everything under them: brands, webhooks, events, deliveries) are
    deleted afterwards."""
    from sqlalchemy import select

    from dispatch.accounts.models import Account
    from dispatch.core.db import make_engine
    from tests.core.conftest import purge_accounts

    engine = make_engine(database_url, pool_size=8)
    with engine.connect() as conn:
        before = set(conn.scalars(select(Account.id)))
    try:
        yield Database(engine)
    finally:
        with engine.begin() as conn:
            purge_accounts(conn, set(conn.scalars(select(Account.id))) - before)
        engine.dispose()


@dataclass
class Live:
    """An account with a brand and a webhook to a receiver, on a committed database, and an
    API client for it (requests commit)."""

    api: Api
    brand_id: str
    webhook_id: str
    database: Database

    def ticket(self, **body: Any) -> dict[str, Any]:
        payload = {"title": "Cannot log in", "body": "Spinning forever.", **body}
        created: dict[str, Any] = self.api.ok(
            "post", f"/brands/{self.brand_id}/tickets", 201, json=payload
        )
        return created


@pytest.fixture
def live(committed_database: Database, tmp_path: Path, receiver: Receiver) -> Iterator[Live]:
    from fastapi.testclient import TestClient

    from dispatch.accounts import service as accounts
    from dispatch.app import create_app
    from dispatch.settings import Settings

    settings = Settings(data_dir=tmp_path, rate_limit="100000/minute", webhooks_allow_private=True)
    app = create_app(settings, committed_database)
    with committed_database.session() as s:
        account, issued = accounts.create_account(s, name="Live")
        s.commit()
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, issued.secret, account.id)
        brand = api.ok("post", "/brands", 201, json={"name": "Live Brand"})
        with committed_database.session() as s:
            webhook = add_webhook(s, brand["id"], receiver.url, secret=SECRET)
        yield Live(api, brand["id"], webhook.id, committed_database)
