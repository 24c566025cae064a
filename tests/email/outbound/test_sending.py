"""Sending through a real SMTP relay on loopback (an aiosmtpd sink): what arrives, with
which headers and parts, and what temporary and permanent failures do."""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.email.models import EmailMessage
from dispatch.email.outbound import repository, sending
from dispatch.settings import Settings
from tests.attachments.helpers import png, upload
from tests.comments.helpers import patch_ticket, post_comment
from tests.conftest import Api, make_ticket
from tests.email.outbound.helpers import (
    Json,
    deliver,
    emails,
    generate,
    public_id,
    send,
    set_brand,
)
from tests.email.outbound.sink import Sink, free_port
from tests.watchers.helpers import add_watcher


def _comment_ticket(api: Api, brand: Json, **comment: Any) -> Json:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")
    post_comment(api, brand, ticket, **{"body": "We shipped a fix.", **comment})
    return ticket


def test_an_agent_reply_arrives_with_its_headers_and_both_parts(
    api: Api, brand: Json, database: Database, session: Session, relay: Settings, sink: Sink
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", source="email")
    session.add(
        EmailMessage(
            id="emm_customer_first",
            brand_id=brand["id"],
            ticket_id=ticket["id"],
            comment_id=None,
            message_id="<q1@mail.example.com>",
            direction="inbound",
            created_at=clock.now(),
        )
    )
    session.commit()
    post_comment(
        api,
        brand,
        ticket,
        body="Fixed! See https://status.example.com\n<b>not bold</b>",
        authorName="Sam Agent",
        cc=["boss@example.com"],
    )

    assert deliver(database, relay) == 1

    [received] = sink.wait_for(1)
    message = received.message
    [email] = emails(session, ticket_id=ticket["id"])
    tag = public_id(brand, ticket)
    assert received.mail_from == f"{brand['slug']}@inbound.localhost"
    assert sorted(received.rcpt_tos) == ["boss@example.com", "jane@example.com"]
    assert parseaddr(message["From"]) == ("Sam Agent", "notifications@inbound.localhost")
    assert message["To"] == "jane@example.com"
    assert message["Cc"] == "boss@example.com"
    assert message["Reply-To"] == email.reply_to
    assert message["Reply-To"].startswith(f"{brand['slug']}+{ticket['ticketNumber']}-")
    assert message["Subject"] == f"Re: [{tag}] Cannot log in"
    assert message["Message-ID"] == email.message_id
    assert message["In-Reply-To"] == "<q1@mail.example.com>"
    assert message["References"] == "<q1@mail.example.com>"
    assert message["Date"] is not None
    assert message["Auto-Submitted"] is None
    assert message.get_content_type() == "multipart/alternative"
    text = received.part("text/plain")
    html = received.part("text/html")
    assert "Fixed! See https://status.example.com" in text
    assert '<a href="https://status.example.com"' in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<b>" not in html
    assert email.status == "SENT"
    assert email.attempts == 1
    assert email.sent_at is not None
    assert email.last_error is None


def test_the_autoresponse_is_marked_auto_replied(
    api: Api, brand: Json, database: Database, relay: Settings, sink: Sink
) -> None:
    set_brand(api, brand, autoresponseEnabled=True, fromName="Acme Help")
    ticket = make_ticket(api, brand, source="email", customerEmail="jane@example.com")

    deliver(database, relay)

    [received] = sink.wait_for(1)
    message = received.message
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Subject"] == f"We've received your request [{public_id(brand, ticket)}]"
    assert parseaddr(message["From"])[0] == "Acme Help"
    assert message["Reply-To"].startswith(f"{brand['slug']}+")
    assert "We'll reach back out soon! - Acme Store" in received.part("text/plain")
    assert "reach back out soon! - Acme Store</p>" in received.part("text/html")


def test_team_notifications_are_marked_auto_generated_and_carry_no_reply_address(
    api: Api, brand: Json, database: Database, relay: Settings, sink: Sink
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    add_watcher(api, brand, ticket, memberEmail="ops@acme.example")
    patch_ticket(api, brand, ticket, status="pending", assigneeEmail="dana@acme.example")

    deliver(database, relay)

    received = {r.rcpt_tos[0]: r for r in sink.wait_for(2)}
    tag = public_id(brand, ticket)
    watcher = received["ops@acme.example"].message
    assignee = received["dana@acme.example"].message
    assert watcher["Subject"] == f"[{tag}] Status changed to Pending"
    assert assignee["Subject"] == f"[{tag}] Assigned to you: Cannot log in"
    for message in (watcher, assignee):
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Reply-To"] is None
        assert message.get_content_type() == "multipart/alternative"


def test_attachment_references_become_links_valid_for_seven_days(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    relay: Settings,
    sink: Sink,
    client: Any,
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    attachment = upload(api, brand, ticket, png(), filename="screen.png")["attachment"]
    post_comment(
        api,
        brand,
        ticket,
        body=f"Here: ![screen.png](attachment:{attachment['id']}) and "
        "[gone](attachment:att_missing)",
    )

    deliver(database, relay)

    [received] = sink.wait_for(1)
    html = received.part("text/html")
    text = received.part("text/plain")
    url = text.split("screen.png (", 1)[1].split(")", 1)[0]
    assert url.startswith("http://127.0.0.1:8000/v1/attachments/")
    assert f'<img src="{url.replace("&", "&amp;")}" alt="screen.png"' in html
    assert "gone" in text
    assert "attachment:att_missing" not in text + html
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    lifetime = expires - clock.now().timestamp()
    assert timedelta(days=7) - timedelta(minutes=1) < timedelta(seconds=lifetime)
    assert lifetime <= timedelta(days=7).total_seconds()
    parts = urlsplit(url)
    download = client.get(f"{parts.path}?{parts.query}")
    assert download.status_code == 200
    assert download.content == png()


def test_a_temporary_failure_is_retried_later_and_then_sent(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    relay: Settings,
    sink: Sink,
    frozen_clock: Any,
) -> None:
    ticket = _comment_ticket(api, brand)
    generate(database, relay)
    sink.data_replies = ["451 4.3.0 Mailbox busy, try later"]

    assert send(database, relay) == 1

    [email] = emails(session, ticket_id=ticket["id"])
    assert (email.status, email.attempts) == ("RETRYING", 1)
    assert email.last_error == "451 4.3.0 Mailbox busy, try later"
    wait = email.next_attempt_at - clock.now()
    assert timedelta(seconds=48) <= wait <= timedelta(seconds=72)
    assert sink.received == []
    assert send(database, relay) == 0  # not due yet

    frozen_clock.advance(seconds=73)
    assert send(database, relay) == 1

    [email] = emails(session, ticket_id=ticket["id"])
    assert (email.status, email.attempts) == ("SENT", 2)
    assert email.sent_at == clock.now()
    [received] = sink.wait_for(1)
    assert received.message["Message-ID"] == email.message_id


@pytest.mark.parametrize("refused_at", ["RCPT", "DATA"])
def test_a_permanent_refusal_fails_the_email_for_good(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    relay: Settings,
    sink: Sink,
    frozen_clock: Any,
    refused_at: str,
) -> None:
    ticket = _comment_ticket(api, brand)
    if refused_at == "RCPT":
        sink.refuse_rcpt["jane@example.com"] = "550 5.1.1 No such user"
    else:
        sink.data_replies = ["550 5.7.1 Message rejected"]

    deliver(database, relay)
    frozen_clock.advance(days=2)
    assert send(database, relay) == 0

    [email] = emails(session, ticket_id=ticket["id"])
    assert (email.status, email.attempts) == ("FAILED", 1)
    assert email.last_error is not None
    assert "550 5." in email.last_error
    assert email.sent_at is None
    assert sink.received == []


def test_a_refused_cc_does_not_stop_the_email_to_the_customer(
    api: Api, brand: Json, database: Database, session: Session, relay: Settings, sink: Sink
) -> None:
    ticket = _comment_ticket(api, brand, cc=["nobody@example.com"])
    sink.refuse_rcpt["nobody@example.com"] = "550 5.1.1 No such user"

    deliver(database, relay)

    [received] = sink.wait_for(1)
    assert received.rcpt_tos == ["jane@example.com"]
    [email] = emails(session, ticket_id=ticket["id"])
    assert email.status == "SENT"
    assert email.last_error is not None
    assert "nobody@example.com" in email.last_error


def test_an_unreachable_relay_is_retried_for_about_a_day_then_the_email_fails(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    frozen_clock: Any,
) -> None:
    settings.smtp_relay = f"127.0.0.1:{free_port()}"  # nothing listens there
    ticket = _comment_ticket(api, brand)
    generate(database, settings)
    started = clock.now()

    attempts = 0
    rng = random.Random(7)
    while True:
        made = sending.send_due(database, settings=settings, rng=rng)
        [email] = emails(session, ticket_id=ticket["id"])
        if email.status == "FAILED":
            break
        attempts += made
        assert email.status == "RETRYING"
        assert email.attempts == attempts
        assert email.last_error is not None
        assert "unreachable" in email.last_error.lower()
        frozen_clock.now = email.next_attempt_at
        assert attempts < 20

    assert email.attempts == len(sending.RETRY_SCHEDULE) + 1
    elapsed = clock.now() - started
    assert timedelta(hours=18) < elapsed < timedelta(hours=32)


def test_without_a_relay_emails_stay_pending_and_the_log_says_why(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert settings.smtp_relay == ""
    ticket = _comment_ticket(api, brand)
    generate(database, settings)

    with caplog.at_level(logging.WARNING, logger="dispatch.email.outbound"):
        assert send(database, settings) == 0
        assert send(database, settings) == 0

    [email] = emails(session, ticket_id=ticket["id"])
    assert (email.status, email.attempts, email.leased_by) == ("PENDING", 0, None)
    warnings = [r.getMessage() for r in caplog.records if "DISPATCH_SMTP_RELAY" in r.getMessage()]
    assert len(warnings) == 1  # not once per poll
    assert "1 email(s) waiting" in warnings[0]


def test_a_leased_email_is_not_claimed_again_until_its_lease_lapses(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = _comment_ticket(api, brand)
    generate(database, settings)
    now = clock.now()

    first = repository.lease_due(session, worker="a", now=now, until=now + sending.LEASE, limit=10)
    second = repository.lease_due(session, worker="b", now=now, until=now + sending.LEASE, limit=10)
    later = now + sending.LEASE + timedelta(seconds=1)
    third = repository.lease_due(session, worker="c", now=later, until=later, limit=10)

    [email] = emails(session, ticket_id=ticket["id"])
    assert first == [email.id]
    assert second == []
    assert third == [email.id]


def test_an_outcome_is_dropped_when_the_lease_was_lost(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    _comment_ticket(api, brand)
    generate(database, settings)
    now = clock.now()
    [email_id] = repository.lease_due(session, worker="a", now=now, until=now, limit=1)
    later = now + timedelta(seconds=1)
    assert repository.lease_due(session, worker="b", now=later, until=later, limit=1)

    result = repository.Result("SENT", later, None, later)
    assert repository.finish_leased(session, email_id, "a", result) is False
    assert repository.finish_leased(session, email_id, "b", result) is True


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"dispatch", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_sink() -> Any:
    server = Sink(authenticator=_authenticator, auth_required=True, auth_require_tls=False)
    server.start()
    yield server
    server.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize(("password", "status"), [("s3cret", "SENT"), ("wrong", "RETRYING")])
def test_relay_authentication_sends_or_waits_for_the_configuration_to_be_fixed(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    auth_sink: Sink,
    password: str,
    status: str,
) -> None:
    from pydantic import SecretStr

    settings.smtp_relay = auth_sink.address
    settings.smtp_relay_username = "dispatch"
    settings.smtp_relay_password = SecretStr(password)
    ticket = _comment_ticket(api, brand)

    deliver(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.status == status
    assert len(auth_sink.received) == (1 if status == "SENT" else 0)


def test_starttls_against_a_relay_without_it_waits_for_the_configuration_to_be_fixed(
    api: Api, brand: Json, database: Database, session: Session, relay: Settings
) -> None:
    relay.smtp_relay_tls = "starttls"
    ticket = _comment_ticket(api, brand)

    deliver(database, relay)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.status == "RETRYING"
    assert email.last_error is not None


def test_one_relay_session_carries_a_whole_batch(
    api: Api, brand: Json, database: Database, relay: Settings, sink: Sink
) -> None:
    for n in range(3):
        ticket = make_ticket(api, brand, customerEmail=f"c{n}@example.com")
        post_comment(api, brand, ticket, body=f"Reply {n}")

    assert deliver(database, relay) == 3

    assert len(sink.wait_for(3)) == 3
    assert sink.handler.sessions == 1
