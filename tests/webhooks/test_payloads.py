"""What receivers get: subscribable event types, patterns, and the body of every event
the system emits, produced by real API calls and rendered from their event rows."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core.events import Event
from dispatch.webhooks import payloads, service
from dispatch.webhooks.payloads import EVENT_TYPES, INTERNAL_EVENT_TYPES, matches
from tests.attachments.helpers import png, upload
from tests.conftest import Api, make_status, make_ticket
from tests.webhooks.helpers import Json, make_webhook, webhook_path

REFERENCE_TYPES = {
    "ticket.created",
    "ticket.updated",
    "ticket.closed",
    "ticket.reopened",
    "ticket.deleted",
    "ticket.overdue",
    "ticket.comment.created",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "attachment.created",
    "attachment.deleted",
    "customer.created",
}


# --- Types and patterns ---------------------------------------------------------------------


def test_every_reference_type_and_the_additions_are_subscribable() -> None:
    assert REFERENCE_TYPES <= EVENT_TYPES
    for family in ("status", "contact", "company", "category", "tag", "field", "watcher", "form"):
        assert {f"{family}.created", f"{family}.updated", f"{family}.deleted"} <= EVENT_TYPES
    assert {
        "webhook.disabled",
        "webhook.test",
        "tag.merged",
        "form.token_regenerated",
    } <= EVENT_TYPES
    assert not EVENT_TYPES & INTERNAL_EVENT_TYPES
    assert "notification.requested" not in EVENT_TYPES


@pytest.mark.parametrize(
    ("patterns", "event_type", "expected"),
    [
        (["*"], "ticket.created", True),
        (["*"], "webhook.disabled", True),
        (["ticket.created"], "ticket.created", True),
        (["ticket.created"], "ticket.updated", False),
        (["ticket.*"], "ticket.updated", True),
        (["ticket.*"], "ticket.comment.created", True),
        (["ticket.comment.*"], "ticket.comment.created", True),
        (["ticket.comment.*"], "ticket.created", False),
        (["ticket.*"], "comment.created", False),
        (["comment.*"], "ticket.comment.created", False),
        (["status.*"], "status.deleted", True),
        (["status.*"], "statuses.deleted", False),
        (["tag.created", "status.*"], "status.updated", True),
        ([], "ticket.created", False),
        # Internal and unknown types match nothing, not even "*".
        (["*"], "notification.requested", False),
        (["notification.*"], "notification.requested", False),
        (["*"], "ticket.exploded", False),
    ],
)
def test_matches(patterns: list[str], event_type: str, expected: bool) -> None:
    assert matches(patterns, event_type) is expected


@pytest.mark.parametrize(
    ("pattern", "known"),
    [
        ("*", True),
        ("ticket.created", True),
        ("ticket.*", True),
        ("ticket.comment.*", True),
        ("status.*", True),
        ("webhook.*", True),
        ("customer.created", True),
        ("ticket.comment.created.*", False),
        ("ticket", False),
        ("ticket.", False),
        ("*.created", False),
        ("tickets.*", False),
        ("notification.requested", False),
        ("notification.*", False),
        ("", False),
    ],
)
def test_known_patterns(pattern: str, known: bool) -> None:
    assert payloads.is_known_pattern(pattern) is known


# --- Every event the system emits -----------------------------------------------------------


def _all_events(session: Session, brand_id: str) -> list[Event]:
    session.expire_all()
    stmt = select(Event).where(Event.brand_id == brand_id).order_by(Event.position)
    return list(session.scalars(stmt))


def _delete(api: Api, path: str) -> None:
    response = api.delete(path)
    assert response.status_code in (200, 204), response.text


@pytest.fixture
def everything(api: Api, brand: Json, session: Session) -> list[Event]:
    """Every kind of change, made through the API; the brand's event rows, in order."""
    b = f"/brands/{brand['id']}"
    category = api.ok("post", f"{b}/categories", 201, json={"name": "Billing", "key": "billing"})
    api.ok("patch", f"{b}/categories/{category['id']}", json={"description": "Money"})
    spare = api.ok("post", f"{b}/categories", 201, json={"name": "Spare"})
    _delete(api, f"{b}/categories/{spare['id']}")

    status = make_status(api, brand)
    api.ok("patch", f"{b}/statuses/{status['id']}", json={"name": "Working on it"})
    _delete(api, f"{b}/statuses/{status['id']}")

    vip = api.ok("post", f"{b}/tags", 201, json={"name": "vip"})
    api.ok("patch", f"{b}/tags/{vip['id']}", json={"color": "#ff0000"})
    gold = api.ok("post", f"{b}/tags", 201, json={"name": "gold"})
    api.ok("post", f"{b}/tags/merge", json={"sourceTagIds": [gold["id"]], "targetTagId": vip["id"]})
    _delete(api, f"{b}/tags/{vip['id']}")

    api.ok(
        "post", f"{b}/fields/ticket", 201, json={"key": "order", "label": "Order", "type": "text"}
    )
    api.ok("patch", f"{b}/fields/ticket/order", json={"label": "Order number"})
    _delete(api, f"{b}/fields/ticket/order")

    form = api.ok("post", f"{b}/forms", 201, json={"name": "Contact us"})
    api.ok("patch", f"{b}/forms/{form['id']}", json={"name": "Support"})
    api.ok("post", f"{b}/forms/{form['id']}/regenerate")
    _delete(api, f"{b}/forms/{form['id']}")

    contact = api.ok("post", f"{b}/contacts", 201, json={"email": "jane@example.com"})
    api.ok("patch", f"{b}/contacts/{contact['id']}", json={"name": "Jane Doe"})
    company = api.ok("post", f"{b}/companies", 201, json={"name": "Initech"})
    api.ok("patch", f"{b}/companies/{company['id']}", json={"name": "Initech Ltd"})
    _delete(api, f"{b}/companies/{company['id']}")

    ticket = make_ticket(
        api,
        brand,
        categoryKey="billing",
        customerEmail="jane@example.com",
        priority="high",
        notifyCustomer=True,
    )
    t = f"{b}/tickets/{ticket['id']}"
    api.ok("patch", t, json={"priority": "urgent"})
    api.ok("patch", t, json={"status": "closed"})
    api.ok("patch", t, json={"status": "open"})
    comment = api.ok(
        "post", f"{t}/comments", 201, json={"body": "Refund sent", "authorType": "AGENT"}
    )
    api.ok("patch", f"{t}/comments/{comment['id']}", json={"body": "Refund sent today"})
    _delete(api, f"{t}/comments/{comment['id']}")
    member = api.ok(
        "post", "/accounts/me/members", 201, json={"email": "dana@acme.com", "role": "member"}
    )
    api.ok("post", f"{t}/watchers", 201, json={"memberId": member["id"]})
    api.ok("patch", f"{t}/watchers/{member['id']}", json={"notifyOnComment": False})
    _delete(api, f"{t}/watchers/{member['id']}")
    attachment = upload(api, brand, ticket, png())
    _delete(api, f"{t}/attachments/{attachment['id']}")
    _delete(api, f"{b}/contacts/{contact['id']}")
    api.ok("delete", t)

    webhook = make_webhook(api, brand)
    api.ok("post", webhook_path(brand, webhook, "/test"), 202)
    service.disable_webhook(session, webhook["id"], reason="Endpoint answered 410 Gone")
    session.commit()
    return _all_events(session, brand["id"])


