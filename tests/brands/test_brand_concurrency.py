"""Brands created at the same moment with the same slug: one wins, the other is told why."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.brands import repository
from dispatch.core.db import Database
from dispatch.settings import Settings


def race(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bodies: list[dict[str, Any]],
) -> list[Any]:
    """POST /brands with each body at once, after every request has checked the slug."""
    with db.session() as s:
        account, issued = accounts.create_account(s, name="Race")
        # A key per request, so they do not queue on one key's lastUsedAt row.
        secrets = [issued.secret] + [
            accounts.issue_key(s, account.id, name=f"Key {i}").secret for i in range(1, len(bodies))
        ]
        s.commit()
    if db.dialect == "postgresql":
        # SQLite serialises writers from their first statement, so only PostgreSQL can
        # interleave two creations; there, hold both until both have seen the slug free.
        barrier = threading.Barrier(len(bodies))
        original: Callable[..., bool] = repository.slug_taken

        def taken_then_meet(*args: Any, **kwargs: Any) -> bool:
            result = original(*args, **kwargs)
            barrier.wait(timeout=20)
            return result

        monkeypatch.setattr(repository, "slug_taken", taken_then_meet)
    app = create_app(Settings(data_dir=tmp_path), db)
    with TestClient(app, raise_server_exceptions=False) as client:

        def create(body: dict[str, Any], secret: str) -> Any:
            headers = {"Authorization": f"Bearer {secret}"}
            return client.post("/v1/brands", json=body, headers=headers)

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            return list(pool.map(create, bodies, secrets, timeout=60))


@pytest.mark.committed
def test_concurrent_creates_with_one_given_slug_give_201_and_409(
    committed_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses = race(
        committed_database,
        tmp_path,
        monkeypatch,
        [{"name": "One", "slug": "race-slug"}, {"name": "Two", "slug": "race-slug"}],
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] == "slug_taken"


@pytest.mark.committed
def test_concurrent_creates_with_one_name_get_distinct_slugs(
    committed_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses = race(
        committed_database, tmp_path, monkeypatch, [{"name": "Race Day"}, {"name": "Race Day"}]
    )
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    slugs = {r.json()["slug"] for r in responses}
    assert len(slugs) == 2
    assert "race-day" in slugs
