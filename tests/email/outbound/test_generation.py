"""Generation: committed events become queued emails (OutboundEmail rows), each once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from dispatch.comments.models import Comment
from dispatch.contacts.models import Contact
from dispatch.core import clock, events
from dispatch.core.db import Database
from dispatch.core.events import EMAIL, Event, EventInbox
from dispatch.core.ids import new_id
from dispatch.email import notifications
from dispatch.email.addresses import reply_address
from dispatch.email.models import EmailMessage
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket
from tests.comments.helpers import add_member, patch_ticket, post_comment
from tests.conftest import Api, make_ticket
from tests.core.test_statement_counts import statements
from tests.email.outbound.helpers import Json, emails, generate, public_id, set_brand, thread_rows
from tests.watchers.helpers import add_watcher

MESSAGE_ID = re.compile(r"<[A-Za-z0-9_-]{16}\.([A-Z0-9]+-\d+)@inbound\.localhost>")


def _ticket_row(session: Session, ticket: Json) -> Ticket:
    session.expire_all()
    row = session.get(Ticket, ticket["id"])
    assert row is not None
    return row


def test_a_public_agent_comment_is_queued_for_the_customer_with_threading_and_reply_address(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="Jane@Example.com", customerName="Jane")
    comment = post_comment(
        api,
        brand,
        ticket,
        body="We shipped a fix.",
        authorName="Sam from Support",
        cc=["boss@example.com"],
    )

    assert generate(database, settings) > 0

    [email] = emails(session, ticket_id=ticket["id"])
    row = _ticket_row(session, ticket)
    assert email.kind == "comment"
    assert email.to_address == "jane@example.com"
    assert email.cc == ["boss@example.com"]
    assert email.from_name == "Sam from Support"
    assert email.from_address == "notifications@inbound.localhost"
    assert email.reply_to == reply_address(settings, _brand_row(session, brand), row)
    assert email.reply_to.startswith(f"{brand['slug']}+{ticket['ticketNumber']}-")
    assert email.subject == f"[{public_id(brand, ticket)}] Cannot log in"
    match = MESSAGE_ID.fullmatch(email.message_id)
    assert match is not None
    assert match.group(1) == public_id(brand, ticket)
    assert email.status == "PENDING"
    assert email.attempts == 0
    assert email.auto_submitted is False
    assert "We shipped a fix." in email.text_body
    assert email.html_body is not None
    assert "We shipped a fix." in email.html_body
    [recorded] = thread_rows(session, ticket["id"])
    assert (recorded.message_id, recorded.direction) == (email.message_id, "outbound")
    assert recorded.comment_id == comment["id"]


def _brand_row(session: Session, brand: Json) -> object:
    from dispatch.brands.models import Brand

    row = session.get(Brand, brand["id"])
    assert row is not None
    return row


def test_the_brand_identity_is_the_sender_when_the_comment_has_no_author_name(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    set_brand(api, brand, fromName="Acme Help", fromEmail="help@acme.example")
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    comment = post_comment(api, brand, ticket, body="Hello")
    session.execute(update(Comment).where(Comment.id == comment["id"]).values(author_name=None))
    session.commit()
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.from_address == "help@acme.example"
    assert email.from_name == "Acme Help"


def test_internal_notes_and_customer_comments_are_never_emailed(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, ticket, body="Internal: refund approved", isInternal=True)
    post_comment(api, brand, ticket, body="Also internal", metadata={"isInternal": True})
    post_comment(api, brand, ticket, body="Customer says hi", authorType="CUSTOMER")

    assert generate(database, settings) > 0

    assert emails(session, ticket_id=ticket["id"]) == []


def test_a_contact_who_turned_email_off_gets_no_reply_email(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="quiet@example.com")
    api.ok(
        "patch",
        f"/brands/{brand['id']}/contacts/{ticket['customerId']}",
        json={"notifyEmail": False},
    )
    post_comment(api, brand, ticket, body="Reply")
    generate(database, settings)

    assert emails(session, ticket_id=ticket["id"]) == []


def test_an_undeliverable_address_gets_no_reply_email(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="bounced@example.com")
    session.execute(
        update(Contact)
        .where(Contact.id == ticket["customerId"])
        .values(email_undeliverable_at=clock.now())
    )
    session.commit()
    post_comment(api, brand, ticket, body="Reply")
    generate(database, settings)

    assert emails(session, ticket_id=ticket["id"]) == []


def test_each_event_yields_its_emails_once_however_often_generation_runs(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, ticket, body="Reply")
    generate(database, settings)
    assert generate(database, settings) == 0

    # Even an event looked at again (its inbox row written again by hand) adds nothing.
    positions = session.scalars(select(Event.position).where(Event.ticket_id == ticket["id"]))
    session.execute(insert(EventInbox), [{"consumer": EMAIL, "position": p} for p in positions])
    session.commit()
    assert generate(database, settings) > 0

    assert len(emails(session, ticket_id=ticket["id"])) == 1


def test_events_stay_unconsidered_until_the_generating_transaction_commits(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, ticket, body="Reply")
    with database.session() as work:
        assert notifications.generate_from_events(work, settings=settings) > 0
        work.rollback()
    assert emails(session, ticket_id=ticket["id"]) == []

    generate(database, settings)
    assert len(emails(session, ticket_id=ticket["id"])) == 1


@pytest.mark.parametrize("fails", ["before queuing", "after queuing"])
def test_a_failing_event_is_skipped_without_blocking_the_ones_after_it(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fails: str,
) -> None:
    """An event failing half way (its email and thread entry already added) leaves
    neither behind."""
    broken = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, broken, body="First")
    healthy = make_ticket(api, brand, customerEmail="joe@example.com")
    post_comment(api, brand, healthy, body="Second")
    original = notifications.HANDLERS["comment.created"]

    def flaky(context: object, event: Event) -> None:
        if event.ticket_id != broken["id"]:
            original(context, event)  # type: ignore[arg-type]
            return
        if fails == "after queuing":
            original(context, event)  # type: ignore[arg-type]
        raise RuntimeError("boom")

    monkeypatch.setitem(notifications.HANDLERS, "comment.created", flaky)
    generate(database, settings)

    assert emails(session, ticket_id=broken["id"]) == []
    assert thread_rows(session, broken["id"]) == []
    assert len(emails(session, ticket_id=healthy["id"])) == 1
    assert len(thread_rows(session, healthy["id"])) == 1
    session.expire_all()
    pending = session.scalars(select(EventInbox).where(EventInbox.consumer == EMAIL)).all()
    assert pending == []


def test_replies_thread_after_the_latest_customer_message(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", source="email")
    now = clock.now()
    for offset, (message_id, direction) in enumerate(
        [
            ("<first@mail.example.com>", "inbound"),
            ("<ours@inbound.localhost>", "outbound"),
            ("<second@mail.example.com>", "inbound"),
            ("<ours-again@inbound.localhost>", "outbound"),
        ]
    ):
        session.add(
            EmailMessage(
                id=new_id("emm"),
                brand_id=brand["id"],
                ticket_id=ticket["id"],
                comment_id=None,
                message_id=message_id,
                direction=direction,
                created_at=now + timedelta(seconds=offset),
            )
        )
    session.commit()
    post_comment(api, brand, ticket, body="Reply")
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"], kind="comment")
    assert email.subject == f"Re: [{public_id(brand, ticket)}] Cannot log in"
    assert email.in_reply_to == "<second@mail.example.com>"
    assert email.references == (
        "<first@mail.example.com> <ours@inbound.localhost> "
        "<ours-again@inbound.localhost> <second@mail.example.com>"
    )


def test_the_autoresponse_answers_an_email_ticket_with_the_brand_defaults(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    ticket = make_ticket(
        api, brand, source="email", customerEmail="jane@example.com", customerName="Jane"
    )
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.kind == "autoresponse"
    assert email.to_address == "jane@example.com"
    assert email.subject == f"We've received your request [{public_id(brand, ticket)}]"
    assert "Thanks for contacting us. We'll reach back out soon! - Acme Store" in email.text_body
    assert email.auto_submitted is True
    assert email.reply_to is not None
    assert "+" in email.reply_to
    assert email.from_name == "Acme Store"


def test_the_autoresponse_fills_the_brands_own_placeholders(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    set_brand(
        api,
        brand,
        autoresponseEnabled=True,
        autoresponseSubject="Got it: {{ticketTitle}}",
        autoresponseBody="Hi {{customerName}}, {{ticketNumber}} is with {{brandName}}. {{other}}",
    )
    ticket = make_ticket(
        api, brand, source="email", customerEmail="jane@example.com", customerName="Jane"
    )
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    tag = public_id(brand, ticket)
    # The public id is added when the brand's subject lacks it (replies thread by it).
    assert email.subject == f"Got it: Cannot log in [{tag}]"
    assert f"Hi Jane, {tag} is with Acme Store. {{{{other}}}}" in email.text_body


@pytest.mark.parametrize(
    ("enabled", "source", "source_data"),
    [
        (False, "email", None),
        (True, "api", None),
        (True, "email", {"autoSubmitted": True}),
    ],
    ids=["brand-disabled", "not-from-email", "from-a-robot"],
)
def test_no_autoresponse_when_disabled_not_from_email_or_from_a_robot(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    enabled: bool,
    source: str,
    source_data: Json | None,
) -> None:
    set_brand(api, brand, autoresponseEnabled=enabled)
    ticket = make_ticket(
        api, brand, source=source, sourceData=source_data, customerEmail="jane@example.com"
    )
    generate(database, settings)

    assert emails(session, ticket_id=ticket["id"], kind="autoresponse") == []


def test_autoresponses_are_limited_per_sender_per_hour(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    for _ in range(notifications.AUTORESPONSE_LIMIT + 2):
        make_ticket(api, brand, source="email", customerEmail="loop@example.com")
    make_ticket(api, brand, source="email", customerEmail="other@example.com")
    generate(database, settings)

    sent = [e.to_address for e in emails(session, kind="autoresponse")]
    assert sent.count("loop@example.com") == notifications.AUTORESPONSE_LIMIT
    assert sent.count("other@example.com") == 1


def test_a_ticket_gets_at_most_one_autoresponse(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    ticket = make_ticket(api, brand, source="email", customerEmail="jane@example.com")
    generate(database, settings)
    # The same ticket announced again (a replayed event, say) is not answered twice.
    [created] = [
        e
        for e in session.scalars(select(Event).where(Event.ticket_id == ticket["id"]))
        if e.type == "ticket.created"
    ]
    events.emit(session, "ticket.created", brand["id"], created.data, ticket_id=ticket["id"])
    session.commit()
    generate(database, settings)

    assert len(emails(session, ticket_id=ticket["id"], kind="autoresponse")) == 1


def test_notify_customer_sends_the_ticket_created_email(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(
        api,
        brand,
        customerEmail="jane@example.com",
        customerName="Jane",
        notifyCustomer=True,
        body="Your order **1234** is delayed.",
    )
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.kind == "ticket_created"
    assert email.to_address == "jane@example.com"
    assert email.subject == f"[{public_id(brand, ticket)}] Cannot log in"
    assert email.auto_submitted is True
    assert email.reply_to is not None
    assert "Hello Jane" in email.text_body
    assert email.html_body is not None
    assert "<strong>1234</strong>" in email.html_body
    assert [r.message_id for r in thread_rows(session, ticket["id"])] == [email.message_id]


def test_watchers_hear_of_comments_and_status_changes_as_team_notifications(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    add_watcher(api, brand, ticket, memberEmail="ops@acme.example")
    post_comment(api, brand, ticket, body="A private thought", isInternal=True)
    patch_ticket(api, brand, ticket, status="resolved")
    generate(database, settings)

    by_kind = {e.kind: e for e in emails(session, ticket_id=ticket["id"])}
    assert set(by_kind) == {"watcher_comment", "watcher_status"}
    tag = public_id(brand, ticket)
    comment = by_kind["watcher_comment"]
    assert comment.to_address == "ops@acme.example"
    assert comment.subject == f"[{tag}] New comment on Cannot log in"
    assert comment.auto_submitted is True
    assert comment.reply_to is None
    assert "internal note" in comment.text_body
    assert "A private thought" in comment.text_body
    status = by_kind["watcher_status"]
    assert status.subject == f"[{tag}] Status changed to Resolved"
    assert "Open -> Resolved" in status.text_body
    # Team notifications stay out of the customer's thread.
    assert thread_rows(session, ticket["id"]) == []


def test_a_new_assignee_gets_an_assignment_notice(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    add_member(api, "dana@acme.example", "Dana")
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")
    patch_ticket(api, brand, ticket, assigneeEmail="dana@acme.example")
    patch_ticket(api, brand, ticket, priority="high")
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.kind == "assignment"
    assert email.to_address == "dana@acme.example"
    assert email.subject == f"[{public_id(brand, ticket)}] Assigned to you: Cannot log in"
    assert email.auto_submitted is True
    assert "assigned to you, Dana" in email.text_body
    assert "Jane <jane@example.com>" in email.text_body


def test_a_ticket_created_assigned_tells_its_assignee(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, assigneeEmail="dana@acme.example")
    generate(database, settings)

    [email] = emails(session, ticket_id=ticket["id"])
    assert (email.kind, email.to_address) == ("assignment", "dana@acme.example")


def test_only_the_current_assignee_is_told_after_quick_reassignments(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, assigneeEmail="first@acme.example")
    patch_ticket(api, brand, ticket, assigneeEmail="second@acme.example")
    patch_ticket(api, brand, ticket, assigneeEmail="third@acme.example")
    generate(database, settings)

    assert [e.to_address for e in emails(session, ticket_id=ticket["id"])] == ["third@acme.example"]


def test_owners_are_told_when_a_webhook_is_disabled(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    events.emit(
        session,
        "notification.requested",
        brand["id"],
        {
            "channel": "email",
            "recipient": "owner@acme.example",
            "reason": "webhook_disabled",
            "webhookId": "wh_1",
            "url": "https://hooks.example.com/in",
            "disabledReason": "The endpoint answered 410 Gone",
        },
    )
    session.commit()
    generate(database, settings)

    [email] = emails(session, kind="webhook_disabled")
    assert email.ticket_id is None
    assert email.to_address == "owner@acme.example"
    assert email.subject == "Webhook disabled: https://hooks.example.com/in"
    assert "410 Gone" in email.text_body
    assert email.message_id.endswith("@inbound.localhost>")


def _busy_tickets(api: Api, brand: Json, count: int) -> None:
    """`count` tickets, each with a public reply (an email) and a status change (none)."""
    for n in range(count):
        ticket = make_ticket(api, brand, customerEmail=f"batch{n}@example.com")
        post_comment(api, brand, ticket, body=f"Reply {n}")
        patch_ticket(api, brand, ticket, status="pending")


def test_a_batch_costs_the_same_statements_however_many_events_it_holds(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    connection: Connection,
) -> None:
    """What the batch's events name is read for the whole batch at once, and its emails
    are written together: not a few round trips per event."""
    generate(database, settings)
    counted, considered = [], []
    for count in (2, 8):
        _busy_tickets(api, brand, count)
        with statements(connection) as seen:
            considered.append(generate(database, settings))
        counted.append(len(seen))
    assert considered[1] > 3 * considered[0]
    assert counted[0] == counted[1], counted
    assert len(emails(session, kind="comment")) == 10


def test_two_replies_in_one_batch_thread_onto_each_other(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, ticket, body="First")
    post_comment(api, brand, ticket, body="Second")

    generate(database, settings)

    first, second = emails(session, ticket_id=ticket["id"], kind="comment")
    assert first.in_reply_to is None
    assert first.subject == f"[{public_id(brand, ticket)}] Cannot log in"
    assert second.in_reply_to == first.message_id
    assert second.references == first.message_id
    assert second.subject == f"Re: [{public_id(brand, ticket)}] Cannot log in"
    assert [row.message_id for row in thread_rows(session, ticket["id"])] == [
        first.message_id,
        second.message_id,
    ]
