"""Where attachment bytes live: a small interface, the local filesystem and S3.

Keys are logical names chosen by the service (`<brandId>/<attachmentId>`); a storage maps
them to files or objects. `presign_put`/`presign_get` return a URL the client can use
directly, or None when the bytes must go through Dispatch (local storage).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast
from urllib.parse import quote

from dispatch.core.errors import DomainError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK_BYTES = 64 * 1024
# Logical keys: slash-separated segments of URL-safe characters, never `.` or `..`.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}){0,7}")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ReadStream(Readable, Protocol):
    def close(self) -> None: ...


class StorageUnavailable(DomainError):
    status = 503
    code = "storage_unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(f"Attachment storage is unavailable: {detail}")


class InvalidStorageKey(ValueError):
    pass


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise InvalidStorageKey(f"not a storage key: {key!r}")
    return key


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name as RFC 5987 UTF-8."""
    fallback = "".join(
        c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename
    ).strip()
    exact = quote(filename, safe="")
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{exact}"


class Storage(ABC):
    """The operations attachments need; every method takes a logical key."""

    @abstractmethod
    def put(self, key: str, stream: Readable) -> None:
        """Store everything `stream.read()` yields under `key` (replacing nothing half-way:
        a failed put leaves no object behind)."""

    @abstractmethod
    def open(self, key: str) -> ReadStream:
        """The stored bytes as a stream; FileNotFoundError when there are none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the bytes; a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The stored size in bytes, or None when nothing is stored under `key`."""

    @abstractmethod
    def presign_put(self, key: str, content_type: str, expires: timedelta) -> str | None:
        """A URL the client PUTs the bytes to, or None: upload through Dispatch."""

    @abstractmethod
    def presign_get(
        self,
        key: str,
        filename: str,
        expires: timedelta,
        *,
        content_type: str = "application/octet-stream",
    ) -> str | None:
        """A URL that downloads the bytes as `filename`, or None: serve through Dispatch."""

    def read_head(self, key: str, limit: int) -> bytes:
        """Up to `limit` first bytes (for sniffing what arrived)."""
        stream = self.open(key)
        try:
            return read_exactly(stream, limit)
        finally:
            stream.close()


def read_exactly(stream: Readable, limit: int) -> bytes:
    """Read until `limit` bytes or the end, whatever short reads the stream makes."""
    parts: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


class LocalStorage(Storage):
    """Files under `root`, spread over hashed subdirectories (`ab/cd/<key>`). A put writes
    a temporary file inside the root and renames it into place, so readers never see a
    partial file and a failed put leaves nothing."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.tmp = self.root / ".tmp"

    def path(self, key: str) -> Path:
        check_key(key)
        shard = hashlib.sha256(key.encode()).hexdigest()
        path = (self.root / shard[:2] / shard[2:4] / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidStorageKey(f"key escapes the storage root: {key!r}")
        return path

    def put(self, key: str, stream: Readable) -> None:
        target = self.path(key)
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="put-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> ReadStream:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def presign_put(self, key: str, content_type: str, expires: timedelta) -> str | None:
        return None

    def presign_get(
        self,
        key: str,
        filename: str,
        expires: timedelta,
        *,
        content_type: str = "application/octet-stream",
    ) -> str | None:
        return None

    def clear(self) -> None:
        """Remove every stored file (tests)."""
        shutil.rmtree(self.root, ignore_errors=True)


class S3Storage(Storage):
    """An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO). Needs `dispatch[s3]`.

    Clients upload and download with presigned URLs; downloads are presigned with
    `Content-Disposition: attachment` and the safe content type Dispatch chose."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        self.bucket = bucket
        if client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise RuntimeError(
                    "DISPATCH_STORAGE=s3 needs boto3: pip install 'dispatch[s3]'"
                ) from exc
            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                config=Config(signature_version="s3v4"),
            )
        self.client = client

    def _errors(self) -> tuple[type[Exception], ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        return (BotoCoreError, ClientError)

    def _missing(self, exc: Exception) -> bool:
        response: dict[str, Any] = getattr(exc, "response", {}) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, stream: Readable) -> None:
        try:
            self.client.upload_fileobj(cast(BinaryIO, stream), self.bucket, check_key(key))
        except self._errors() as exc:
            raise StorageUnavailable(str(exc)) from exc

    def open(self, key: str) -> ReadStream:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except self._errors() as exc:
            if self._missing(exc):
                raise FileNotFoundError(key) from exc
            raise StorageUnavailable(str(exc)) from exc
        return cast(ReadStream, response["Body"])

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))
        except self._errors() as exc:
            if not self._missing(exc):
                raise StorageUnavailable(str(exc)) from exc

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except self._errors() as exc:
            if self._missing(exc):
                return None
            raise StorageUnavailable(str(exc)) from exc
        return int(head["ContentLength"])

    def presign_put(self, key: str, content_type: str, expires: timedelta) -> str | None:
        return self.client.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": check_key(key), "ContentType": content_type},
            ExpiresIn=int(expires.total_seconds()),
            HttpMethod="PUT",
        )

    def presign_get(
        self,
        key: str,
        filename: str,
        expires: timedelta,
        *,
        content_type: str = "application/octet-stream",
    ) -> str | None:
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key),
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=int(expires.total_seconds()),
        )
