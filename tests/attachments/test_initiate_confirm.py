"""The reference's upload flow: initiate → PUT the bytes to uploadUrl → confirm, on a ticket
and pending, with Dispatch's own single-use, expiring upload URL (local storage)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.settings import Settings
from tests.attachments.helpers import (
    Json,
    assert_problem,
    attachment_rows,
    attachments_path,
    local_path,
    pdf,
    pending_path,
    png,
    put_bytes,
    stored_files,
    tickets_path,
)
from tests.conftest import Api


def initiate(api: Api, brand: Json, ticket: Json, data: bytes, **overrides: Any) -> Json:
    body = {"filename": "photo.png", "contentType": "image/png", "size": len(data), **overrides}
    started: Json = api.ok("post", attachments_path(brand, ticket), 201, json=body)
    return started


def confirm(api: Api, brand: Json, ticket: Json, attachment_id: str) -> Any:
    return api.post(attachments_path(brand, ticket, f"/{attachment_id}/confirm"))


def test_initiate_answers_with_every_shape_the_sdk_and_dashboard_read(
    api: Api, brand: Json, ticket: Json, frozen_clock: Any
) -> None:
    started = initiate(api, brand, ticket, png(), uploadedBy="dana@acme.com")

    assert started["attachmentId"] == started["id"] == started["attachment"]["id"]
    assert started["attachment"]["status"] == "PENDING"
    assert started["attachment"]["ticketId"] == ticket["id"]
    assert started["attachment"]["uploadedBy"] == "dana@acme.com"
    assert started["attachment"]["detectedType"] is None
    assert started["uploadUrl"].startswith("http://testserver/v1/uploads/")
    assert started["uploadMethod"] == "PUT"
    assert started["expiresIn"] == 3600
    assert started["expiresAt"] == "2026-01-15T10:00:00Z"


def test_initiate_put_confirm_stores_the_file_and_marks_it_uploaded(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    data = pdf(1500)
    started = initiate(
        api, brand, ticket, data, filename="invoice.pdf", contentType="application/pdf"
    )

    put = put_bytes(api, started["uploadUrl"], data, "application/pdf")
    confirmed = confirm(api, brand, ticket, started["attachmentId"])

    assert put.status_code == 200, put.text
    assert put.headers["etag"].strip('"') == confirmed.json()["sha256"]
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "UPLOADED"
    assert body["detectedType"] == "application/pdf"
    assert body["size"] == len(data)
    got = api.ok("get", attachments_path(brand, ticket, f"/{body['id']}"))
    assert api.client.get(local_path(got["downloadUrl"])).content == data
    assert len(stored_files(settings)) == 1


def test_pending_attachment_is_readable_but_not_listed_or_downloadable_before_confirm(
    api: Api, brand: Json, ticket: Json
) -> None:
    started = initiate(api, brand, ticket, png())

    got = api.ok("get", attachments_path(brand, ticket, f"/{started['attachmentId']}"))

    assert got["status"] == "PENDING"
    assert got["downloadUrl"] is None
    assert got["expiresAt"] is None
    assert api.ok("get", attachments_path(brand, ticket)) == []
    assert api.ok("get", f"{tickets_path(brand)}/{ticket['id']}")["attachmentCount"] == 0


def test_upload_url_works_once(api: Api, brand: Json, ticket: Json, settings: Settings) -> None:
    data = png(400)
    started = initiate(api, brand, ticket, data)
    assert put_bytes(api, started["uploadUrl"], data).status_code == 200
    stored = stored_files(settings)[0].read_bytes()

    again = put_bytes(api, started["uploadUrl"], png(400)[:-1] + b"!")

    assert_problem(again, 409, "upload_already_received")
    assert stored_files(settings)[0].read_bytes() == stored


def test_upload_url_needs_no_api_key_but_a_valid_signature(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    data = png(400)
    started = initiate(api, brand, ticket, data)
    path = local_path(started["uploadUrl"])
    attachment_id, size, expires, signature = path.rsplit("/", 1)[1].split(".")
    forged = [
        f"{attachment_id}.{size}.{int(expires) + 3600}.{signature}",
        f"{attachment_id}.{int(size) + 1}.{expires}.{signature}",
        f"{attachment_id}.{size}.{expires}.{signature[:-2]}AA",
        f"{attachment_id}.{size}.{expires}",
        "garbage",
    ]

    for token in forged:
        response = api.client.put(f"/v1/uploads/{token}", content=data)
        assert_problem(response, 403, "invalid_signature")
    assert stored_files(settings) == []


def test_upload_url_expires(
    api: Api, brand: Json, ticket: Json, settings: Settings, frozen_clock: Any
) -> None:
    data = png(400)
    started = initiate(api, brand, ticket, data)
    frozen_clock.advance(seconds=3600)

    response = put_bytes(api, started["uploadUrl"], data)

    assert_problem(response, 403, "link_expired")
    assert stored_files(settings) == []


def test_put_of_more_bytes_than_declared_is_refused_and_nothing_is_kept(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    started = initiate(api, brand, ticket, png(400))

    declared_length = put_bytes(api, started["uploadUrl"], png(401))
    streamed = api.client.put(
        local_path(started["uploadUrl"]), content=iter([png(401)[:200], png(401)[200:]])
    )

    assert_problem(declared_length, 413, "attachment_too_large")
    assert_problem(streamed, 413, "attachment_too_large")
    assert stored_files(settings) == []
    [row] = attachment_rows(session, brand["id"])
    assert (row.status, row.sha256) == ("PENDING", None)


def test_put_of_fewer_bytes_than_declared_is_refused_and_the_url_stays_usable(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    data = png(400)
    started = initiate(api, brand, ticket, data)

    short = put_bytes(api, started["uploadUrl"], data[:399])
    retried = put_bytes(api, started["uploadUrl"], data)

    assert_problem(short, 422, "size_mismatch")
    assert retried.status_code == 200
    assert len(stored_files(settings)) == 1


def test_put_of_bytes_contradicting_the_declared_type_is_refused(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    started = initiate(api, brand, ticket, pdf(400))  # declared image/png

    response = put_bytes(api, started["uploadUrl"], pdf(400))

    assert_problem(response, 422, "content_type_mismatch")
    assert stored_files(settings) == []


def test_confirm_before_the_bytes_arrived_is_refused_and_changes_nothing(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    started = initiate(api, brand, ticket, png())

    response = confirm(api, brand, ticket, started["attachmentId"])

    assert_problem(response, 422, "upload_missing")
    [row] = attachment_rows(session, brand["id"])
    assert row.status == "PENDING"
    assert api.ok("get", f"{tickets_path(brand)}/{ticket['id']}")["attachmentCount"] == 0


def test_confirming_twice_returns_the_attachment_and_counts_it_once(
    api: Api, brand: Json, ticket: Json
) -> None:
    data = png(300)
    started = initiate(api, brand, ticket, data)
    put_bytes(api, started["uploadUrl"], data)

    first = confirm(api, brand, ticket, started["attachmentId"])
    second = confirm(api, brand, ticket, started["attachmentId"])

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert api.ok("get", f"{tickets_path(brand)}/{ticket['id']}")["attachmentCount"] == 1


def test_pending_initiate_put_confirm_gives_an_unattached_uploaded_attachment(
    api: Api, brand: Json, settings: Settings
) -> None:
    data = pdf(800)
    body = {"filename": "scan.pdf", "contentType": "application/pdf", "size": len(data)}
    started = api.ok("post", pending_path(brand), 201, json=body)

    assert started["attachment"]["ticketId"] is None
    assert put_bytes(api, started["uploadUrl"], data, "application/pdf").status_code == 200
    confirmed = api.ok("post", pending_path(brand, f"/{started['attachmentId']}/confirm"))

    assert confirmed["status"] == "UPLOADED"
    assert confirmed["ticketId"] is None
    assert confirmed["detectedType"] == "application/pdf"
    assert len(stored_files(settings)) == 1


def test_pending_confirm_does_not_reach_attachments_of_tickets(
    api: Api, brand: Json, ticket: Json
) -> None:
    data = png(300)
    started = initiate(api, brand, ticket, data)
    put_bytes(api, started["uploadUrl"], data)

    response = api.post(pending_path(brand, f"/{started['attachmentId']}/confirm"))

    assert_problem(response, 404, "attachment_not_found")
    assert api.ok("get", attachments_path(brand, ticket, f"/{started['id']}"))["status"] == (
        "PENDING"
    )


def test_ticket_confirm_does_not_reach_pending_uploads(api: Api, brand: Json, ticket: Json) -> None:
    data = png(300)
    body = {"filename": "a.png", "contentType": "image/png", "size": len(data)}
    started = api.ok("post", pending_path(brand), 201, json=body)
    put_bytes(api, started["uploadUrl"], data)

    response = confirm(api, brand, ticket, started["attachmentId"])

    assert_problem(response, 404, "attachment_not_found")
