"""Downloads through Dispatch: signed, expiring links needing no API key, served as inert
attachments; batch refresh of links for `attachment:<id>` references."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from tests.attachments.helpers import (
    Json,
    assert_problem,
    attachments_path,
    error_fields,
    local_path,
    pdf,
    png,
    put_bytes,
    stored_files,
    text,
    upload,
    upload_pending,
)
from tests.conftest import Api, make_ticket


def urls_path(brand: Json) -> str:
    return f"/brands/{brand['id']}/attachments/urls"


def link_parts(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_download_headers_make_the_file_an_inert_attachment(
    api: Api, brand: Json, ticket: Json
) -> None:
    data = png(400)
    created = upload(api, brand, ticket, data, filename="Quittung März 2026 (1).png")

    response = api.client.get(local_path(created["downloadUrl"]))

    assert response.status_code == 200
    assert response.content == data
    headers = response.headers
    assert headers["content-type"] == "image/png"
    assert headers["content-length"] == str(len(data))
    assert headers["content-disposition"] == (
        'attachment; filename="Quittung M_rz 2026 (1).png"; '
        "filename*=UTF-8''Quittung%20M%C3%A4rz%202026%20%281%29.png"
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "sandbox"
    assert "no-store" in headers["cache-control"]


def test_plain_text_and_pdf_keep_their_type_when_downloaded(
    api: Api, brand: Json, ticket: Json
) -> None:
    note = upload(api, brand, ticket, text(), filename="note.txt", content_type="text/plain")
    invoice = upload(
        api, brand, ticket, pdf(), filename="invoice.pdf", content_type="application/pdf"
    )

    note_type = api.client.get(local_path(note["downloadUrl"])).headers["content-type"]
    invoice_type = api.client.get(local_path(invoice["downloadUrl"])).headers["content-type"]

    assert note_type.startswith("text/plain")
    assert invoice_type == "application/pdf"


def test_a_filename_with_quotes_cannot_break_out_of_the_header(
    api: Api, brand: Json, ticket: Json
) -> None:
    data = png()
    body = {"filename": 'x"; filename="evil.html', "contentType": "image/png", "size": len(data)}
    started = api.ok("post", attachments_path(brand, ticket), 201, json=body)
    put_bytes(api, started["uploadUrl"], data)
    api.ok("post", attachments_path(brand, ticket, f"/{started['id']}/confirm"))
    got = api.ok("get", attachments_path(brand, ticket, f"/{started['id']}"))

    disposition = api.client.get(local_path(got["downloadUrl"])).headers["content-disposition"]

    assert disposition.startswith('attachment; filename="x_; filename=_evil.html";')
    assert disposition.endswith("filename*=UTF-8''x%22%3B%20filename%3D%22evil.html")


def test_download_link_is_valid_for_one_hour(
    api: Api, brand: Json, ticket: Json, frozen_clock: Any
) -> None:
    created = upload(api, brand, ticket, png())
    path = local_path(created["downloadUrl"])
    assert created["expiresAt"] == "2026-01-15T10:00:00Z"

    frozen_clock.advance(minutes=59, seconds=59)
    still_valid = api.client.get(path)
    frozen_clock.advance(seconds=1)
    expired = api.client.get(path)

    assert still_valid.status_code == 200
    assert_problem(expired, 403, "link_expired")


def test_a_fresh_read_gives_a_fresh_link_after_the_old_one_expired(
    api: Api, brand: Json, ticket: Json, frozen_clock: Any
) -> None:
    created = upload(api, brand, ticket, png())
    frozen_clock.advance(hours=2)

    got = api.ok("get", attachments_path(brand, ticket, f"/{created['id']}"))

    assert got["expiresAt"] == "2026-01-15T12:00:00Z"
    assert api.client.get(local_path(got["downloadUrl"])).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda q: {**q, "expires": str(int(q["expires"]) + 86400)},
        lambda q: {
            **q,
            "signature": q["signature"][:-2] + ("AA" if q["signature"][-2:] != "AA" else "BB"),
        },
        lambda q: {"expires": q["expires"]},
        lambda q: {"signature": q["signature"]},
        lambda q: {**q, "expires": "soon"},
        lambda q: {},
    ],
    ids=["later-expiry", "altered-signature", "no-signature", "no-expiry", "bad-expiry", "bare"],
)
def test_tampered_download_links_are_refused(
    api: Api, brand: Json, ticket: Json, tamper: Any
) -> None:
    created = upload(api, brand, ticket, png())
    path, query = link_parts(created["downloadUrl"])

    response = api.client.get(path, params=tamper(query))

    assert_problem(response, 403, "invalid_signature")


def test_a_link_signed_for_one_attachment_does_not_open_another(
    api: Api, brand: Json, ticket: Json
) -> None:
    first = upload(api, brand, ticket, png(), filename="a.png")
    second = upload(api, brand, ticket, png(300), filename="b.png")
    _, query = link_parts(first["downloadUrl"])
    other_path, _ = link_parts(second["downloadUrl"])

    response = api.client.get(other_path, params=query)

    assert_problem(response, 403, "invalid_signature")


def test_a_link_to_a_deleted_attachment_or_ticket_stops_working(
    api: Api, brand: Json, ticket: Json
) -> None:
    gone = upload(api, brand, ticket, png())
    other_ticket = make_ticket(api, brand, title="Another")
    on_deleted_ticket = upload(api, brand, other_ticket, png())
    api.ok("delete", attachments_path(brand, ticket, f"/{gone['id']}"), 204)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{other_ticket['id']}")

    assert_problem(api.client.get(local_path(gone["downloadUrl"])), 404, "attachment_not_found")
    assert_problem(
        api.client.get(local_path(on_deleted_ticket["downloadUrl"])), 404, "attachment_not_found"
    )


def test_download_of_bytes_missing_from_storage_is_not_found(
    api: Api, brand: Json, ticket: Json, settings: Any
) -> None:
    created = upload(api, brand, ticket, png())
    for path in stored_files(settings):
        path.unlink()

    response = api.client.get(local_path(created["downloadUrl"]))

    assert_problem(response, 404, "attachment_not_found")


def test_batch_urls_sign_every_known_id_and_null_the_rest(
    api: Api, brand: Json, ticket: Json, other_api: Api, other_brand: Json
) -> None:
    on_ticket = upload(api, brand, ticket, png(), filename="shot.png")
    pending = upload_pending(api, brand, pdf(), filename="form.pdf", content_type="application/pdf")
    started = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "later.png", "contentType": "image/png", "size": 10},
    )
    deleted = upload(api, brand, ticket, png(), filename="gone.png")
    api.ok("delete", attachments_path(brand, ticket, f"/{deleted['id']}"), 204)
    foreign = upload_pending(other_api, other_brand, png())
    ids = [on_ticket["id"], pending["id"], started["id"], deleted["id"], foreign["id"], "att_nope"]

    urls = api.ok("post", urls_path(brand), json={"ids": ids})

    assert list(urls) == ids
    assert urls[on_ticket["id"]]["filename"] == "shot.png"
    assert urls[on_ticket["id"]]["contentType"] == "image/png"
    assert urls[pending["id"]]["contentType"] == "application/pdf"
    assert all(urls[i] is None for i in ids[2:])
    response = api.client.get(local_path(urls[on_ticket["id"]]["url"]))
    assert response.status_code == 200


def test_batch_urls_take_at_most_100_ids(api: Api, brand: Json) -> None:
    response = api.post(urls_path(brand), json={"ids": [f"att_{i}" for i in range(101)]})

    assert error_fields(assert_problem(response, 422, "validation_error")) == {"ids"}


def test_batch_urls_with_no_ids_is_an_empty_map(api: Api, brand: Json) -> None:
    assert api.ok("post", urls_path(brand), json={"ids": []}) == {}


def test_downloads_need_no_api_key_but_reads_of_attachments_do(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    created = upload(api, brand, ticket, png())

    anonymous_read = api.client.get(f"/v1{attachments_path(brand, ticket, '/' + created['id'])}")
    anonymous_download = api.client.get(local_path(created["downloadUrl"]))

    assert anonymous_read.status_code == 401
    assert anonymous_download.status_code == 200
