"""`GET /v1/brands/{brandId}/tickets/{ticketId}/emails`: the record of a ticket's emails."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.core.db import Database
from dispatch.settings import Settings
from tests.comments.helpers import post_comment
from tests.conftest import Api, make_ticket
from tests.email.outbound.helpers import Json, deliver, emails, public_id
from tests.email.outbound.sink import Sink


def _path(brand: Json, ticket: Json | str) -> str:
    ticket_id = ticket if isinstance(ticket, str) else ticket["id"]
    return f"/brands/{brand['id']}/tickets/{ticket_id}/emails"


def test_a_tickets_emails_are_listed_with_their_delivery_state(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    relay: Settings,
    sink: Sink,
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", notifyCustomer=True)
    post_comment(api, brand, ticket, body="Reply", cc=["boss@example.com"])
    sink.refuse_rcpt["jane@example.com"] = "550 5.1.1 No such user"
    deliver(database, relay)

    listed: list[Json] = api.ok("get", _path(brand, ticket))

    assert [e["kind"] for e in listed] == ["ticket_created", "comment"]
    stored = {e.id: e for e in emails(session, ticket_id=ticket["id"])}
    created, reply = listed
    assert created["to"] == "jane@example.com"
    assert created["subject"] == f"[{public_id(brand, ticket)}] Cannot log in"
    assert created["status"] == "FAILED"
    assert created["attempts"] == 1
    assert "550 5.1.1" in created["lastError"]
    assert created["sentAt"] is None
    assert created["nextAttemptAt"] is None
    assert created["messageId"] == stored[created["id"]].message_id
    assert created["autoSubmitted"] is True
    # The cc was accepted, so the reply went out; the refusal is noted.
    assert reply["status"] == "SENT"
    assert reply["sentAt"] is not None
    assert reply["cc"] == ["boss@example.com"]
    assert "jane@example.com" in reply["lastError"]
    assert set(reply) >= {"id", "ticketId", "fromAddress", "fromName", "createdAt"}


def test_waiting_emails_say_when_they_are_tried_next(
    api: Api, brand: Json, database: Database, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, ticket, body="Reply")
    deliver(database, settings)  # no relay: stays PENDING

    [email] = api.ok("get", _path(brand, ticket))
    assert email["status"] == "PENDING"
    assert email["attempts"] == 0
    assert email["nextAttemptAt"] is not None


def test_emails_of_unknown_or_foreign_tickets_are_not_found(
    api: Api, brand: Json, other_api: Api, other_brand: Json
) -> None:
    foreign = make_ticket(other_api, other_brand)
    missing: Any = api.get(_path(brand, "tkt_nope"))
    assert missing.status_code == 404
    assert missing.json()["code"] == "ticket_not_found"
    assert missing.headers["content-type"].startswith("application/json")
    assert api.get(_path(brand, foreign)).status_code == 404
    assert api.get(_path(other_brand, foreign)).status_code == 404
