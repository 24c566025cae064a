"""The URLs an attachment is uploaded to and downloaded from.

The storage's presigned URLs where it has them (S3); otherwise Dispatch's own signed URLs:
`PUT /v1/uploads/{token}` and `GET /v1/attachments/{id}/download?expires=&signature=`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from dispatch.attachments import signing, sniff
from dispatch.attachments.config import AttachmentConfig
from dispatch.attachments.models import Attachment
from dispatch.core import clock


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: datetime


def _expiry(ttl: timedelta) -> datetime:
    """Now plus `ttl`, to the whole second (what a signature can say)."""
    return datetime.fromtimestamp(int((clock.now() + ttl).timestamp()), UTC)


@dataclass(frozen=True, slots=True)
class Links:
    config: AttachmentConfig
    # Where clients reach Dispatch, without a trailing slash (https://help.example.com).
    base_url: str

    def download(self, attachment: Attachment) -> SignedUrl:
        expires_at = _expiry(self.config.download_ttl)
        presigned = self.config.storage.presign_get(
            attachment.storage_key,
            attachment.filename,
            self.config.download_ttl,
            content_type=sniff.served_type(attachment.detected_type),
        )
        if presigned is not None:
            return SignedUrl(presigned, expires_at)
        expires, signature = signing.sign_download(self.config.secret, attachment.id, expires_at)
        query = urlencode({"expires": expires, "signature": signature})
        path = f"/v1/attachments/{quote(attachment.id, safe='')}/download"
        return SignedUrl(f"{self.base_url}{path}?{query}", expires_at)

    def upload(self, attachment: Attachment) -> SignedUrl:
        expires_at = _expiry(self.config.upload_ttl)
        presigned = self.config.storage.presign_put(
            attachment.storage_key, attachment.content_type, self.config.upload_ttl
        )
        if presigned is not None:
            return SignedUrl(presigned, expires_at)
        token = signing.sign_upload(self.config.secret, attachment.id, attachment.size, expires_at)
        return SignedUrl(f"{self.base_url}/v1/uploads/{token}", expires_at)
