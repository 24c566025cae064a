"""A customer's files through the portal API: pending uploads for a new ticket or reply,
uploads on their ticket, lists and signed downloads; never a file of an internal note."""

from __future__ import annotations

import pytest

from tests.attachments.helpers import local_path, png, put_bytes
from tests.conftest import Api
from tests.portal.helpers import (
    PORTAL_ATTACHMENT_KEYS,
    Customer,
    Json,
    customer,
    portal_brand,
    problem,
)

PNG = png(500)


@pytest.fixture
def brand(api: Api) -> Json:
    return portal_brand(api)


@pytest.fixture
def jane(api: Api, brand: Json) -> Customer:
    return customer(api, brand, "jane@corp.test")


def pending_upload(api: Api, person: Customer, data: bytes = PNG) -> Json:
    started = person.ok(
        "post",
        "/tickets/attachments/pending",
        201,
        json={"filename": "shot.png", "contentType": "image/png", "size": len(data)},
    )
    assert set(started) >= {"attachment", "uploadUrl", "expiresAt"}
    assert set(started["attachment"]) == PORTAL_ATTACHMENT_KEYS
    assert started["attachment"]["status"] == "PENDING"
    assert put_bytes(api, started["uploadUrl"], data).status_code == 200
    confirmed: Json = person.ok(
        "post", f"/tickets/attachments/pending/{started['attachment']['id']}/confirm"
    )
    assert set(confirmed) == PORTAL_ATTACHMENT_KEYS
    assert confirmed["status"] == "UPLOADED"
    return confirmed


def test_a_new_ticket_takes_the_customer_s_pending_uploads(api: Api, jane: Customer) -> None:
    upload = pending_upload(api, jane)
    ticket = jane.ok(
        "post", "/tickets", 201, json={"title": "See", "attachmentIds": [upload["id"]]}
    )
    detail = jane.ok("get", f"/tickets/{ticket['id']}")
    assert [a["id"] for a in detail["attachments"]] == [upload["id"]]
    listed = jane.ok("get", f"/tickets/{ticket['id']}/attachments")
    assert [a["id"] for a in listed] == [upload["id"]]
    assert set(listed[0]) == PORTAL_ATTACHMENT_KEYS


def test_a_reply_takes_the_customer_s_pending_uploads(api: Api, jane: Customer) -> None:
    ticket = jane.ok("post", "/tickets", 201, json={"title": "See"})
    upload = pending_upload(api, jane)
    reply = jane.ok(
        "post",
        f"/tickets/{ticket['id']}/comments",
        201,
        json={"body": "Here", "attachmentIds": [upload["id"]]},
    )
    assert [a["id"] for a in reply["attachments"]] == [upload["id"]]
    detail = jane.ok("get", f"/tickets/{ticket['id']}")
    assert [a["id"] for a in detail["comments"][0]["attachments"]] == [upload["id"]]
    assert detail["attachments"] == []


def test_another_customer_s_pending_upload_cannot_be_taken(
    api: Api, brand: Json, jane: Customer
) -> None:
    bob = customer(api, brand, "bob@corp.test")
    upload = pending_upload(api, bob)
    refused = jane.post("/tickets", json={"title": "Mine", "attachmentIds": [upload["id"]]})
    problem(refused, 422, "invalid_attachment_ids")
    started = bob.ok(
        "post",
        "/tickets/attachments/pending",
        201,
        json={"filename": "a.png", "contentType": "image/png", "size": len(PNG)},
    )
    put_bytes(api, started["uploadUrl"], PNG)
    confirm = f"/tickets/attachments/pending/{started['attachment']['id']}/confirm"
    problem(jane.post(confirm), 404, "attachment_not_found")


def test_an_upload_on_the_ticket_with_a_download_link(api: Api, jane: Customer) -> None:
    ticket = jane.ok("post", "/tickets", 201, json={"title": "See"})
    started = jane.ok(
        "post",
        f"/tickets/{ticket['id']}/attachments",
        201,
        json={"filename": "shot.png", "contentType": "image/png", "size": len(PNG)},
    )
    attachment_id = started["attachment"]["id"]
    pending = jane.ok("get", f"/tickets/{ticket['id']}/attachments/{attachment_id}")
    assert (pending["downloadUrl"], pending["status"]) == (None, "PENDING")
    put_bytes(api, started["uploadUrl"], PNG)
    jane.ok("post", f"/tickets/{ticket['id']}/attachments/{attachment_id}/confirm")

    got = jane.ok("get", f"/tickets/{ticket['id']}/attachments/{attachment_id}")
    assert set(got) == PORTAL_ATTACHMENT_KEYS | {"attachment", "downloadUrl", "expiresAt"}
    assert got["attachment"]["id"] == attachment_id
    download = api.client.get(local_path(got["downloadUrl"]))
    assert download.status_code == 200
    assert download.content == PNG
    assert jane.ok("get", f"/tickets/{ticket['id']}")["attachments"][0]["id"] == attachment_id


def test_uploads_over_fifty_megabytes_are_refused(api: Api, jane: Customer) -> None:
    body = {"filename": "big.bin", "contentType": "application/pdf", "size": 50 * 1024 * 1024 + 1}
    problem(jane.post("/tickets/attachments/pending", json=body), 413, "attachment_too_large")
    ticket = jane.ok("post", "/tickets", 201, json={"title": "Big"})
    problem(
        jane.post(f"/tickets/{ticket['id']}/attachments", json=body), 413, "attachment_too_large"
    )


def test_files_of_internal_notes_are_never_the_customer_s(
    api: Api, brand: Json, jane: Customer
) -> None:
    ticket = jane.ok("post", "/tickets", 201, json={"title": "See"})
    base = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    note = api.ok("post", f"{base}/comments", 201, json={"body": "fraud check", "isInternal": True})
    files = {"file": ("secret.png", PNG, "image/png")}
    hidden = api.ok(
        "post", f"{base}/attachments/upload", 201, files=files, data={"commentId": note["id"]}
    )
    shared = api.ok("post", f"{base}/attachments/upload", 201, files=files)

    listed = jane.ok("get", f"/tickets/{ticket['id']}/attachments")
    assert [a["id"] for a in listed] == [shared["id"]]
    detail = jane.ok("get", f"/tickets/{ticket['id']}")
    assert hidden["id"] not in str(detail)
    for path in (
        f"/tickets/{ticket['id']}/attachments/{hidden['id']}",
        f"/tickets/{ticket['id']}/attachments/{note['id']}",
    ):
        response = jane.get(path)
        problem(response, 404, "attachment_not_found")
        assert "downloadUrl" not in response.text
    problem(
        jane.post(f"/tickets/{ticket['id']}/attachments/{hidden['id']}/confirm"),
        404,
        "attachment_not_found",
    )
