"""Secret rotation: during the grace period deliveries carry signatures of both secrets;
after it, only the new secret signs."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy.orm import Session
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from dispatch.webhooks import service, signing
from tests.conftest import Api
from tests.webhooks.helpers import Json, stored_webhook, webhook_path

BODY = b'{"id":"evt_1","event":"ticket.updated","data":{}}'


def headers_now(session: Session, webhook_id: str) -> dict[str, str]:
    """The signature headers the worker would send now, from the stored webhook."""
    secret, previous = service.signing_secrets(stored_webhook(session, webhook_id))
    return signing.signature_headers(
        secret, "whd_1", int(time.time()), BODY, previous_secret=previous
    )


def verifies(secret: str, headers: dict[str, str]) -> bool:
    try:
        StandardWebhook(secret).verify(BODY, headers)
    except WebhookVerificationError:
        return False
    return True


def test_both_secrets_sign_until_the_grace_period_ends(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    old = webhook["secret"]
    new = api.ok(
        "post", webhook_path(brand, webhook, "/rotate-secret"), json={"gracePeriodHours": 2}
    )["secret"]

    during = headers_now(session, webhook["id"])
    assert verifies(new, during)
    assert verifies(old, during)
    assert signing.verify_dispatch_signature(BODY, during["X-Dispatch-Signature"], new)
    assert signing.verify_dispatch_signature(BODY, during["X-Dispatch-Signature-Previous"], old)

    frozen_clock.advance(hours=2, seconds=-1)
    assert verifies(old, headers_now(session, webhook["id"]))

    frozen_clock.advance(seconds=1)
    after = headers_now(session, webhook["id"])
    assert verifies(new, after)
    assert not verifies(old, after)
    assert "X-Dispatch-Signature-Previous" not in after
    assert not signing.verify_dispatch_signature(BODY, after["X-Dispatch-Signature"], old)


def test_rotating_again_retires_the_oldest_secret(
    api: Api, brand: Json, webhook: Json, session: Session, frozen_clock: Any
) -> None:
    first = webhook["secret"]
    second = api.ok("post", webhook_path(brand, webhook, "/rotate-secret"))["secret"]
    frozen_clock.advance(hours=1)
    third = api.ok("post", webhook_path(brand, webhook, "/rotate-secret"))["secret"]

    headers = headers_now(session, webhook["id"])
    assert verifies(third, headers)
    assert verifies(second, headers)
    assert not verifies(first, headers)
    assert len(headers["webhook-signature"].split(" ")) == 2


@pytest.mark.parametrize("hours", [0, None])
def test_without_a_rotation_or_grace_only_the_current_secret_signs(
    api: Api, brand: Json, webhook: Json, session: Session, hours: int | None
) -> None:
    secret = webhook["secret"]
    if hours is not None:
        secret = api.ok(
            "post", webhook_path(brand, webhook, "/rotate-secret"), json={"gracePeriodHours": hours}
        )["secret"]
    headers = headers_now(session, webhook["id"])
    assert service.signing_secrets(stored_webhook(session, webhook["id"])) == (secret, None)
    assert verifies(secret, headers)
    assert " " not in headers["webhook-signature"]
    if hours is not None:
        assert not verifies(webhook["secret"], headers)
