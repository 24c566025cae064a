"""Another brand's or account's attachments are 404 on every route; bad input is a clear 4xx
and leaves nothing behind, in the database or the storage directory."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.settings import Settings
from tests.attachments.helpers import (
    Json,
    add_comment,
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
    upload_pending,
)
from tests.conftest import Api, make_ticket


@pytest.fixture
def theirs(other_api: Api, other_brand: Json) -> dict[str, Json]:
    """Another account's ticket with an uploaded attachment, a pending upload of theirs and
    an upload they started."""
    ticket = make_ticket(other_api, other_brand, title="Their ticket")
    uploaded = upload(other_api, other_brand, ticket, png())
    pending = upload_pending(other_api, other_brand, png(300))
    data = png(256)
    started = other_api.ok(
        "post",
        pending_path(other_brand),
        201,
        json={"filename": "a.png", "contentType": "image/png", "size": len(data)},
    )
    return {"ticket": ticket, "attachment": uploaded, "pending": pending, "started": started}


def test_another_accounts_ticket_attachments_are_not_found_on_every_route(
    api: Api, brand: Json, other_brand: Json, theirs: dict[str, Json], settings: Settings
) -> None:
    ticket, attachment = theirs["ticket"], theirs["attachment"]
    files_before = stored_files(settings)
    initiate = {"filename": "a.png", "contentType": "image/png", "size": 10}
    # Their brand in the path, and their ticket under our brand.
    for owner in (other_brand, brand):
        base = attachments_path(owner, ticket)
        responses = [
            api.get(base),
            api.post(base, json=initiate),
            api.post(f"{base}/upload", **multipart(png())),
            api.get(f"{base}/{attachment['id']}"),
            api.post(f"{base}/{attachment['id']}/confirm"),
            api.delete(f"{base}/{attachment['id']}"),
        ]
        for response in responses:
            assert response.status_code == 404, (response.request.url, response.text)
    assert stored_files(settings) == files_before


def test_another_brands_pending_uploads_are_not_found(
    api: Api, brand: Json, other_brand: Json, theirs: dict[str, Json]
) -> None:
    for owner in (other_brand, brand):
        confirm = api.post(pending_path(owner, f"/{theirs['started']['id']}/confirm"))
        assert confirm.status_code == 404
    urls = api.ok(
        "post",
        f"/brands/{brand['id']}/attachments/urls",
        json={"ids": [theirs["pending"]["id"], theirs["attachment"]["id"]]},
    )
    assert urls == {theirs["pending"]["id"]: None, theirs["attachment"]["id"]: None}


def test_another_accounts_attachment_is_not_reachable_through_our_ticket(
    api: Api,
    brand: Json,
    ticket: Json,
    theirs: dict[str, Json],
    other_api: Api,
    other_brand: Json,
) -> None:
    path = attachments_path(brand, ticket, f"/{theirs['attachment']['id']}")

    assert_problem(api.get(path), 404, "attachment_not_found")
    assert_problem(api.delete(path), 404, "attachment_not_found")
    still_there = other_api.ok(
        "get", attachments_path(other_brand, theirs["ticket"], f"/{theirs['attachment']['id']}")
    )
    assert still_there["status"] == "UPLOADED"


def test_a_brand_scoped_key_cannot_reach_a_sibling_brands_attachments(
    api: Api, brand: Json, ticket: Json
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    created = upload(api, brand, ticket, png())
    scoped = api.ok(
        "post",
        "/accounts/me/api-keys",
        201,
        json={"name": "Outlet only", "allBrands": False, "brandIds": [sibling["id"]]},
    )
    scoped_api = Api(api.client, scoped["key"], api.account_id)

    response = scoped_api.get(attachments_path(brand, ticket, f"/{created['id']}"))

    assert response.status_code == 404


def test_an_attachment_is_not_found_under_another_ticket_of_the_same_brand(
    api: Api, brand: Json, ticket: Json
) -> None:
    created = upload(api, brand, ticket, png())
    other = make_ticket(api, brand, title="Other")

    assert_problem(
        api.get(attachments_path(brand, other, f"/{created['id']}")), 404, "attachment_not_found"
    )


def test_uploads_to_unknown_or_deleted_tickets_are_not_found_and_store_nothing(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")

    for ticket_id in (ticket["id"], "tkt_unknown"):
        response = api.post(attachments_path(brand, ticket_id, "/upload"), **multipart(png()))
        assert_problem(response, 404, "ticket_not_found")
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_comment_id_must_be_a_live_comment_of_the_same_ticket(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    other = make_ticket(api, brand, title="Other")
    elsewhere = add_comment(session, brand, other)
    deleted = add_comment(session, brand, ticket, deleted=True)

    for comment_id in (elsewhere, deleted, "cmt_unknown"):
        response = api.post(
            attachments_path(brand, ticket, "/upload"), **multipart(png(), commentId=comment_id)
        )
        assert error_fields(assert_problem(response, 422, "unknown_comment")) == {"commentId"}
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        ({"data": {"note": "no file"}}, "note"),
        ({"data": {}}, "file"),
        ({"files": {"document": ("a.png", png(), "image/png")}}, "document"),
        ({"files": {"file": ("a.png", png(), "image/png")}, "data": {"ticketId": "x"}}, "ticketId"),
        ({"json": {"file": "aGVsbG8="}}, "file"),
        (
            {"files": {"file": ("a.png", png(), "image/png")}, "data": {"commentId": "c" * 65}},
            "commentId",
        ),
        (
            {"files": {"file": ("a.png", png(), "image/png")}, "data": {"uploadedBy": "u" * 321}},
            "uploadedBy",
        ),
        ({"files": {"file": ("a.png", png(), "image/png")}, "data": {"file": "text"}}, "file"),
    ],
    ids=[
        "no-file",
        "empty-form",
        "wrong-field-name",
        "unknown-field",
        "json-body",
        "long-comment-id",
        "long-uploaded-by",
        "file-twice",
    ],
)
def test_malformed_multipart_uploads_are_refused_and_store_nothing(
    api: Api,
    brand: Json,
    ticket: Json,
    settings: Settings,
    session: Session,
    request_kwargs: dict[str, Any],
    field: str,
) -> None:
    response = api.post(attachments_path(brand, ticket, "/upload"), **request_kwargs)

    assert response.status_code in (400, 422), response.text
    if response.status_code == 422:
        assert field in error_fields(response.json())
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_two_files_in_one_upload_are_refused(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    files = [("file", ("a.png", png(), "image/png")), ("file", ("b.png", png(), "image/png"))]

    response = api.post(attachments_path(brand, ticket, "/upload"), files=files)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_an_empty_file_is_refused(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    response = api.post(attachments_path(brand, ticket, "/upload"), **multipart(b""))

    assert error_fields(assert_problem(response, 422, "empty_file")) == {"file"}
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_a_malformed_part_content_type_is_refused(
    api: Api, brand: Json, ticket: Json, settings: Settings, session: Session
) -> None:
    response = api.post(
        attachments_path(brand, ticket, "/upload"), **multipart(png(), content_type="not a type")
    )

    assert error_fields(assert_problem(response, 422, "validation_error")) == {"file"}
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contentType": "image/png", "size": 10}, "filename"),
        ({"filename": "a.png", "size": 10}, "contentType"),
        ({"filename": "a.png", "contentType": "image/png"}, "size"),
        ({"filename": "a.png", "contentType": "image/png", "size": 0}, "size"),
        ({"filename": "a.png", "contentType": "image/png", "size": -5}, "size"),
        ({"filename": "a.png", "contentType": "image/png", "size": "big"}, "size"),
        ({"filename": "", "contentType": "image/png", "size": 10}, "filename"),
        ({"filename": "a\x00.png", "contentType": "image/png", "size": 10}, "filename"),
        ({"filename": "a.png", "contentType": "image/png", "size": 10, "owner": "me"}, "owner"),
        ({"filename": "a.png", "content_type": "image/png", "size": 10}, "content_type"),
    ],
)
def test_malformed_initiate_requests_are_refused_and_create_nothing(
    api: Api, brand: Json, ticket: Json, session: Session, body: Json, field: str
) -> None:
    for path in (attachments_path(brand, ticket), pending_path(brand)):
        response = api.post(path, json=body)
        assert field in error_fields(assert_problem(response, 422, "validation_error"))
    assert attachment_rows(session, brand["id"]) == []


def test_unknown_attachment_ids_are_not_found(api: Api, brand: Json, ticket: Json) -> None:
    for response in (
        api.get(attachments_path(brand, ticket, "/att_unknown")),
        api.post(attachments_path(brand, ticket, "/att_unknown/confirm")),
        api.delete(attachments_path(brand, ticket, "/att_unknown")),
        api.post(pending_path(brand, "/att_unknown/confirm")),
    ):
        assert_problem(response, 404, "attachment_not_found")


def test_upload_url_of_a_deleted_attachment_is_dead(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    data = png()
    started = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "a.png", "contentType": "image/png", "size": len(data)},
    )
    api.ok("delete", attachments_path(brand, ticket, f"/{started['id']}"), 204)

    response = put_bytes(api, started["uploadUrl"], data)

    assert_problem(response, 404, "attachment_not_found")
    assert stored_files(settings) == []


def test_requests_without_an_api_key_are_refused_before_reading_the_file(
    api: Api, brand: Json, ticket: Json, settings: Settings
) -> None:
    response = api.client.post(
        f"/v1{attachments_path(brand, ticket, '/upload')}", **multipart(png())
    )

    assert_problem(response, 401, "authentication_error")
    assert stored_files(settings) == []
