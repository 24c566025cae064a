"""S3-compatible storage, against moto's in-process S3 (no network)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from dispatch.attachments import config as attachment_config  # noqa: E402
from dispatch.attachments import intake  # noqa: E402
from dispatch.attachments.errors import AttachmentTooLarge  # noqa: E402
from dispatch.attachments.storage import CHUNK_BYTES, S3Storage, StorageUnavailable  # noqa: E402
from dispatch.settings import Settings  # noqa: E402
from tests.attachments.helpers import (  # noqa: E402
    LIMIT,
    Json,
    assert_problem,
    attachment_rows,
    attachments_path,
    multipart,
    pdf,
    png,
    stored_files,
    upload,
)
from tests.conftest import Api  # noqa: E402

BUCKET = "dispatch-attachments"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Storage]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", config=Config(signature_version="s3v4")
        )
        client.create_bucket(Bucket=BUCKET)
        yield S3Storage(BUCKET, client=client)


@pytest.fixture
def s3_app(app: Any, settings: Settings, s3: S3Storage) -> S3Storage:
    """The test app, storing attachments in the mocked bucket."""
    attachment_config.install(app, attachment_config.from_settings(settings, storage=s3))
    return s3


def test_put_open_size_exists_and_delete_round_trip(s3: S3Storage) -> None:
    data = png(5000)

    s3.put("br_1/att_1", io.BytesIO(data))

    assert s3.exists("br_1/att_1")
    assert s3.size("br_1/att_1") == len(data)
    stream = s3.open("br_1/att_1")
    assert stream.read() == data
    stream.close()
    assert s3.read_head("br_1/att_1", 8) == data[:8]
    s3.delete("br_1/att_1")
    assert not s3.exists("br_1/att_1")
    assert s3.size("br_1/att_1") is None
    s3.delete("br_1/att_1")  # deleting what is gone is fine


def test_missing_objects_read_as_missing(s3: S3Storage) -> None:
    with pytest.raises(FileNotFoundError):
        s3.open("br_1/att_missing")


def test_a_put_that_fails_while_reading_leaves_no_object(s3: S3Storage) -> None:
    class Failing:
        def read(self, size: int = -1) -> bytes:
            raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        s3.put("br_1/att_2", Failing())

    assert not s3.exists("br_1/att_2")


def test_an_upload_larger_than_a_read_chunk_arrives_whole(s3: S3Storage) -> None:
    data = png(3 * CHUNK_BYTES + 17)

    received = intake.receive(
        s3, "br_1/att_6", io.BytesIO(data), declared_type="image/png", max_bytes=len(data)
    )

    assert received.size == len(data)
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert s3.read_head("br_1/att_6", len(data) + 1) == data


def test_an_upload_over_the_limit_leaves_no_object(s3: S3Storage) -> None:
    data = png(3 * CHUNK_BYTES)

    with pytest.raises(AttachmentTooLarge):
        intake.receive(
            s3, "br_1/att_7", io.BytesIO(data), declared_type="image/png", max_bytes=len(data) - 1
        )

    assert not s3.exists("br_1/att_7")


def test_presigned_put_names_the_bucket_key_and_content_type(s3: S3Storage) -> None:
    url = s3.presign_put("br_1/att_3", "image/png", timedelta(minutes=15))

    assert url is not None
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path.endswith(f"/{BUCKET}/br_1/att_3") or parts.netloc.startswith(BUCKET)
    assert query["X-Amz-Expires"] == ["900"]
    assert "content-type" in query["X-Amz-SignedHeaders"][0]


def test_presigned_get_forces_an_attachment_with_the_safe_type(s3: S3Storage) -> None:
    url = s3.presign_get(
        "br_1/att_4", "Rechnung März.pdf", timedelta(hours=1), content_type="application/pdf"
    )

    assert url is not None
    query = parse_qs(urlsplit(url).query)
    assert query["response-content-type"] == ["application/pdf"]
    disposition = unquote(query["response-content-disposition"][0])
    assert disposition.startswith('attachment; filename="Rechnung M_rz.pdf"')
    assert query["X-Amz-Expires"] == ["3600"]


def test_storage_errors_surface_as_unavailable(s3: S3Storage) -> None:
    broken = S3Storage("no-such-bucket", client=s3.client)

    with pytest.raises(StorageUnavailable):
        broken.put("br_1/att_5", io.BytesIO(b"data"))


def test_settings_select_s3_storage(monkeypatch: pytest.MonkeyPatch, s3: S3Storage) -> None:
    settings = Settings(storage="s3", s3_bucket=BUCKET, s3_region="us-east-1")

    storage = attachment_config.build_storage(settings)

    assert isinstance(storage, S3Storage)
    assert storage.bucket == BUCKET


def test_s3_storage_needs_a_bucket() -> None:
    with pytest.raises(ValueError, match="DISPATCH_S3_BUCKET"):
        Settings(storage="s3")


def test_multipart_upload_lands_in_the_bucket_and_downloads_by_presigned_url(
    api: Api, brand: Json, ticket: Json, s3_app: S3Storage, settings: Settings
) -> None:
    data = png(2000)

    created = upload(api, brand, ticket, data, filename="shot.png")

    key = f"{brand['id']}/{created['id']}"
    assert s3_app.size(key) == len(data)
    url = urlsplit(created["downloadUrl"])
    assert url.netloc != "testserver"
    assert "X-Amz-Signature" in url.query
    assert parse_qs(url.query)["response-content-type"] == ["image/png"]
    assert stored_files(settings) == []


def test_initiate_hands_out_a_presigned_put_and_confirm_checks_the_object(
    api: Api, brand: Json, ticket: Json, s3_app: S3Storage
) -> None:
    data = pdf(3000)
    started = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "invoice.pdf", "contentType": "application/pdf", "size": len(data)},
    )
    assert "X-Amz-Signature" in started["uploadUrl"]
    # The client PUTs to the presigned URL; moto intercepts boto3, so put the object so.
    key = f"{brand['id']}/{started['id']}"
    s3_app.client.put_object(Bucket=BUCKET, Key=key, Body=data, ContentType="application/pdf")

    confirmed = api.ok("post", attachments_path(brand, ticket, f"/{started['id']}/confirm"))

    assert confirmed["status"] == "UPLOADED"
    assert confirmed["detectedType"] == "application/pdf"
    got = api.ok("get", attachments_path(brand, ticket, f"/{started['id']}"))
    assert "X-Amz-Signature" in got["downloadUrl"]


@pytest.mark.parametrize(
    ("body", "code"),
    [(pdf(500), "content_type_mismatch"), (png(499), "size_mismatch")],
)
def test_confirm_removes_an_object_that_fails_the_checks(
    api: Api, brand: Json, ticket: Json, s3_app: S3Storage, body: bytes, code: str
) -> None:
    started = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "a.png", "contentType": "image/png", "size": 500},
    )
    key = f"{brand['id']}/{started['id']}"
    s3_app.client.put_object(Bucket=BUCKET, Key=key, Body=body)

    response = api.post(attachments_path(brand, ticket, f"/{started['id']}/confirm"))

    assert_problem(response, 422, code)
    assert not s3_app.exists(key)


def test_upload_over_the_limit_leaves_nothing_in_the_bucket(
    api: Api, brand: Json, ticket: Json, s3_app: S3Storage, session: Any
) -> None:
    response = api.post(attachments_path(brand, ticket, "/upload"), **multipart(png(LIMIT + 1)))

    assert_problem(response, 413, "attachment_too_large")
    listed = s3_app.client.list_objects_v2(Bucket=BUCKET)
    assert listed.get("KeyCount", 0) == 0
    assert attachment_rows(session, brand["id"]) == []
