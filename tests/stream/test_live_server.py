"""The event stream over real HTTP: a uvicorn server (the protocol `dispatch serve` runs)
and a worker loop on a committed database, a client reading with httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.core.events import Event
from dispatch.settings import Settings
from dispatch.webhooks import payloads
from dispatch.worker.runner import Worker
from tests.e2e.conftest import wait_until
from tests.stream.server import Frames, ThreadServer
from tests.worker.helpers import TEST_CONFIG

pytestmark = pytest.mark.committed


@dataclass
class Live:
    server: ThreadServer
    database: Database
    api: httpx.Client
    other_api: httpx.Client
    brand_id: str

    @property
    def path(self) -> str:
        return f"/brands/{self.brand_id}/events/stream"

    @contextmanager
    def open(self, **kwargs: Any) -> Iterator[httpx.Response]:
        with self.api.stream("GET", self.path, **kwargs) as response:
            yield response

    def events(self) -> list[Event]:
        with self.database.session(write=False) as s:
            stmt = select(Event).where(Event.brand_id == self.brand_id).order_by(Event.position)
            return list(s.scalars(stmt))


@pytest.fixture
def live(committed_database: Database, tmp_path: Path) -> Iterator[Live]:
    settings = Settings(
        data_dir=tmp_path,
        rate_limit="100000/minute",
        stream_poll_seconds=0.05,
        stream_heartbeat_seconds=0.5,
    )
    with committed_database.session() as s:
        _account, issued = accounts.create_account(s, name="Live stream")
        _other, other = accounts.create_account(s, name="Other")
        s.commit()
    server = ThreadServer(create_app(settings, committed_database), settings)
    worker = Worker(committed_database, TEST_CONFIG, name="stream-live")
    server.start()
    worker.start()
    try:
        with server.client(issued.secret) as api, server.client(other.secret) as other_api:
            brand = api.post("/brands", json={"name": "Live Brand"})
            assert brand.status_code == 201, brand.text
            yield Live(server, committed_database, api, other_api, brand.json()["id"])
    finally:
        worker.stop()
        server.stop()


def test_a_client_gets_events_live_and_resumes_right_after_the_last_one(live: Live) -> None:
    with live.open() as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        frames = Frames(response)
        assert frames.next().retry == "3000"
        ticket = live.api.post(f"/brands/{live.brand_id}/tickets", json={"title": "Live"})
        assert ticket.status_code == 201, ticket.text
        created = frames.next_event()
    (event,) = live.events()
    assert (created.id, created.event) == (event.id, "ticket.created")
    assert created.data == payloads.render(event).decode()
    assert json.loads(created.data)["data"]["id"] == ticket.json()["id"]

    renamed = live.api.patch(
        f"/brands/{live.brand_id}/tickets/{ticket.json()['id']}", json={"title": "Renamed"}
    )
    assert renamed.status_code == 200, renamed.text
    _created, updated = live.events()
    resumes = [{"headers": {"Last-Event-ID": created.id}}, {"params": {"lastEventId": created.id}}]
    for resume in resumes:
        with live.open(**resume) as response:
            frames = Frames(response)
            assert frames.next().retry == "3000"
            after = frames.next_event()
            assert (after.id, after.event) == (updated.id, "ticket.updated")
            # Nothing more (no repeat): the next frame is a keep-alive comment.
            assert frames.next().comment == "keep-alive"


def test_another_accounts_key_is_not_found(live: Live) -> None:
    response = live.other_api.get(live.path)
    assert response.status_code == 404
    assert response.json()["code"] == "brand_not_found"


def test_the_stream_ends_when_the_client_goes_away(live: Live) -> None:
    with live.open() as response:
        assert Frames(response).next().retry == "3000"
        assert live.server.requests_running == 1
    assert wait_until(lambda: live.server.requests_running == 0)


def test_the_stream_ends_when_the_server_stops(live: Live) -> None:
    with live.open() as response:
        frames = Frames(response)
        assert frames.next().retry == "3000"
        live.server.request_stop()
        assert all(frame.event is None for frame in frames.until_end(timeout=5))
    assert live.server.stopped()
