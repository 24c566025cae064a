"""`live.frames`, the stream's loop, driven directly: a reader far behind catches up batch
after batch without waiting; the stream ends when the client has gone and when the
database fails (the client then resumes from its last id)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.stream import live, repository, service, sse
from dispatch.stream.service import Cursor
from tests.asyncio_run import run_to_completion
from tests.stream.conftest import World

IDLE = live.Pace(poll_seconds=30.0, heartbeat_seconds=60.0)


async def _connected() -> bool:
    return False


async def _gone() -> bool:
    return True


async def _take(database: Database, world: World, cursor: Cursor, count: int) -> list[str]:
    """The first `count` frames of a stream that is never disconnected."""
    frames: list[str] = []
    stream = live.frames(
        database, world.key, cursor, pace=IDLE, disconnected=_connected, stopping=asyncio.Event()
    )
    async for frame in stream:
        frames.append(frame)
        if len(frames) == count:
            break
    await stream.aclose()
    return frames


def test_a_reader_far_behind_catches_up_without_waiting(world: World, database: Database) -> None:
    cursor = service.start(world.session, world.key, [world.brand.id], None)
    backlog = 2 * service.BATCH + 5
    repository.add(
        world.session,
        [
            {
                "seq": cursor.seq + n,
                "event_id": f"evt_backlog{n}",
                "brand_id": world.brand.id,
                "type": "ticket.updated",
                "payload": f'{{"n":{n}}}',
                "appended_at": clock.now(),
            }
            for n in range(1, backlog + 1)
        ],
    )
    repository.move_head(world.session, cursor.seq + backlog)
    world.session.commit()

    # Polls are 30 seconds apart: only reading on at once after a full batch is this fast.
    frames = run_to_completion(asyncio.wait_for(_take(database, world, cursor, backlog + 1), 10))
    assert frames[0] == sse.retry(IDLE.retry_milliseconds)
    assert frames[1] == 'id: evt_backlog1\nevent: ticket.updated\ndata: {"n":1}\n\n'
    assert [frame.split("\n")[0] for frame in frames[1:]] == [
        f"id: evt_backlog{n}" for n in range(1, backlog + 1)
    ]


def test_the_stream_ends_when_the_client_has_gone(world: World, database: Database) -> None:
    cursor = service.start(world.session, world.key, [world.brand.id], None)

    async def run() -> list[str]:
        stream = live.frames(
            database, world.key, cursor, pace=IDLE, disconnected=_gone, stopping=asyncio.Event()
        )
        return [frame async for frame in stream]

    assert run_to_completion(asyncio.wait_for(run(), 5)) == [sse.retry(IDLE.retry_milliseconds)]


def test_the_stream_ends_when_the_database_fails(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cursor = service.start(world.session, world.key, [world.brand.id], None)
    unreachable = Database.from_url(f"sqlite:///{tmp_path / 'missing' / 'dispatch.db'}")

    async def run() -> list[str]:
        stream = live.frames(
            unreachable,
            world.key,
            cursor,
            pace=IDLE,
            disconnected=_connected,
            stopping=asyncio.Event(),
        )
        return [frame async for frame in stream]

    try:
        assert run_to_completion(asyncio.wait_for(run(), 5)) == [sse.retry(IDLE.retry_milliseconds)]
    finally:
        unreachable.dispose()
    assert "the database is unavailable" in caplog.text