def test_the_scenario_emits_every_subscribable_type(everything: list[Event]) -> None:
    emitted = {e.type for e in everything}
    unknown = emitted - EVENT_TYPES - INTERNAL_EVENT_TYPES
    assert not unknown, f"emitted but neither subscribable nor internal: {unknown}"
    # ticket.overdue comes from the SLA timer, which no API call triggers.
    assert EVENT_TYPES - emitted == {"ticket.overdue"}


def test_every_body_is_the_reference_envelope_with_the_event_data_unchanged(
    everything: list[Event],
) -> None:
    for event in everything:
        body = payloads.render(event)
        parsed = json.loads(body)
        assert list(parsed) == ["id", "event", "type", "brand_id", "timestamp", "sequence", "data"]
        assert parsed["id"] == event.id
        assert parsed["event"] == parsed["type"] == event.type
        assert parsed["brand_id"] == event.brand_id
        assert parsed["timestamp"].endswith("Z")
        assert parsed["sequence"] == event.sequence
        assert parsed["data"] == event.data
        assert b"\n" not in body
        assert b", " not in body.split(b'"data"')[0]


def test_ticket_events_carry_the_sequence_and_others_do_not(everything: list[Event]) -> None:
    ticket_events = [e for e in everything if e.type.startswith("ticket.")]
    sequences = [json.loads(payloads.render(e))["sequence"] for e in ticket_events]
    assert all(isinstance(s, int) for s in sequences)
    assert sequences == sorted(sequences)
    for event in everything:
        family = event.type.split(".")[0]
        if family in ("status", "category", "tag", "field", "company", "webhook", "form"):
            assert json.loads(payloads.render(event))["sequence"] is None


