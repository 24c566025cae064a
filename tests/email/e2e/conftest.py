"""A live mail setup on loopback: `dispatch serve` (HTTP API, SMTP listener and the
embedded worker, which runs the email jobs) on a fresh database, with an SMTP sink as its
outgoing relay."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, text

from dispatch.core.db import Database
from dispatch.settings import Settings
from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, POSTGRES_DB
from tests.e2e.conftest import KEY_LINE, Server
from tests.email.outbound.sink import Sink, free_port

WAIT_SECONDS = 15.0
T = TypeVar("T")


class MailServer(Server):
    """`dispatch serve` with the environment of a mail setup (SMTP port, relay, database)."""

    def __init__(self, data_dir: Path, log: Path, environment: dict[str, str]) -> None:
        super().__init__(data_dir, log)
        self.environment = environment
        self.smtp_port = int(environment["DISPATCH_SMTP_PORT"])

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
        env.update(
            DISPATCH_DATA_DIR=str(self.data_dir),
            DISPATCH_HOST="127.0.0.1",
            DISPATCH_PORT=str(self.port),
            DISPATCH_PUBLIC_URL=self.base_url,
            PYTHONUNBUFFERED="1",
            **self.environment,
        )
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

    @property
    def api_key(self) -> str:
        keys = KEY_LINE.findall(self.output)
        assert len(keys) == 1, self.output
        return str(keys[0])

    def settings(self) -> Settings:
        """The server's settings, as its worker reads them from the environment."""
        return Settings(
            data_dir=self.data_dir,
            host="127.0.0.1",
            port=self.port,
            public_url=self.base_url,
            **{k.removeprefix("DISPATCH_").lower(): v for k, v in self.environment.items()},
        )


def eventually(check: Callable[[], T | None], timeout: float = WAIT_SECONDS) -> T:
    """Poll `check` until it returns something (bounded by `timeout`): the server's worker
    does the work in the background."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s: {check.__name__}")
        time.sleep(0.05)


def _database_url(tmp_path: Path) -> Iterator[str]:
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'data' / 'dispatch.db'}"
        return
    name = f"{POSTGRES_DB}_mail_e2e"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_server(tmp_path: Path, sink: Sink) -> Iterator[MailServer]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for url in _database_url(tmp_path):
        server = MailServer(
            data_dir,
            tmp_path / "serve.log",
            {
                "DISPATCH_DATABASE_URL": url,
                "DISPATCH_SMTP_HOST": "127.0.0.1",
                "DISPATCH_SMTP_PORT": str(free_port()),
                "DISPATCH_SMTP_RELAY": sink.address,
                "DISPATCH_SMTP_RELAY_TIMEOUT_SECONDS": "5",
            },
        )
        try:
            server.start()
            yield server
        finally:
            server.stop()


@pytest.fixture
def database(mail_server: MailServer) -> Iterator[Database]:
    """The server's database, to look at what the API does not show."""
    database = Database.from_url(mail_server.settings().effective_database_url, pool_size=2)
    yield database
    database.dispose()
