"""The dashboard's live stream (`/events`) over real HTTP: a uvicorn server and a worker
loop on a committed database, a signed-in browser's cookie, events read with httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.web.dashboard import live as dashboard_live
from dispatch.worker.runner import Worker
from tests.core.conftest import committed_database
from tests.stream.server import Frames, ThreadServer
from tests.web.conftest import PASSWORD, add_member, csrf_of
from tests.worker.helpers import TEST_CONFIG

__all__ = ["committed_database"]

pytestmark = pytest.mark.committed


@dataclass
class World:
    server: ThreadServer
    api: httpx.Client
    brand_id: str
    other_brand_id: str
    database: Database
    account_id: str

    def browser(self, email: str, brand_ids: list[str] | None = None) -> httpx.Client:
        """A member's browser, signed in through the sign-in form."""
        role = "owner" if brand_ids is None else "member"  # owners reach every brand
        add_member(self.database, self.account_id, email, role=role, brand_ids=brand_ids)
        browser = httpx.Client(base_url=self.server.base_url, timeout=httpx.Timeout(5.0))
        form = browser.get("/signin")
        signed_in = browser.post(
            "/signin",
            data={"csrf_token": csrf_of(form.text), "email": email, "password": PASSWORD},
        )
        assert signed_in.status_code == 303, signed_in.text
        return browser

    def ticket(self, brand_id: str, title: str = "Live") -> dict[str, Any]:
        created = self.api.post(f"/brands/{brand_id}/tickets", json={"title": title})
        assert created.status_code == 201, created.text
        return created.json()  # type: ignore[no-any-return]


@pytest.fixture
def world(committed_database: Database, tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        data_dir=tmp_path,
        rate_limit="100000/minute",
        stream_poll_seconds=0.05,
        stream_heartbeat_seconds=0.5,
    )
    with committed_database.session() as s:
        account, issued = accounts.create_account(s, name="Live dashboard")
        s.commit()
    server = ThreadServer(create_app(settings, committed_database), settings)
    worker = Worker(committed_database, TEST_CONFIG, name="dashboard-live")
    server.start()
    worker.start()
    try:
        with server.client(issued.secret) as api:
            first = api.post("/brands", json={"name": "First"}).json()["id"]
            second = api.post("/brands", json={"name": "Second"}).json()["id"]
            yield World(server, api, first, second, committed_database, account.id)
    finally:
        worker.stop()
        server.stop()


@contextmanager
def _stream(browser: httpx.Client, **params: str) -> Iterator[Frames]:
    headers = {"Last-Event-ID": params.pop("last_event_id")} if "last_event_id" in params else {}
    with browser.stream("GET", "/events", params=params, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        yield Frames(response)


def test_a_member_follows_a_brand_as_short_notices(world: World) -> None:
    browser = world.browser("agent@live.test")
    with _stream(browser, brand=world.brand_id) as frames:
        assert frames.next().retry == "3000"
        ticket = world.ticket(world.brand_id, "Printer on fire")
        created = frames.next_event()
        comment = world.api.post(
            f"/brands/{world.brand_id}/tickets/{ticket['id']}/comments", json={"body": "Hot"}
        )
        assert comment.status_code == 201, comment.text
        commented = next(f for f in iter(frames.next_event, None) if f.event == "comment.created")

    assert created.event == "ticket.created"
    assert created.id is not None
    assert created.id.startswith("evt_")
    assert json.loads(created.data or "") == {"brandId": world.brand_id, "ticketId": ticket["id"]}
    assert json.loads(commented.data or "")["ticketId"] == ticket["id"]


def test_all_inboxes_follows_only_the_brands_the_member_may_open(world: World) -> None:
    browser = world.browser("first-only@live.test", brand_ids=[world.brand_id])
    refused = browser.get("/events", params={"brand": world.other_brand_id})
    assert refused.status_code == 404

    with _stream(browser) as frames:
        frames.next()
        world.ticket(world.other_brand_id, "Not yours")
        mine = world.ticket(world.brand_id, "Yours")
        seen = frames.next_event()

    assert json.loads(seen.data or "")["ticketId"] == mine["id"]


def test_without_a_session_the_browser_is_told_to_stop_reconnecting(world: World) -> None:
    with httpx.Client(base_url=world.server.base_url, timeout=5.0) as anonymous:
        response = anonymous.get("/events")
    assert response.status_code == 204


def test_resuming_after_an_event_no_longer_kept_starts_now_with_a_resync(world: World) -> None:
    browser = world.browser("agent@live.test")
    with _stream(browser, last_event_id="evt_gone") as frames:
        first = frames.next()
        assert frames.next().retry == "3000"
        ticket = world.ticket(world.brand_id)
        after = frames.next_event()
    assert (first.event, first.data) == ("resync", "{}")
    assert json.loads(after.data or "")["ticketId"] == ticket["id"]


def test_signing_out_ends_the_stream(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard_live, "SESSION_CHECK_SECONDS", 0.1)
    browser = world.browser("agent@live.test")
    page = browser.get("/inbox")
    with _stream(browser) as frames:
        frames.next()
        signed_out = browser.post("/signout", data={"csrf_token": csrf_of(page.text)})
        assert signed_out.status_code == 303
        assert all(frame.event is None for frame in frames.until_end(timeout=5))
    assert browser.get("/events").status_code == 204