def _seed_receiver(body: bytes) -> tuple[str, str, str] | None:
    """The seed's Express receiver, line for line: on ticket.created, route billing tickets
    (returns what it would call dispatch.tickets.update with)."""
    event = json.loads(body)
    if event["type"] == "ticket.created":
        ticket = event["data"]["ticket"]
        if (ticket.get("category") or {}).get("key") == "billing":
            return ticket["brandId"], ticket["id"], "in_progress"
    return None


def test_the_seeds_receiver_routes_a_billing_ticket_unchanged(
    everything: list[Event], brand: Json
) -> None:
    [created] = [e for e in everything if e.type == "ticket.created"]
    routed = _seed_receiver(payloads.render(created))
    assert routed == (brand["id"], created.ticket_id, "in_progress")
    others = [e for e in everything if e.type != "ticket.created"]
    assert all(_seed_receiver(payloads.render(e)) is None for e in others)


def test_ticket_created_has_the_reference_fields_and_the_whole_ticket(
    everything: list[Event],
) -> None:
    [created] = [e for e in everything if e.type == "ticket.created"]
    data = json.loads(payloads.render(created))["data"]
    for field in ("id", "ticketNumber", "title", "status", "priority", "source", "createdAt"):
        assert field in data
    assert isinstance(data["ticketNumber"], int)
    assert data["customerEmail"] == "jane@example.com"
    assert {"customerId", "customerName"} <= set(data)
    ticket = data["ticket"]
    assert ticket["id"] == data["id"]
    assert ticket["category"]["key"] == "billing"
    assert ticket["status"] == "open"
    assert ticket["priority"] == "high"


def test_ticket_updated_lists_changed_fields_and_their_previous_values(
    everything: list[Event],
) -> None:
    updates = [
        json.loads(payloads.render(e))["data"] for e in everything if e.type == "ticket.updated"
    ]
    priority, closing, reopening = updates[:3]
    assert priority["changes"] == ["priority"]
    assert priority["previous"] == {"priority": "high"}
    assert priority["priority"] == priority["ticket"]["priority"] == "urgent"
    assert closing["changes"] == ["status"]
    assert closing["previous"] == {"status": "open"}
    assert closing["status"] == "closed"
    assert reopening["previous"] == {"status": "closed"}
    assert {"id", "ticketNumber", "title", "status", "priority", "assigneeId", "updatedAt"} <= set(
        priority
    )


