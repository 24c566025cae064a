"""A real uvicorn server in a thread (the protocol `dispatch serve` runs), and a reader of
Server-Sent Events over httpx: every wait is bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from dispatch.cli import _http_protocol
from dispatch.settings import Settings
from tests.e2e.conftest import START_TIMEOUT, STOP_TIMEOUT, free_port, wait_until


class ThreadServer:
    """uvicorn serving `app` on a free loopback port, in a thread of this process."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            http=_http_protocol(settings),
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="test-uvicorn", daemon=True)

    def start(self) -> None:
        self._thread.start()
        assert wait_until(lambda: self.server.started, START_TIMEOUT), "server did not start"

    def request_stop(self) -> None:
        """What SIGTERM does: a graceful shutdown."""
        self.server.should_exit = True

    def stopped(self, timeout: float = STOP_TIMEOUT) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        self.request_stop()
        if not self.stopped():
            self.server.force_exit = True  # a test failed to end its stream: do not hang
            self.stopped()

    @property
    def requests_running(self) -> int:
        return len(self.server.server_state.tasks)

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.base_url}/v1",
            headers={"Authorization": f"Bearer {key}"},
            timeout=httpx.Timeout(5.0),
        )


@dataclass(frozen=True)
class Frame:
    id: str | None = None
    event: str | None = None
    data: str | None = None
    retry: str | None = None
    comment: str | None = None


class Frames:
    """The frames of an open event stream, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines: Iterator[str] = response.iter_lines()

    def next(self, timeout: float = 10.0) -> Frame:
        """The next frame; AssertionError when none is complete within `timeout` (the
        server's keep-alive comments make lines arrive while it waits), EOFError when the
        stream ends."""
        deadline = time.monotonic() + timeout
        fields: dict[str, str] = {}
        for line in self._lines:
            if line == "":
                if fields:
                    return Frame(**fields)
                continue
            assert time.monotonic() < deadline, f"no complete frame within {timeout}s"
            name, _, value = line.partition(":")
            fields[name or "comment"] = value.removeprefix(" ")
        raise EOFError("the stream ended")

    def next_event(self, timeout: float = 10.0) -> Frame:
        """The next event, past comments."""
        deadline = time.monotonic() + timeout
        while (frame := self.next(max(0.0, deadline - time.monotonic()))).event is None:
            pass
        return frame

    def until_end(self, timeout: float = 10.0) -> list[Frame]:
        """Every frame up to the end of the stream, which must come within `timeout`."""
        deadline = time.monotonic() + timeout
        frames: list[Frame] = []
        while True:
            try:
                frames.append(self.next(max(0.0, deadline - time.monotonic())))
            except EOFError:
                return frames
