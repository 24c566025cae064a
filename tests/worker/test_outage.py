"""A database outage (PostgreSQL behind a TCP proxy the test cuts and restores): the API
answers 503 in the error format meanwhile and recovers by itself; the worker waits the
outage out, records what it sent, and delivers everything committed."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.webhooks.models import WebhookDelivery
from dispatch.worker.runner import Worker
from tests.conftest import BACKEND, Api
from tests.worker.conftest import Live
from tests.worker.helpers import TEST_CONFIG
from tests.worker.proxy import TcpProxy
from tests.worker.receiver import Receiver, Reply

pytestmark = [
    pytest.mark.committed,
    pytest.mark.skipif(BACKEND != "postgres", reason="a server to lose: PostgreSQL only"),
]


def _assert_unavailable(response: object) -> None:
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/json")  # type: ignore[attr-defined]
    assert response.headers["retry-after"]  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "database_unavailable"
    assert body["status"] == 503
    assert body["message"]
    assert body["requestId"]


def test_api_answers_503_while_the_database_is_down_and_recovers_by_itself(
    committed_database: Database, database_url: str, tmp_path: Path
) -> None:
    with committed_database.session() as s:
        account, issued = accounts.create_account(s, name="Outage")
        s.commit()
    with TcpProxy.for_url(database_url) as proxy:
        proxied = Database.from_url(proxy.url(database_url), pool_size=2)
        app = create_app(Settings(data_dir=tmp_path, rate_limit="100000/minute"), proxied)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                api = Api(client, issued.secret, account.id)
                brand = api.ok("post", "/brands", 201, json={"name": "Outage"})
                tickets = f"/brands/{brand['id']}/tickets"

                proxy.cut()
                _assert_unavailable(api.get(tickets))
                _assert_unavailable(api.post(tickets, json={"title": "Lost?", "body": "B"}))
                _assert_unavailable(client.get("/health"))

                proxy.restore()
                assert api.get(tickets).status_code == 200
                api.ok("post", tickets, 201, json={"title": "Back", "body": "B"})
                assert [t["title"] for t in api.ok("get", tickets)["data"]] == ["Back"]
        finally:
            proxied.dispose()


def test_worker_waits_out_an_outage_then_records_and_delivers_everything(
    live: Live, receiver: Receiver, database_url: str
) -> None:
    hold = threading.Event()
    receiver.script(Reply(200, hold=hold))
    with TcpProxy.for_url(database_url) as proxy:
        url = proxy.url(database_url)
        worker = Worker(
            Database.from_url(url, pool_size=4),
            replace(TEST_CONFIG, timeout=10.0),
            database_url=url,
            owns_database=True,
        )
        worker.start()
        try:
            assert worker.wait_listening(5)
            live.ticket(title="Before")
            receiver.wait_for(1)  # held by the receiver: the outcome is not recorded yet
            proxy.cut()
            hold.set()  # answered during the outage: recording must wait for the database
            for i in range(5):
                live.ticket(title=f"During {i}")  # committed directly, not through the proxy
            time.sleep(0.5)
            assert len(receiver.received) == 1  # the worker cannot see them yet
            proxy.restore()
            received = receiver.wait_for(6, timeout=20)
        finally:
            worker.stop()
    assert len({r.webhook_id for r in received}) == 6
    with live.database.session(write=False) as s:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == live.webhook_id)
        deliveries = list(s.scalars(stmt))
    assert len(deliveries) == 6
    assert {d.status for d in deliveries} == {"SUCCESS"}
    assert all(d.attempts == 1 for d in deliveries)
