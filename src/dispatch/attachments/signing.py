"""Signed, expiring credentials for attachment bytes: download links and upload tokens.

Both are HMAC-SHA256 with the server secret over a purpose, the attachment id and the
expiry (and for uploads the declared size), compared in constant time. The purpose is part
of what is signed, so a download signature never works as an upload token or the reverse.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from dispatch.core.errors import DomainError
from dispatch.settings import Settings

SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
_DIGITS = re.compile(r"[0-9]{1,15}")


class InvalidSignature(DomainError):
    status = 403
    code = "invalid_signature"

    def __init__(self, what: str = "link") -> None:
        super().__init__(f"This {what} is not valid: its signature does not match")


class LinkExpired(DomainError):
    status = 403
    code = "link_expired"

    def __init__(self, what: str = "link") -> None:
        super().__init__(f"This {what} has expired; ask for a new one")


def server_secret(settings: Settings) -> bytes:
    """DISPATCH_SECRET_KEY, or a random secret generated once into data_dir/secret_key
    (mode 0600) and read from there afterwards, by every process sharing the directory."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode()
    return _file_secret(settings.data_dir / SECRET_FILE)


def _file_secret(path: Path) -> bytes:
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        # A hard link fails if another process got there first: theirs wins, once.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it or set DISPATCH_SECRET_KEY")
    return value.encode()


def _mac(secret: bytes, *parts: str) -> str:
    message = "\n".join(parts).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def sign_download(secret: bytes, attachment_id: str, expires: datetime) -> tuple[int, str]:
    """(expires, signature) for `GET /v1/attachments/{id}/download`."""
    stamp = _timestamp(expires)
    return stamp, _mac(secret, "download", attachment_id, str(stamp))


def check_download(
    secret: bytes, attachment_id: str, expires: int, signature: str, now: datetime
) -> None:
    """Refuse a tampered or expired download link (the signature is checked first)."""
    expected = _mac(secret, "download", attachment_id, str(expires))
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidSignature("download link")
    if _timestamp(now) >= expires:
        raise LinkExpired("download link")


class UploadGrant(NamedTuple):
    attachment_id: str
    size: int
    expires: int


def sign_upload(secret: bytes, attachment_id: str, size: int, expires: datetime) -> str:
    """The token of `PUT /v1/uploads/{token}`: `<id>.<size>.<expires>.<signature>`."""
    stamp = _timestamp(expires)
    signature = _mac(secret, "upload", attachment_id, str(size), str(stamp))
    return f"{attachment_id}.{size}.{stamp}.{signature}"


def check_upload(secret: bytes, token: str, now: datetime) -> UploadGrant:
    parts = token.split(".")
    if len(parts) != 4 or not all(_DIGITS.fullmatch(p) for p in parts[1:3]):
        raise InvalidSignature("upload URL")
    attachment_id, size, stamp, signature = parts
    expected = _mac(secret, "upload", attachment_id, size, stamp)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidSignature("upload URL")
    if _timestamp(now) >= int(stamp):
        raise LinkExpired("upload URL")
    return UploadGrant(attachment_id, int(size), int(stamp))
