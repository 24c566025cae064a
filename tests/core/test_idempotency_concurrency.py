"""Two identical requests with one Idempotency-Key at the same moment: one ticket, one answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core import idempotency
from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket


@pytest.mark.committed
def test_concurrent_duplicates_create_one_ticket_and_get_identical_responses(
    committed_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = committed_database
    with db.session() as s:
        account, issued = accounts.create_account(s, name="Race")
        # Two keys of one account: idempotency is per account, and separate keys keep the
        # two requests from queueing on one key's lastUsedAt row.
        second = accounts.issue_key(s, account.id, name="Second")
        s.commit()
    settings = Settings(data_dir=tmp_path, rate_limit="100000/minute")
    app = create_app(settings, db)

    if db.dialect == "postgresql":
        # Hold both requests after their idempotency lookup, so both find nothing stored
        # and race to create. (SQLite serialises writers from their first statement; there
        # the second request finds the first one's record, which this test checks too.)
        barrier = threading.Barrier(2)
        original = idempotency.check

        def check_then_meet(session: Any, pending: idempotency.PendingKey) -> None:
            original(session, pending)
            barrier.wait(timeout=20)

        monkeypatch.setattr(idempotency, "check", check_then_meet)

    with TestClient(app) as first, TestClient(app) as other:
        auth = {"Authorization": f"Bearer {issued.secret}"}
        brand = first.post("/v1/brands", json={"name": "Race Shop"}, headers=auth).json()
        path = f"/v1/brands/{brand['id']}/tickets"
        body = {"title": "Charged twice", "priority": "urgent"}

        def send(client: TestClient, key: str) -> Any:
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "pay-7"}
            return client.post(path, json=body, headers=headers)

        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [
                pool.submit(send, first, issued.secret),
                pool.submit(send, other, second.secret),
            ]
            responses = [f.result(timeout=60) for f in futures]

    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].content == responses[1].content
    replayed = [r.headers.get("idempotent-replayed") for r in responses]
    assert sorted(replayed, key=str) == sorted([None, "true"], key=str)
    with db.session(write=False) as s:
        count = s.scalar(select(func.count()).where(Ticket.brand_id == brand["id"]))
    assert count == 1
