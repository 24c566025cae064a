"""Signatures: the reference's `X-Dispatch-Signature: sha256=<hex>` and Standard Webhooks,
checked with the `standardwebhooks` package and with the reference SDK's rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from dispatch.webhooks import signing

BODY = b'{"id":"evt_1","event":"ticket.created","data":{"title":"Caf\xc3\xa9 order"}}'


def reference_signature(body: bytes, secret: str) -> str:
    """The reference SDK's generateSignature: hex HMAC-SHA256 keyed with the secret string."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_generated_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    secrets = {signing.generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[6:], validate=True)) == 32
        StandardWebhook(secret)  # a Standard Webhooks library accepts it


def test_headers_verify_with_standardwebhooks_and_the_reference_rule() -> None:
    secret = signing.generate_secret()
    now = int(time.time())
    headers = signing.signature_headers(secret, "whd_abc", now, BODY)

    assert set(headers) == {
        "X-Dispatch-Signature",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
    assert headers["webhook-id"] == "whd_abc"
    assert headers["webhook-timestamp"] == str(now)
    assert StandardWebhook(secret).verify(BODY, headers) == {
        "id": "evt_1",
        "event": "ticket.created",
        "data": {"title": "Café order"},
    }
    assert headers["X-Dispatch-Signature"] == reference_signature(BODY, secret)
    assert signing.verify_dispatch_signature(BODY, headers["X-Dispatch-Signature"], secret)


def test_a_free_form_secret_signs_standard_webhooks_with_its_raw_bytes() -> None:
    secret = "my-reference-secret-1234"
    headers = signing.signature_headers(secret, "whd_raw", int(time.time()), BODY)
    StandardWebhook(secret.encode()).verify(BODY, headers)
    assert headers["X-Dispatch-Signature"] == reference_signature(BODY, secret)


def test_the_standard_signature_covers_id_timestamp_and_body() -> None:
    secret = signing.generate_secret()
    now = int(time.time())
    headers = signing.signature_headers(secret, "whd_1", now, BODY)
    verifier = StandardWebhook(secret)
    for tampered in (
        {**headers, "webhook-id": "whd_2"},
        {**headers, "webhook-timestamp": str(now - 1)},
    ):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(BODY, tampered)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(signing.generate_secret()).verify(BODY, headers)


def test_during_a_rotation_both_secrets_sign() -> None:
    new, old = signing.generate_secret(), signing.generate_secret()
    headers = signing.signature_headers(new, "whd_r", int(time.time()), BODY, previous_secret=old)

    entries = headers["webhook-signature"].split(" ")
    assert len(entries) == 2
    assert all(e.startswith("v1,") for e in entries)
    StandardWebhook(new).verify(BODY, headers)
    StandardWebhook(old).verify(BODY, headers)
    assert headers["X-Dispatch-Signature"] == reference_signature(BODY, new)
    assert headers["X-Dispatch-Signature-Previous"] == reference_signature(BODY, old)


def test_without_a_previous_secret_only_one_signature_is_sent() -> None:
    secret = signing.generate_secret()
    headers = signing.signature_headers(secret, "whd_1", 1_700_000_000, BODY)
    assert " " not in headers["webhook-signature"]
    assert "X-Dispatch-Signature-Previous" not in headers
    same = signing.signature_headers(secret, "whd_1", 1_700_000_000, BODY, previous_secret=secret)
    assert same == headers


def test_standard_signature_matches_the_spec_by_hand() -> None:
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    expected = base64.b64encode(
        hmac.new(key, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()
    ).decode()
    assert signing.standard_signature(secret, "msg_1", 1_700_000_000, BODY) == f"v1,{expected}"


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        ("good", True),
        ("", False),
        ("sha256", False),
        ("sha256=", False),
        ("sha1=abc", False),
        ("SHA256=good", False),
        ("sha256=good=extra", False),
        ("sha256=GOOD", False),  # hex must be lowercase, as the reference generates it
        ("sha256=goodextra", False),
        ("sha256=short", False),
        ("sha256=ü", False),
    ],
)
def test_verify_dispatch_signature_follows_the_reference_sdk(header: str, valid: bool) -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    good = reference_signature(BODY, secret)
    header = {
        "good": good,
        "sha256=good": good,
        "SHA256=good": "SHA256=" + good[7:],
        "sha256=good=extra": good + "=extra",
        "sha256=GOOD": "sha256=" + good[7:].upper(),
        "sha256=goodextra": good + "00",
        "sha256=short": good[:-2],
    }.get(header, header)
    assert signing.verify_dispatch_signature(BODY, header, secret) is valid


def test_verify_dispatch_signature_refuses_a_missing_secret_or_another_body() -> None:
    secret = signing.generate_secret()
    header = reference_signature(BODY, secret)
    assert not signing.verify_dispatch_signature(BODY, header, "")
    assert not signing.verify_dispatch_signature(BODY + b"x", header, secret)
    assert not signing.verify_dispatch_signature(BODY, header, signing.generate_secret())


@pytest.mark.parametrize(
    ("secret", "key_bytes"),
    [
        ("whsec_" + base64.b64encode(b"a" * 24).decode(), 24),
        ("whsec_" + base64.b64encode(b"a" * 64).decode(), 64),
        ("whsec_" + base64.b64encode(b"a" * 32).decode().rstrip("="), 32),
        ("whsec_" + base64.b64encode(b"a" * 23).decode(), None),
        ("whsec_" + base64.b64encode(b"a" * 65).decode(), None),
        ("whsec_not base64!", None),
        ("whsec_", None),
        ("plain-secret-of-20chr", None),
    ],
)
def test_decode_whsec_accepts_base64_of_24_to_64_bytes(secret: str, key_bytes: int | None) -> None:
    key = signing.decode_whsec(secret)
    assert (len(key) if key is not None else None) == key_bytes
