"""Local storage (sharded, atomic, confined to its root), the server secret, and the
signatures of download links and upload tokens."""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dispatch.attachments import signing
from dispatch.attachments.schemas import clean_filename
from dispatch.attachments.storage import InvalidStorageKey, LocalStorage
from dispatch.settings import Settings

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
SECRET = b"test-secret"


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "attachments")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_put_open_size_and_delete_round_trip(storage: LocalStorage) -> None:
    storage.put("br_1/att_1", io.BytesIO(b"hello"))

    assert storage.exists("br_1/att_1")
    assert storage.size("br_1/att_1") == 5
    with storage.open("br_1/att_1") as stream:  # type: ignore[attr-defined]
        assert stream.read() == b"hello"
    storage.delete("br_1/att_1")
    assert not storage.exists("br_1/att_1")
    assert storage.size("br_1/att_1") is None
    storage.delete("br_1/att_1")


def test_files_are_spread_over_hashed_subdirectories(storage: LocalStorage) -> None:
    storage.put("br_1/att_1", io.BytesIO(b"a"))
    storage.put("br_1/att_2", io.BytesIO(b"b"))

    paths = [p.relative_to(storage.root) for p in files_under(storage.root)]

    assert len(paths) == 2
    for path in paths:
        first, second, brand, name = path.parts
        assert len(first) == len(second) == 2
        assert (brand, name[:4]) == ("br_1", "att_")
    assert paths[0].parts[:2] != paths[1].parts[:2]


@pytest.mark.parametrize(
    "key",
    [
        "../escape",
        "br_1/../../escape",
        "/etc/passwd",
        "br_1/.hidden",
        "",
        "a//b",
        "br 1/x",
        "a\x00b",
    ],
)
def test_keys_never_reach_outside_the_root(storage: LocalStorage, key: str) -> None:
    with pytest.raises(InvalidStorageKey):
        storage.put(key, io.BytesIO(b"x"))

    assert files_under(storage.root.parent) == []


def test_a_put_that_fails_midway_leaves_nothing_not_even_a_temporary_file(
    storage: LocalStorage,
) -> None:
    storage.put("br_1/att_1", io.BytesIO(b"original"))

    class Failing:
        calls = 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise ConnectionError("client went away")
            return b"partial"

    with pytest.raises(ConnectionError):
        storage.put("br_1/att_1", Failing())

    assert [p.name for p in files_under(storage.root)] == ["att_1"]
    with storage.open("br_1/att_1") as stream:  # type: ignore[attr-defined]
        assert stream.read() == b"original"


def test_local_storage_hands_out_no_presigned_urls(storage: LocalStorage) -> None:
    assert storage.presign_put("br_1/att_1", "image/png", timedelta(hours=1)) is None
    assert storage.presign_get("br_1/att_1", "a.png", timedelta(hours=1)) is None


def test_generated_secret_is_kept_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    first = signing.server_secret(settings)
    second = signing.server_secret(settings)

    path = tmp_path / "secret_key"
    assert first == second
    assert len(first) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_configured_secret_wins_and_writes_no_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="from-the-environment")

    assert signing.server_secret(settings) == b"from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_separate_data_directories_get_separate_secrets(tmp_path: Path) -> None:
    one = signing.server_secret(Settings(data_dir=tmp_path / "one"))
    two = signing.server_secret(Settings(data_dir=tmp_path / "two"))

    assert one != two
    assert os.listdir(tmp_path / "one") == ["secret_key"]


def test_download_signature_checks_out_until_expiry() -> None:
    expires, signature = signing.sign_download(SECRET, "att_1", NOW + timedelta(hours=1))

    signing.check_download(SECRET, "att_1", expires, signature, NOW)
    with pytest.raises(signing.LinkExpired):
        signing.check_download(SECRET, "att_1", expires, signature, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("secret", "attachment_id", "delta"),
    [(b"other-secret", "att_1", 0), (SECRET, "att_2", 0), (SECRET, "att_1", 1)],
)
def test_download_signature_binds_secret_attachment_and_expiry(
    secret: bytes, attachment_id: str, delta: int
) -> None:
    expires, signature = signing.sign_download(SECRET, "att_1", NOW + timedelta(hours=1))

    with pytest.raises(signing.InvalidSignature):
        signing.check_download(secret, attachment_id, expires + delta, signature, NOW)


def test_a_download_signature_is_no_upload_token() -> None:
    expires, signature = signing.sign_download(SECRET, "att_1", NOW + timedelta(hours=1))

    with pytest.raises(signing.InvalidSignature):
        signing.check_upload(SECRET, f"att_1.10.{expires}.{signature}", NOW)


def test_upload_token_carries_the_attachment_and_declared_size() -> None:
    token = signing.sign_upload(SECRET, "att_1", 1234, NOW + timedelta(minutes=5))

    grant = signing.check_upload(SECRET, token, NOW)

    assert (grant.attachment_id, grant.size) == ("att_1", 1234)
    with pytest.raises(signing.LinkExpired):
        signing.check_upload(SECRET, token, NOW + timedelta(minutes=5))


@pytest.mark.parametrize("size", ["1235", "12345678901234567890", "١٢٣٤"])
def test_upload_token_with_another_size_is_refused(size: str) -> None:
    token = signing.sign_upload(SECRET, "att_1", 1234, NOW + timedelta(minutes=5))
    attachment_id, _, expires, signature = token.split(".")

    with pytest.raises(signing.InvalidSignature):
        signing.check_upload(SECRET, f"{attachment_id}.{size}.{expires}.{signature}", NOW)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("photo.png", "photo.png"),
        ("C:\\Users\\jane\\photo.png", "photo.png"),
        ("../../etc/passwd", "passwd"),
        ("tab\there\x00.txt", "tabhere.txt"),
        ("   ", "file"),
        ("dir/", "file"),
        ("a" * 300 + ".jpeg", "a" * 250 + ".jpeg"),
        ("ü" * 300, "ü" * 255),
    ],
)
def test_filenames_are_cleaned(given: str, kept: str) -> None:
    assert clean_filename(given) == kept
