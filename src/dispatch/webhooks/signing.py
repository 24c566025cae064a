"""Webhook signatures: the reference's `X-Dispatch-Signature` and Standard Webhooks.

- `X-Dispatch-Signature: sha256=<hex>`: lowercase hex HMAC-SHA256 of the raw body, keyed
  with the secret string exactly as shown to the user (including "whsec_"). No timestamp.
- `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`: HMAC-SHA256 of
  "{id}.{timestamp}.{body}" keyed with the base64-decoded part after "whsec_"
  (https://www.standardwebhooks.com). A secret given by the user that is not a whsec_
  secret (the reference allows any string) signs with its raw UTF-8 bytes.

During a secret rotation both secrets sign: `webhook-signature` carries two `v1,` entries
(new first) and `X-Dispatch-Signature-Previous` the old secret's sha256 signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32
# A whsec_ secret given by the user must decode to this many bytes.
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64

DISPATCH_SIGNATURE = "X-Dispatch-Signature"
DISPATCH_SIGNATURE_PREVIOUS = "X-Dispatch-Signature-Previous"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"


def generate_secret() -> str:
    """`whsec_` + base64 of 32 random bytes: valid for Standard Webhooks libraries."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def decode_whsec(secret: str) -> bytes | None:
    """The key bytes of a well-formed `whsec_` secret (24..64 bytes), else None."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES else None


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks HMAC key of a secret: the decoded whsec_ part, or (for the
    reference's free-form secrets) the secret's own UTF-8 bytes."""
    key = decode_whsec(secret)
    return key if key is not None else secret.encode("utf-8")


def dispatch_signature(secret: str, body: bytes) -> str:
    """`sha256=<lowercase hex>` of the body, keyed with the secret string as shown."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` entry of `webhook-signature`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_headers(
    secret: str,
    message_id: str,
    timestamp: int,
    body: bytes,
    *,
    previous_secret: str | None = None,
) -> dict[str, str]:
    """The signature headers of one attempt. `message_id` stays the same across retries of
    a delivery (receivers dedupe on it); `timestamp` is the attempt's Unix time."""
    signatures = [standard_signature(secret, message_id, timestamp, body)]
    headers = {DISPATCH_SIGNATURE: dispatch_signature(secret, body)}
    if previous_secret is not None and previous_secret != secret:
        signatures.append(standard_signature(previous_secret, message_id, timestamp, body))
        headers[DISPATCH_SIGNATURE_PREVIOUS] = dispatch_signature(previous_secret, body)
    headers[WEBHOOK_ID] = message_id
    headers[WEBHOOK_TIMESTAMP] = str(timestamp)
    headers[WEBHOOK_SIGNATURE] = " ".join(signatures)
    return headers


def verify_dispatch_signature(body: bytes, header: str, secret: str) -> bool:
    """The reference SDK's check of `X-Dispatch-Signature`: header and secret present, the
    header exactly `sha256=<hex>`, compared in constant time (length mismatch is False)."""
    if not header or not secret:
        return False
    parts = header.split("=")
    if len(parts) != 2 or parts[0] != "sha256":
        return False
    expected = dispatch_signature(secret, body).split("=", 1)[1]
    return hmac.compare_digest(expected.encode("ascii"), parts[1].encode("utf-8"))
