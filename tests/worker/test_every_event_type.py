"""Every subscribable event type reaches a local receiver over HTTP, and each delivery
verifies under both signature schemes: the reference `X-Dispatch-Signature` and Standard
Webhooks, checked by the `standardwebhooks` package itself."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook as StandardWebhook

from dispatch.webhooks import signing
from dispatch.webhooks.models import Webhook
from dispatch.webhooks.payloads import EVENT_TYPES, TEST_EVENT
from dispatch.worker.runner import Worker
from tests.worker.conftest import SECRET
from tests.worker.helpers import add_event
from tests.worker.receiver import Receiver


def _data(event_type: str, webhook: Webhook) -> dict[str, Any]:
    if event_type == TEST_EVENT:
        # The test event is addressed to one webhook.
        return {"webhookId": webhook.id}
    return {"id": f"obj_{event_type.replace('.', '_')}", "title": "Order never arrived"}


def test_every_event_type_arrives_verified_by_both_signature_schemes(
    session: Session, brand: dict[str, Any], webhook: Webhook, receiver: Receiver, worker: Worker
) -> None:
    for event_type in sorted(EVENT_TYPES):
        add_event(session, brand["id"], event_type, **_data(event_type, webhook))

    sent = 0
    for _ in range(len(EVENT_TYPES)):  # bounded: each pass sends up to the concurrency
        sent += worker.run_once().sent
        if sent >= len(EVENT_TYPES):
            break
    received = receiver.wait_for(len(EVENT_TYPES))

    standard = StandardWebhook(SECRET)
    arrived = set()
    for request in received:
        headers = request.headers
        assert signing.verify_dispatch_signature(
            request.body, headers["x-dispatch-signature"], SECRET
        )
        payload = standard.verify(request.body, headers)
        assert payload == json.loads(request.body)
        assert payload["event"] == payload["type"] == headers["x-dispatch-event"]
        arrived.add(payload["event"])
    assert arrived == set(EVENT_TYPES)
