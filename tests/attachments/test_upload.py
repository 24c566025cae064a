"""Uploads through Dispatch (multipart): to a ticket, and pending ones for a ticket to come."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from dispatch.settings import Settings
from tests.attachments.helpers import (
    Json,
    add_comment,
    assert_problem,
    attachment_rows,
    attachments_path,
    local_path,
    multipart,
    pending_path,
    png,
    stored_files,
    text,
    tickets_path,
    upload,
    upload_pending,
)
from tests.conftest import Api

ATTACHMENT_FIELDS = {
    "id",
    "brandId",
    "ticketId",
    "commentId",
    "filename",
    "contentType",
    "detectedType",
    "size",
    "status",
    "uploadedBy",
    "sha256",
    "metadata",
    "createdAt",
    "updatedAt",
}


def test_multipart_upload_returns_the_attachment_flat_and_nested_with_a_download_url(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    data = png(500)

    created = upload(api, brand, ticket, data, filename="receipt.png")

    attachment = created["attachment"]
    assert set(attachment) == ATTACHMENT_FIELDS
    assert {k: created[k] for k in ATTACHMENT_FIELDS} == attachment
    assert attachment["id"].startswith("att_")
    assert attachment["ticketId"] == ticket["id"]
    assert attachment["brandId"] == brand["id"]
    assert attachment["filename"] == "receipt.png"
    assert attachment["contentType"] == "image/png"
    assert attachment["detectedType"] == "image/png"
    assert attachment["size"] == len(data)
    assert attachment["status"] == "UPLOADED"
    assert attachment["sha256"] == hashlib.sha256(data).hexdigest()
    assert created["downloadUrl"].startswith("http://testserver/v1/attachments/")
    assert created["expiresAt"]
    assert len(stored_files(settings)) == 1


def test_uploaded_bytes_download_unchanged_through_the_signed_url(
    api: Api, brand: Json, ticket: Json
) -> None:
    data = png(3000)
    created = upload(api, brand, ticket, data)

    response = api.client.get(local_path(created["downloadUrl"]))

    assert response.status_code == 200
    assert response.content == data


def test_uploaded_attachment_is_listed_and_readable_on_its_ticket(
    api: Api, brand: Json, ticket: Json
) -> None:
    first = upload(api, brand, ticket, png(300), filename="one.png")
    second = upload(api, brand, ticket, text(50), filename="notes.txt", content_type="text/plain")

    listed = api.ok("get", attachments_path(brand, ticket))
    got = api.ok("get", attachments_path(brand, ticket, f"/{second['id']}"))

    assert [a["id"] for a in listed] == [first["id"], second["id"]]
    assert listed[0] == first["attachment"]
    assert got["attachment"] == second["attachment"]
    assert got["id"] == second["id"]
    assert got["downloadUrl"].startswith("http://testserver/v1/attachments/")


def test_upload_records_uploaded_by_and_links_a_comment_of_the_ticket(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    comment_id = add_comment(session, brand, ticket)

    created = upload(api, brand, ticket, png(), commentId=comment_id, uploadedBy="dana@acme.com")

    assert created["commentId"] == comment_id
    assert created["uploadedBy"] == "dana@acme.com"


def test_filename_keeps_only_its_last_path_component(api: Api, brand: Json, ticket: Json) -> None:
    created = upload(api, brand, ticket, png(), filename="C:\\fakepath\\..\\résumé.png")

    assert created["filename"] == "résumé.png"


def test_initiated_filename_loses_path_and_control_characters(
    api: Api, brand: Json, ticket: Json
) -> None:
    body = {"filename": "../../etc/pass\twd\x07.txt", "contentType": "text/plain", "size": 5}

    started = api.ok("post", attachments_path(brand, ticket), 201, json=body)

    assert started["attachment"]["filename"] == "passwd.txt"


def test_upload_with_idempotency_key_is_stored_once(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    # A retry resends the same bytes (the same multipart boundary).
    boundary = "retry-boundary-1"
    content = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="photo.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + png(400)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Idempotency-Key": "upload-photo-1",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }

    first = api.post(attachments_path(brand, ticket, "/upload"), headers=headers, content=content)
    again = api.post(attachments_path(brand, ticket, "/upload"), headers=headers, content=content)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(attachment_rows(session, brand["id"])) == 1
    assert len(stored_files(settings)) == 1


def test_pending_upload_has_no_ticket_and_is_not_listed_anywhere_yet(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    created = upload_pending(api, brand, png(256))

    assert set(created) == ATTACHMENT_FIELDS
    assert created["ticketId"] is None
    assert created["status"] == "UPLOADED"
    assert created["detectedType"] == "image/png"
    assert api.ok("get", attachments_path(brand, ticket)) == []
    assert api.ok("get", f"{tickets_path(brand)}/{ticket['id']}")["attachmentCount"] == 0
    assert len(stored_files(settings)) == 1


def test_pending_upload_refuses_a_comment_id(
    api: Api, brand: Json, settings: Settings, session: Session
) -> None:
    response = api.post(pending_path(brand, "/upload"), **multipart(png(), commentId="cmt_x"))

    body = assert_problem(response, 422, "invalid_upload")
    assert body["errors"][0]["field"] == "commentId"
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_pending_upload_can_be_downloaded_before_it_is_attached(api: Api, brand: Json) -> None:
    data = text(80)
    created = upload_pending(api, brand, data, filename="log.txt", content_type="text/plain")

    urls = api.ok("post", f"/brands/{brand['id']}/attachments/urls", json={"ids": [created["id"]]})

    response = api.client.get(local_path(urls[created["id"]]["url"]))
    assert response.status_code == 200
    assert response.content == data
