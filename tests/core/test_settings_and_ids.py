"""Settings from DISPATCH_* variables, and the one id generator."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from dispatch.core.ids import new_id, random_token
from dispatch.settings import WORKER_NICE, Settings

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

ID_SHAPE = re.compile(r"^[a-z]+_[A-Za-z0-9_-]{21}$")
POSTGRES = "postgresql+psycopg://127.0.0.1/dispatch"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "DISPATCH_DATABASE_URL",
        "DISPATCH_DATA_DIR",
        "DISPATCH_HOST",
        "DISPATCH_PORT",
        "DISPATCH_RATE_LIMIT",
        "DISPATCH_WORKERS",
        "DISPATCH_WORKER_PROCESSES",
        "DISPATCH_WORKER_NICE",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_serve_sqlite_under_data_on_localhost_8000(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.effective_database_url == "sqlite:///data/dispatch.db"
    assert settings.rate_limit_enabled
    assert settings.max_body_bytes == 1024 * 1024


def test_settings_come_from_dispatch_variables(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("DISPATCH_DATA_DIR", str(tmp_path))
    clean_env.setenv("DISPATCH_PORT", "9123")
    clean_env.setenv("DISPATCH_HOST", "0.0.0.0")  # noqa: S104 - only parsed here
    clean_env.setenv("DISPATCH_RATE_LIMIT", "off")
    settings = Settings()
    assert settings.port == 9123
    assert settings.host == "0.0.0.0"  # noqa: S104
    assert settings.effective_database_url == f"sqlite:///{tmp_path.as_posix()}/dispatch.db"
    assert not settings.rate_limit_enabled


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db:5432/dispatch",
        "postgresql://u:p@db:5432/dispatch",
        "postgresql+psycopg://u:p@db:5432/dispatch",
    ],
)
def test_postgres_urls_are_pinned_to_psycopg(clean_env: pytest.MonkeyPatch, url: str) -> None:
    clean_env.setenv("DISPATCH_DATABASE_URL", url)
    assert Settings().effective_database_url == "postgresql+psycopg://u:p@db:5432/dispatch"


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_invalid_port_is_refused(clean_env: pytest.MonkeyPatch, port: str) -> None:
    clean_env.setenv("DISPATCH_PORT", port)
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_serve_runs_two_workers_on_postgresql_one_on_sqlite_unless_told(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setattr(os, "cpu_count", lambda: 8)
    assert Settings().serve_worker_processes == 1
    assert Settings(database_url=POSTGRES).serve_worker_processes == 2
    assert Settings(database_url=POSTGRES, worker_processes=3).serve_worker_processes == 3
    clean_env.setenv("DISPATCH_WORKER_PROCESSES", "4")
    assert Settings().serve_worker_processes == 4
    clean_env.setattr(os, "cpu_count", lambda: 1)
    clean_env.delenv("DISPATCH_WORKER_PROCESSES")
    assert Settings(database_url=POSTGRES).serve_worker_processes == 1


@pytest.mark.parametrize(
    ("cores", "sqlite", "postgres"),
    [(1, 1, 1), (2, 2, 1), (3, 2, 1), (8, 2, 4)],
)
def test_serve_runs_the_server_processes_measured_best_for_the_database_unless_told(
    clean_env: pytest.MonkeyPatch, cores: int, sqlite: int, postgres: int
) -> None:
    clean_env.setattr(os, "cpu_count", lambda: cores)
    assert Settings().serve_processes == sqlite
    assert Settings(database_url=POSTGRES).serve_processes == postgres
    assert Settings(database_url=POSTGRES, workers=5).serve_processes == 5
    clean_env.setenv("DISPATCH_WORKERS", "3")
    assert Settings().serve_processes == 3


def test_serve_runs_its_worker_nicer_on_postgresql_only_unless_told(
    clean_env: pytest.MonkeyPatch,
) -> None:
    assert Settings().serve_worker_nice == 0
    assert Settings(database_url=POSTGRES).serve_worker_nice == WORKER_NICE
    assert Settings(database_url=POSTGRES, worker_nice=0).serve_worker_nice == 0
    clean_env.setenv("DISPATCH_WORKER_NICE", "5")
    assert Settings().serve_worker_nice == 5
    clean_env.setenv("DISPATCH_WORKER_NICE", "20")
    with pytest.raises(ValueError, match="worker_nice"):
        Settings()


def test_ids_are_prefix_and_21_url_safe_characters() -> None:
    ids = {new_id("tkt") for _ in range(2000)}
    assert len(ids) == 2000
    for value in ids:
        assert value.startswith("tkt_")
        assert ID_SHAPE.match(value), value


def test_random_tokens_use_the_whole_url_safe_alphabet() -> None:
    seen = set("".join(random_token() for _ in range(2000)))
    assert seen == set(ID_ALPHABET)
    assert len(random_token(32)) == 32


def test_a_forked_child_never_repeats_its_parents_ids() -> None:
    """Ids come from random bytes read a block ahead: a child made by fork (a server's
    processes) must not hand out the rest of its parent's block."""
    new_id("tkt")  # the parent has a block under way
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, " ".join(new_id("tkt") for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    parent = {new_id("tkt") for _ in range(50)}
    assert len(child) == 50
    assert not child & parent


def test_long_tokens_are_random_too() -> None:
    tokens = {random_token(5000) for _ in range(3)}
    assert len(tokens) == 3
    assert all(len(token) == 5000 and set(token) <= set(ID_ALPHABET) for token in tokens)
