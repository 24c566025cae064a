"""End-to-end tests: the real `dispatch serve` process, talked to over loopback HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
KEY_LINE = re.compile(r"api key: (sk_live_\S+)")
ACCOUNT_LINE = re.compile(r"account: (acc_\S+)")


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One `python -m dispatch serve` process on a data directory; output goes to a file."""

    def __init__(self, data_dir: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.log_path = log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
        env.update(
            DISPATCH_DATA_DIR=str(self.data_dir),
            DISPATCH_HOST="127.0.0.1",
            DISPATCH_PORT=str(self.port),
            # Its own SMTP port too: servers of parallel tests must not share 2525.
            DISPATCH_SMTP_PORT=str(free_port()),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dispatch", "serve"],
            env=env,
            cwd=self.data_dir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited with {self.process.returncode}:\n{self.output}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"server not healthy after {START_TIMEOUT}s:\n{self.output}")

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int | None:
        """Terminate, wait a bounded time, kill if needed; the exit code of a clean stop."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
        return process.returncode

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=f"{self.base_url}/v1", headers=headers, timeout=10)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """`start_server("first")` runs a server on this test's data directory, logging to
    first.log (`env=` adds to its environment); every server started is stopped at the end
    of the test."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    started: list[Server] = []

    def start(name: str, env: dict[str, str] | None = None) -> Server:
        server = Server(data_dir, tmp_path / f"{name}.log", env)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()
