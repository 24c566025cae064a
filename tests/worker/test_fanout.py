"""Fan-out: each committed event becomes one delivery per subscribed, enabled webhook of
its brand, exactly once; internal events get none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.events import WEBHOOKS, Event, EventInbox
from dispatch.webhooks import payloads
from dispatch.webhooks.models import WebhookDelivery
from dispatch.worker.fanout import fan_out
from tests.conftest import Api, make_ticket
from tests.worker.helpers import add_event, add_webhook, deliveries_of

URL = "http://127.0.0.1:9/hooks"


def _fan_out_all(database: Database) -> int:
    created = 0
    while True:
        with database.session() as s:
            result = fan_out(s, batch=50)
            s.commit()
        created += result.deliveries
        if result.events == 0:
            return created


def _not_fanned_out(session: Session) -> list[int]:
    """Positions of the events the webhooks consumer has yet to take."""
    stmt = select(EventInbox.position).where(EventInbox.consumer == WEBHOOKS)
    return list(session.scalars(stmt))


def test_ticket_event_becomes_one_delivery_per_matching_webhook_with_rendered_body(
    api: Api, brand: dict[str, Any], session: Session, database: Database
) -> None:
    everything = add_webhook(session, brand["id"], URL, events=["*"])
    tickets = add_webhook(session, brand["id"], URL, events=["ticket.*"])
    comments = add_webhook(session, brand["id"], URL, events=["comment.created"])
    ticket = make_ticket(api, brand)

    _fan_out_all(database)

    for webhook in (everything, tickets):
        created = [
            d for d in deliveries_of(session, webhook.id) if d.event_type == "ticket.created"
        ]
        assert len(created) == 1
        delivery = created[0]
        event = session.scalars(select(Event).where(Event.id == delivery.event_id)).one()
        assert delivery.body == payloads.render(event).decode()
        assert delivery.status == "PENDING"
        assert delivery.attempts == 0
        assert delivery.next_attempt_at <= clock.now()
        assert event.data["ticket"]["id"] == ticket["id"]
    assert deliveries_of(session, comments.id) == []
    assert _not_fanned_out(session) == []


def test_each_event_is_fanned_out_once_across_passes(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    webhook = add_webhook(session, brand["id"], URL)
    for _ in range(5):
        add_event(session, brand["id"])
    assert _fan_out_all(database) >= 5
    count = len(deliveries_of(session, webhook.id))
    add_event(session, brand["id"])
    _fan_out_all(database)
    assert len(deliveries_of(session, webhook.id)) == count + 1


def test_disabled_deleted_and_other_brand_webhooks_get_nothing(
    brand: dict[str, Any],
    other_brand: dict[str, Any],
    session: Session,
    database: Database,
) -> None:
    disabled = add_webhook(session, brand["id"], URL, enabled=False)
    deleted = add_webhook(session, brand["id"], URL)
    deleted.deleted_at = deleted.created_at
    session.commit()
    foreign = add_webhook(session, other_brand["id"], URL)
    add_event(session, brand["id"])
    _fan_out_all(database)
    for webhook in (disabled, deleted, foreign):
        assert deliveries_of(session, webhook.id) == []


def test_internal_notification_events_are_never_fanned_out(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    webhook = add_webhook(session, brand["id"], URL, events=["*"])
    event = add_event(
        session, brand["id"], "notification.requested", channel="email", recipient="a@b.example"
    )
    assert event.position not in _not_fanned_out(session)
    _fan_out_all(database)
    assert deliveries_of(session, webhook.id) == []


def test_test_event_goes_only_to_the_webhook_it_names(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    target = add_webhook(session, brand["id"], URL, events=["ticket.created"])
    bystander = add_webhook(session, brand["id"], URL, events=["*"])
    add_event(session, brand["id"], "webhook.test", webhookId=target.id, message="hi")
    _fan_out_all(database)
    assert [d.event_type for d in deliveries_of(session, target.id)] == ["webhook.test"]
    assert deliveries_of(session, bystander.id) == []


def test_events_without_subscribers_are_still_consumed(
    brand: dict[str, Any], session: Session, database: Database
) -> None:
    add_event(session, brand["id"])
    _fan_out_all(database)
    assert _not_fanned_out(session) == []
    assert session.scalar(select(WebhookDelivery.id).limit(1)) is None