def test_closed_and_reopened_share_the_update_payload(everything: list[Event]) -> None:
    by_type = {e.type: e for e in everything}
    closed = json.loads(payloads.render(by_type["ticket.closed"]))
    reopened = json.loads(payloads.render(by_type["ticket.reopened"]))
    assert closed["data"]["status"] == "closed"
    assert reopened["data"]["status"] == "open"
    assert closed["data"]["changes"] == reopened["data"]["changes"] == ["status"]


def test_ticket_comment_created_is_the_reference_sdk_shape(everything: list[Event]) -> None:
    [event] = [e for e in everything if e.type == "ticket.comment.created"]
    data = json.loads(payloads.render(event))["data"]
    assert isinstance(data["ticketNumber"], str)
    assert data["ticketId"] == event.ticket_id
    assert {"id", "body", "authorId", "authorType", "createdAt"} <= set(data["comment"])
    assert data["comment"]["body"] == "Refund sent"
    assert data["comment"]["authorType"] == "AGENT"
    assert {"customerId", "customerEmail", "customerName"} <= set(data)


def test_comment_events_carry_the_comment_and_its_ticket(everything: list[Event]) -> None:
    for kind in ("comment.created", "comment.updated", "comment.deleted"):
        [event] = [e for e in everything if e.type == kind]
        data = json.loads(payloads.render(event))["data"]
        assert data["ticketId"] == event.ticket_id
        assert data["id"].startswith("cmt_")
        assert "body" in data
    [deleted] = [e for e in everything if e.type == "comment.deleted"]
    assert "deletedAt" in deleted.data


def test_customer_created_and_contact_created_carry_the_contact(everything: list[Event]) -> None:
    customer = next(e for e in everything if e.type == "customer.created")
    contact = next(e for e in everything if e.type == "contact.created")
    assert customer.data == contact.data
    assert json.loads(payloads.render(customer))["data"]["email"] == "jane@example.com"


def test_rendering_is_deterministic_across_a_reload(
    everything: list[Event], session: Session
) -> None:
    before = {e.id: payloads.render(e) for e in everything}
    session.expunge_all()
    reloaded = session.scalars(select(Event).where(Event.id.in_(list(before))))
    assert {e.id: payloads.render(e) for e in reloaded} == before


def test_render_keeps_non_ascii_text_as_utf8() -> None:
    from datetime import UTC, datetime

    event = Event(
        id="evt_1",
        type="ticket.created",
        brand_id="br_1",
        ticket_id="tkt_1",
        sequence=3,
        data={"title": "Café ☕", "b": 1, "a": [1, {"z": None, "y": True}]},
        created_at=datetime(2026, 1, 15, 9, 0, 0, 123456, tzinfo=UTC),
    )
    assert (
        payloads.render(event)
        == (
            '{"id":"evt_1","event":"ticket.created","type":"ticket.created","brand_id":"br_1",'
            '"timestamp":"2026-01-15T09:00:00.123456Z","sequence":3,'
            '"data":{"a":[1,{"y":true,"z":null}],"b":1,"title":"Café ☕"}}'
        ).encode()
    )


def test_signed_bodies_of_every_event_verify(everything: list[Event]) -> None:
    """Both schemes over the exact rendered bytes, for every event type the system emits."""
    import time

    from standardwebhooks import Webhook as StandardWebhook

    from dispatch.webhooks import signing

    secret = signing.generate_secret()
    verifier = StandardWebhook(secret)
    for event in everything:
        body = payloads.render(event)
        headers = signing.signature_headers(secret, f"whd_{event.position}", int(time.time()), body)
        assert verifier.verify(body, headers)["id"] == event.id
        assert signing.verify_dispatch_signature(body, headers["X-Dispatch-Signature"], secret)


def test_internal_events_are_not_delivered(
    everything: list[Event], session: Session, api: Api, brand: Json
) -> None:
    make_webhook(api, brand, events=["*"])
    internal = [e for e in everything if e.type in INTERNAL_EVENT_TYPES]
    assert internal, "the scenario should have produced a notification.requested event"
    assert all(service.subscribers_for(session, e) == [] for e in internal)
