"""Content types: sniffed from the bytes, a contradicting declaration refused (nothing kept),
both types stored, and neither trusted for rendering a download."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dispatch.attachments import sniff
from dispatch.settings import Settings
from tests.attachments.helpers import (
    Json,
    assert_problem,
    attachment_rows,
    attachments_path,
    elf,
    error_fields,
    local_path,
    multipart,
    pdf,
    pending_path,
    png,
    stored_files,
    text,
    upload,
)
from tests.conftest import Api

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 100
GIF = b"GIF89a" + b"\x00" * 100
ZIP = b"PK\x03\x04" + b"\x00" * 100
WINDOWS_EXE = b"MZ\x90\x00" + b"\x00" * 200
MACH_O = b"\xcf\xfa\xed\xfe" + b"\x00" * 100
HTML = b"  <!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
CP1252_TEXT = "Café crème, 10 € — order #1042\r\n".encode("cp1252")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(), "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (pdf(), "application/pdf"),
        (ZIP, "application/zip"),
        (elf(), "application/x-executable"),
        (WINDOWS_EXE, "application/x-msdownload"),
        (MACH_O, "application/x-mach-binary"),
        (HTML, "text/html"),
        (SVG, "image/svg+xml"),
        (b"<?xml version='1.0'?><order id='1'/>", "application/xml"),
        (b"#!/bin/sh\nrm -rf /\n", "text/x-shellscript"),
        (text(), "text/plain"),
        (CP1252_TEXT, "text/plain"),
        (b'{"order": 1042}', "text/plain"),
        (b"\x00\x01\x02\x03binary\x00\xff", "application/octet-stream"),
    ],
)
def test_detect_names_what_the_bytes_are(data: bytes, expected: str) -> None:
    assert sniff.detect(data) == expected


@pytest.mark.parametrize(
    ("declared", "data"),
    [
        ("image/png", pdf()),
        ("image/png", elf()),
        ("image/png", WINDOWS_EXE),
        ("image/jpeg", HTML),
        ("image/gif", SVG),
        ("application/pdf", text()),
        ("application/pdf", png()),
        ("text/plain", png()),
        ("text/plain", elf()),
        ("text/csv", b"\x00\x01\x02binary"),
        ("application/zip", pdf()),
        ("application/vnd.acme.report", png()),
        ("application/x-tar", MACH_O),
    ],
)
def test_declarations_the_bytes_contradict(declared: str, data: bytes) -> None:
    assert sniff.contradicts(declared, sniff.detect(data))


@pytest.mark.parametrize(
    ("declared", "data"),
    [
        ("image/png", png()),
        ("image/jpg", JPEG),
        ("image/png", JPEG),  # another raster image: mislabelled, not lying
        ("application/octet-stream", elf()),  # says nothing: honest
        ("", WINDOWS_EXE),
        ("application/x-msdos-program", WINDOWS_EXE),
        ("text/plain", HTML),
        ("text/html", HTML),
        ("image/svg+xml", SVG),
        ("application/json", b'{"order": 1042}'),
        ("text/csv", CP1252_TEXT),
        ("application/vnd.ms-excel", b"id,total\n1,10\n"),  # how Windows labels .csv
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
        ("application/vnd.acme.bundle", ZIP),  # vendor formats are often zips
        ("application/x-zip-compressed", ZIP),
        ("application/vnd.acme.custom", b"\x00\x01\x02binary"),
    ],
)
def test_declarations_the_bytes_bear_out(declared: str, data: bytes) -> None:
    assert not sniff.contradicts(declared, sniff.detect(data))


@pytest.mark.parametrize(
    ("detected", "served"),
    [
        ("image/png", "image/png"),
        ("image/jpeg", "image/jpeg"),
        ("image/webp", "image/webp"),
        ("application/pdf", "application/pdf"),
        ("text/plain", "text/plain"),
        ("text/html", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("application/xml", "application/octet-stream"),
        ("application/x-executable", "application/octet-stream"),
        ("application/zip", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_only_raster_images_pdf_and_plain_text_keep_their_type_when_served(
    detected: str | None, served: str
) -> None:
    assert sniff.served_type(detected) == served


@pytest.mark.parametrize(
    ("declared", "data"),
    [("image/png", pdf()), ("image/png", elf()), ("image/jpeg", HTML), ("text/plain", png())],
)
def test_upload_with_a_lying_content_type_is_refused_and_nothing_is_kept(
    api: Api,
    brand: Json,
    ticket: Json,
    settings: Settings,
    session: Session,
    declared: str,
    data: bytes,
) -> None:
    response = api.post(
        attachments_path(brand, ticket, "/upload"), **multipart(data, "photo.png", declared)
    )

    body = assert_problem(response, 422, "content_type_mismatch")
    assert error_fields(body) == {"file"}
    assert declared in body["message"]
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []
    assert api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["attachmentCount"] == 0


def test_pending_upload_with_a_lying_content_type_is_refused(
    api: Api, brand: Json, settings: Settings, session: Session
) -> None:
    response = api.post(pending_path(brand, "/upload"), **multipart(elf(), "cat.gif", "image/gif"))

    assert_problem(response, 422, "content_type_mismatch")
    assert attachment_rows(session, brand["id"]) == []
    assert stored_files(settings) == []


def test_declared_and_detected_types_are_both_stored(api: Api, brand: Json, ticket: Json) -> None:
    created = upload(api, brand, ticket, JPEG, filename="scan.png", content_type="image/png")

    assert created["contentType"] == "image/png"
    assert created["detectedType"] == "image/jpeg"


def test_declared_type_parameters_and_case_are_normalised(
    api: Api, brand: Json, ticket: Json
) -> None:
    created = upload(
        api, brand, ticket, text(), filename="a.txt", content_type="Text/Plain; charset=UTF-8"
    )

    assert created["contentType"] == "text/plain"


def test_an_executable_declared_as_octet_stream_is_kept_but_never_served_as_a_program(
    api: Api, brand: Json, ticket: Json
) -> None:
    created = upload(
        api, brand, ticket, elf(), filename="tool", content_type="application/octet-stream"
    )

    response = api.client.get(local_path(created["downloadUrl"]))

    assert created["detectedType"] == "application/x-executable"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")


def test_html_declared_honestly_is_served_as_an_inert_download(
    api: Api, brand: Json, ticket: Json
) -> None:
    created = upload(api, brand, ticket, HTML, filename="page.html", content_type="text/html")

    response = api.client.get(local_path(created["downloadUrl"]))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"


@pytest.mark.parametrize("content_type", ["png", "image/", "image/png/x", "ima ge/png"])
def test_initiate_with_a_malformed_content_type_is_refused(
    api: Api, brand: Json, ticket: Json, session: Session, content_type: str
) -> None:
    body = {"filename": "a.png", "contentType": content_type, "size": 10}

    response = api.post(attachments_path(brand, ticket), json=body)

    assert error_fields(assert_problem(response, 422, "validation_error")) == {"contentType"}
    assert attachment_rows(session, brand["id"]) == []
