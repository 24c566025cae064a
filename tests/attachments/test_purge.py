"""Abandoned uploads (never completed, or pending and never attached) older than the TTL are
removed from the database and the storage; everything else stays."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from dispatch.app import create_app
from dispatch.attachments import config as attachment_config
from dispatch.attachments.service import purge_abandoned_uploads
from dispatch.cli import app as cli
from dispatch.settings import Settings
from tests.attachments.helpers import (
    Json,
    attachment_rows,
    attachments_path,
    multipart,
    pending_path,
    png,
    put_bytes,
    stored_files,
    upload,
    upload_pending,
)
from tests.conftest import Api

DAY = timedelta(hours=24)


def start(api: Api, path: str, data: bytes) -> Json:
    body = {"filename": "a.png", "contentType": "image/png", "size": len(data)}
    started: Json = api.ok("post", path, 201, json=body)
    return started


def test_purge_removes_old_abandoned_uploads_and_keeps_the_rest(
    api: Api,
    brand: Json,
    ticket: Json,
    session: Session,
    settings: Settings,
    app: Any,
    frozen_clock: Any,
) -> None:
    data = png(300)
    never_attached = upload_pending(api, brand, png())
    never_put = start(api, attachments_path(brand, ticket), data)
    put_never_confirmed = start(api, pending_path(brand), data)
    put_bytes(api, put_never_confirmed["uploadUrl"], data)
    on_ticket = upload(api, brand, ticket, png())
    deleted_on_ticket = upload(api, brand, ticket, png(400))
    api.ok("delete", attachments_path(brand, ticket, f"/{deleted_on_ticket['id']}"), 204)
    frozen_clock.advance(hours=23)
    recent_pending = upload_pending(api, brand, png(500))
    frozen_clock.advance(hours=1, seconds=1)
    files_before = len(stored_files(settings))
    storage = attachment_config.for_app(app).storage

    purged = purge_abandoned_uploads(session, storage, older_than=DAY)
    session.commit()

    assert purged == 3
    remaining = {row.id for row in attachment_rows(session, brand["id"])}
    assert remaining == {on_ticket["id"], deleted_on_ticket["id"], recent_pending["id"]}
    assert never_attached["id"] not in remaining
    assert {never_put["id"], put_never_confirmed["id"]}.isdisjoint(remaining)
    assert len(stored_files(settings)) == files_before - 2  # never_put had no bytes
    assert api.ok("get", attachments_path(brand, ticket, f"/{on_ticket['id']}"))["downloadUrl"]


def test_purge_with_nothing_abandoned_removes_nothing(
    api: Api, brand: Json, ticket: Json, session: Session, settings: Settings, app: Any
) -> None:
    upload(api, brand, ticket, png())
    upload_pending(api, brand, png())

    purged = purge_abandoned_uploads(
        session, attachment_config.for_app(app).storage, older_than=DAY
    )

    assert purged == 0
    assert len(attachment_rows(session, brand["id"])) == 2
    assert len(stored_files(settings)) == 2


def test_purge_works_through_every_batch(
    api: Api,
    brand: Json,
    session: Session,
    settings: Settings,
    app: Any,
    frozen_clock: Any,
    monkeypatch: Any,
) -> None:
    from dispatch.attachments import service

    monkeypatch.setattr(service, "PURGE_BATCH", 2)
    for index in range(5):
        upload_pending(api, brand, png(200 + index))
    frozen_clock.advance(days=2)

    purged = purge_abandoned_uploads(
        session, attachment_config.for_app(app).storage, older_than=DAY
    )

    assert purged == 5
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_purge_command_removes_abandoned_uploads_from_the_database_and_the_disk(
    tmp_path: Path, frozen_clock: Any
) -> None:
    """Against its own SQLite file (the command commits its own connection)."""
    runner = CliRunner()
    env = {
        "DISPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "DISPATCH_DATA_DIR": str(tmp_path),
        "DISPATCH_RATE_LIMIT": "off",
    }
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    created = json.loads(runner.invoke(cli, ["accounts", "create", "--name", "A"], env=env).stdout)
    settings = Settings(database_url=env["DISPATCH_DATABASE_URL"], data_dir=tmp_path)
    headers = {"Authorization": f"Bearer {created['apiKey']}"}
    with TestClient(create_app(settings)) as client:
        brand = client.post("/v1/brands", json={"name": "Acme"}, headers=headers).json()
        response = client.post(
            f"/v1/brands/{brand['id']}/attachments/pending/upload",
            headers=headers,
            **multipart(png()),
        )
        assert response.status_code == 201, response.text
    assert len(stored_files(settings)) == 1

    too_young = runner.invoke(cli, ["attachments", "purge"], env=env)
    frozen_clock.advance(hours=25)
    longer_age = runner.invoke(cli, ["attachments", "purge", "--older-than-hours", "48"], env=env)
    purged = runner.invoke(cli, ["attachments", "purge"], env=env)

    assert too_young.exit_code == longer_age.exit_code == purged.exit_code == 0, purged.output
    assert "purged 0 " in too_young.stdout
    assert "purged 0 " in longer_age.stdout
    assert "purged 1 " in purged.stdout
    assert stored_files(settings) == []


def test_purge_command_rejects_a_zero_age(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["attachments", "purge", "--older-than-hours", "0"],
        env={"DISPATCH_DATA_DIR": str(tmp_path)},
    )

    assert result.exit_code == 2
