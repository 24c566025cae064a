"""The attachment size limit: 25 MB by default, DISPATCH_ATTACHMENT_MAX_BYTES configurable;
declared sizes over it are refused before anything is stored, streamed bytes over it while
they arrive, and nothing is kept. The 1 MB JSON body cap does not apply to uploads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.settings import Settings
from tests.attachments.helpers import (
    LIMIT,
    Json,
    assert_problem,
    attachment_rows,
    attachments_path,
    error_fields,
    multipart,
    pending_path,
    png,
    put_bytes,
    stored_files,
    upload,
)
from tests.conftest import Api


def test_default_limit_is_25_megabytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPATCH_ATTACHMENT_MAX_BYTES", raising=False)

    assert Settings().attachment_max_bytes == 25 * 1024 * 1024


def test_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPATCH_ATTACHMENT_MAX_BYTES", "1048576")

    assert Settings().attachment_max_bytes == 1024 * 1024


def test_file_of_exactly_the_limit_is_accepted(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    created = upload(api, brand, ticket, png(LIMIT))

    assert created["size"] == LIMIT
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize("route", ["ticket", "pending"])
def test_file_one_byte_over_the_limit_is_refused_and_nothing_is_kept(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session, route: str
) -> None:
    path = (
        attachments_path(brand, ticket, "/upload")
        if route == "ticket"
        else (pending_path(brand, "/upload"))
    )

    response = api.post(path, **multipart(png(LIMIT + 1)))

    body = assert_problem(response, 413, "attachment_too_large")
    assert str(LIMIT) in body["message"]
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []
    assert api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["attachmentCount"] == 0


def test_body_far_over_the_limit_is_refused_by_its_content_length_before_it_is_read(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    response = api.post(attachments_path(brand, ticket, "/upload"), **multipart(png(4 * LIMIT)))

    assert_problem(response, 413, "attachment_too_large")
    assert stored_files(settings) == []


def test_streamed_body_over_the_limit_without_content_length_is_refused(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
    ).encode()

    def body() -> Iterator[bytes]:
        yield head + png(1000)
        for _ in range(400):  # 400 * 4 KiB, far past the limit and its framing allowance
            yield b"\x00" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    response = api.post(
        attachments_path(brand, ticket, "/upload"),
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert_problem(response, 413, "attachment_too_large")
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


@pytest.mark.parametrize("route", ["ticket", "pending"])
def test_initiating_an_upload_over_the_limit_is_refused_before_anything_exists(
    api: Api, brand: Json, ticket: Json, session: Session, route: str
) -> None:
    path = attachments_path(brand, ticket) if route == "ticket" else pending_path(brand)
    body = {"filename": "video.png", "contentType": "image/png", "size": LIMIT + 1}

    response = api.post(path, json=body)

    assert "size" in error_fields(assert_problem(response, 413, "attachment_too_large"))
    assert attachment_rows(session, brand["id"]) == []


def test_initiating_exactly_the_limit_is_accepted(api: Api, brand: Json, ticket: Json) -> None:
    body = {"filename": "photo.png", "contentType": "image/png", "size": LIMIT}

    started = api.ok("post", attachments_path(brand, ticket), 201, json=body)

    assert started["attachment"]["size"] == LIMIT


def test_uploads_are_not_held_to_the_json_body_cap(
    api: Api, brand: Json, settings: Settings, database: Database
) -> None:
    # The JSON cap is 1 MB; this app allows 3 MB attachments.
    big = Settings(
        data_dir=settings.data_dir,
        rate_limit="100000/minute",
        api_key_touch_seconds=0,
        attachment_max_bytes=3 * 1024 * 1024,
    )
    assert big.max_body_bytes == 1024 * 1024
    app = create_app(big, database)
    client = TestClient(app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {api.key}"}
    data = png(2 * 1024 * 1024)

    ticket = client.post(
        f"/v1/brands/{brand['id']}/tickets", json={"title": "Big file"}, headers=headers
    ).json()
    multipart_upload = client.post(
        f"/v1/brands/{brand['id']}/tickets/{ticket['id']}/attachments/upload",
        headers=headers,
        **multipart(data),
    )
    started = client.post(
        f"/v1/brands/{brand['id']}/attachments/pending",
        headers=headers,
        json={"filename": "a.png", "contentType": "image/png", "size": len(data)},
    ).json()
    put = client.put(started["uploadUrl"].removeprefix("http://testserver"), content=data)

    assert multipart_upload.status_code == 201, multipart_upload.text
    assert multipart_upload.json()["size"] == len(data)
    assert put.status_code == 200, put.text


def test_json_routes_keep_the_json_body_cap(api: Api, brand: Json) -> None:
    response = api.post(
        f"/brands/{brand['id']}/attachments/urls",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 413, "payload_too_large")


def test_put_within_the_limit_but_over_the_declared_size_is_refused(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    body = {"filename": "photo.png", "contentType": "image/png", "size": 300}
    started = api.ok("post", attachments_path(brand, ticket), 201, json=body)

    response = put_bytes(api, started["uploadUrl"], png(1000))

    body = assert_problem(response, 413, "attachment_too_large")
    assert "300" in body["message"]
    assert stored_files(settings) == []
