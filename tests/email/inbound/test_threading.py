"""Which ticket an incoming message continues (In-Reply-To/References, reply address,
subject only from the ticket's contact; never across brands; merged tickets followed),
auto-reopen by email, spam senders, and robots that are stored but never answered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.comments.models import Comment
from dispatch.core.db import Database
from dispatch.email import addresses, notifications
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket
from tests.comments.helpers import events_of, system_comments, ticket_logs, ticket_of
from tests.conftest import Api, make_ticket
from tests.email.inbound.conftest import DOMAIN, Mailroom, mail
from tests.email.outbound.helpers import Json, emails, generate, public_id, set_brand

CONTACT = "ann@example.com"
SENT_ID = "<r4nd0m.AS-1@inbound.localhost>"


def to_brand(brand: Json) -> str:
    return f"{brand['slug']}@{DOMAIN}"


def contact_ticket(api: Api, brand: Json, **fields: Any) -> Json:
    return make_ticket(api, brand, customerEmail=CONTACT, **fields)


def comment_row(mailroom: Mailroom, comment_id: str) -> Comment:
    found = mailroom.session.get(Comment, comment_id)
    assert found is not None
    return found


def ticket_count(session: Session, brand: Json) -> int:
    stmt = select(func.count()).select_from(Ticket).where(Ticket.brand_id == brand["id"])
    return int(session.scalar(stmt) or 0)


# --- threading ------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["In-Reply-To", "References"])
def test_a_reply_to_a_stored_message_id_is_a_customer_comment_on_that_ticket(
    api: Api, mailroom: Mailroom, brand: Json, header: str
) -> None:
    ticket = contact_ticket(api, brand)
    mailroom.record_outbound(brand["id"], ticket["id"], SENT_ID)
    threading_headers = (
        {"in_reply_to": SENT_ID}
        if header == "In-Reply-To"
        else {"references": f"<unrelated@example.com> {SENT_ID} <unknown@example.com>"}
    )
    raw = mail(
        to=to_brand(brand), subject="Re: Cannot log in", body="Still broken.", **threading_headers
    )

    outcome = mailroom.deliver(brand, raw)

    assert outcome["action"] == "replied"
    assert outcome["ticketId"] == ticket["id"]
    assert outcome["threadedBy"] == header.lower()
    comment = comment_row(mailroom, outcome["commentId"])
    assert comment.ticket_id == ticket["id"]
    assert comment.author_type == "CUSTOMER"
    assert comment.author_email == CONTACT
    assert comment.body == "Still broken."
    assert comment.metadata_["threadedBy"] == header.lower()
    assert ticket_count(mailroom.session, brand) == 1


def test_a_reply_to_a_received_message_threads_too(mailroom: Mailroom, brand: Json) -> None:
    first = mailroom.deliver(brand, mail(to=to_brand(brand), message_id="<one@example.com>"))
    # The customer follows up on their own first mail (Cc'd to the brand).
    second = mailroom.deliver(
        brand,
        mail(to=to_brand(brand), subject="Re: Cannot log in", in_reply_to="<one@example.com>"),
    )

    assert first["action"] == "created"
    assert second["action"] == "replied"
    assert second["ticketId"] == first["ticketId"]
    assert second["threadedBy"] == "in-reply-to"


def test_a_reply_address_token_threads_and_the_comment_says_so(
    api: Api, mailroom: Mailroom, brand: Json, settings: Settings
) -> None:
    ticket = contact_ticket(api, brand)
    address = addresses.reply_address(
        settings, mailroom.brand(brand["id"]), mailroom.ticket(ticket["id"])
    )

    outcome = mailroom.deliver(
        brand, mail(to=address, subject="A new subject altogether"), recipient=address
    )

    assert outcome["action"] == "replied"
    assert outcome["ticketId"] == ticket["id"]
    assert outcome["threadedBy"] == "reply-address"
    assert comment_row(mailroom, outcome["commentId"]).metadata_["threadedBy"] == "reply-address"


def test_a_forged_reply_token_opens_a_new_ticket(api: Api, mailroom: Mailroom, brand: Json) -> None:
    ticket = contact_ticket(api, brand)
    forged = f"{brand['slug']}+{ticket['ticketNumber']}-aaaaaaaaaa@{DOMAIN}"

    outcome = mailroom.deliver(brand, mail(to=forged, subject="Hello"), recipient=forged)

    assert outcome["action"] == "created"
    assert outcome["ticketId"] != ticket["id"]


def test_the_public_id_in_the_subject_threads_a_mail_from_the_tickets_contact(
    api: Api, mailroom: Mailroom, brand: Json
) -> None:
    ticket = contact_ticket(api, brand)
    subject = f"Re: [{public_id(brand, ticket)}] Cannot log in"

    outcome = mailroom.deliver(brand, mail(to=to_brand(brand), subject=subject))

    assert outcome["action"] == "replied"
    assert outcome["ticketId"] == ticket["id"]
    assert outcome["threadedBy"] == "subject"
    assert comment_row(mailroom, outcome["commentId"]).metadata_["threadedBy"] == "subject"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Reply-To": CONTACT}],
    ids=["stranger", "stranger-with-the-contact-as-reply-to"],
)
def test_the_public_id_in_the_subject_from_a_stranger_opens_a_new_ticket(
    api: Api, mailroom: Mailroom, brand: Json, headers: dict[str, str]
) -> None:
    ticket = contact_ticket(api, brand)
    subject = f"Re: [{public_id(brand, ticket)}] Cannot log in"

    outcome = mailroom.deliver(
        brand,
        mail(to=to_brand(brand), subject=subject, sender="Eve <eve@example.net>", headers=headers),
    )

    assert outcome["action"] == "created"
    assert outcome["ticketId"] != ticket["id"]
    assert (
        mailroom.session.scalars(
            select(Comment).where(
                Comment.ticket_id == ticket["id"], Comment.author_type == "CUSTOMER"
            )
        ).all()
        == []
    )


def test_a_message_id_of_one_brand_never_threads_into_another(
    api: Api, mailroom: Mailroom, brand: Json
) -> None:
    other = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    theirs = contact_ticket(api, other)
    mailroom.record_outbound(other["id"], theirs["id"], SENT_ID)
    subject = f"Re: [{public_id(other, theirs)}] Cannot log in"

    outcome = mailroom.deliver(
        brand, mail(to=to_brand(brand), subject=subject, in_reply_to=SENT_ID)
    )

    assert outcome["action"] == "created"
    created = mailroom.ticket(outcome["ticketId"])
    assert created.brand_id == brand["id"]
    assert ticket_of(api, other, theirs)["commentCount"] == 0


def test_a_reply_token_of_one_brand_does_not_thread_in_another(
    api: Api, mailroom: Mailroom, brand: Json, settings: Settings
) -> None:
    other = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    mine = contact_ticket(api, brand)
    theirs = contact_ticket(api, other)
    assert mine["ticketNumber"] == theirs["ticketNumber"]
    token = (
        addresses.reply_address(
            settings, mailroom.brand(other["id"]), mailroom.ticket(theirs["id"])
        )
        .split("@")[0]
        .split("+")[1]
    )
    # Their ticket's token, on this brand's mailbox.
    address = f"{brand['slug']}+{token}@{DOMAIN}"

    outcome = mailroom.deliver(brand, mail(to=address, subject="Hi"), recipient=address)

    assert outcome["action"] == "created"
    assert outcome["ticketId"] not in (mine["id"], theirs["id"])


def test_a_reply_to_a_merged_ticket_lands_on_the_merge_target(
    api: Api, mailroom: Mailroom, brand: Json
) -> None:
    source = contact_ticket(api, brand, title="Login broken")
    target = contact_ticket(api, brand, title="Cannot log in")
    mailroom.record_outbound(brand["id"], source["id"], SENT_ID)
    api.ok(
        "post",
        f"/brands/{brand['id']}/tickets/{target['id']}/merge",
        json={"sourceTicketIds": [source["id"]]},
    )

    outcome = mailroom.deliver(brand, mail(to=to_brand(brand), in_reply_to=SENT_ID))

    assert outcome["action"] == "replied"
    assert outcome["ticketId"] == target["id"]
    assert comment_row(mailroom, outcome["commentId"]).ticket_id == target["id"]


# --- auto-reopen --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "resolved", "closed"])
def test_an_email_reply_reopens_a_done_or_waiting_ticket(
    api: Api, mailroom: Mailroom, brand: Json, status: str
) -> None:
    ticket = contact_ticket(api, brand, status=status)
    mailroom.record_outbound(brand["id"], ticket["id"], SENT_ID)

    outcome = mailroom.deliver(brand, mail(to=to_brand(brand), in_reply_to=SENT_ID))

    after = ticket_of(api, brand, ticket)
    assert after["status"] == "open"
    [entry] = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "ticket.updated"]
    assert entry["changes"]["status"] == {"old": status, "new": "open"}
    assert entry["metadata"] == {"commentId": outcome["commentId"], "trigger": "auto-reopen"}
    updated, reopened = events_of(
        mailroom.session, ticket["id"], "ticket.updated", "ticket.reopened"
    )
    for event in (updated, reopened):
        assert event.data["previous"] == {"status": status}
        assert event.data["status"] == "open"
        assert event.data["trigger"] == "auto-reopen"
    assert len(system_comments(api, brand, ticket)) == 1


def test_an_email_reply_leaves_an_open_ticket_open(
    api: Api, mailroom: Mailroom, brand: Json
) -> None:
    ticket = contact_ticket(api, brand)
    mailroom.record_outbound(brand["id"], ticket["id"], SENT_ID)

    mailroom.deliver(brand, mail(to=to_brand(brand), in_reply_to=SENT_ID))

    assert ticket_of(api, brand, ticket)["status"] == "open"
    assert events_of(mailroom.session, ticket["id"], "ticket.updated", "ticket.reopened") == []


# --- spam ---------------------------------------------------------------------------------------


def test_mail_from_a_blocked_sender_goes_to_spam_and_is_not_answered(
    api: Api, mailroom: Mailroom, brand: Json, database: Database, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    first = make_ticket(api, brand, customerEmail="spammer@example.com")
    api.ok("post", f"/brands/{brand['id']}/tickets/{first['id']}/spam", json={"isSpam": True})

    outcome = mailroom.deliver(
        brand, mail(to=to_brand(brand), sender="Spam <Spammer@Example.com>", subject="Win!")
    )
    generate(database, settings)

    assert outcome["action"] == "spam"
    assert mailroom.ticket(outcome["ticketId"]).is_spam is True
    assert emails(mailroom.session, ticket_id=outcome["ticketId"]) == []


# --- robots -------------------------------------------------------------------------------------


ROBOTS = {
    "auto-submitted": ({"Auto-Submitted": "auto-replied"}, None, "auto-submitted"),
    "auto-generated": ({"Auto-Submitted": "auto-generated"}, None, "auto-submitted"),
    "precedence-bulk": ({"Precedence": "bulk"}, None, "precedence"),
    "precedence-junk": ({"Precedence": "junk"}, None, "precedence"),
    "precedence-list": ({"Precedence": "list"}, None, "precedence"),
    "x-autoreply": ({"X-Autoreply": "yes"}, None, "autoreply-header"),
    "list-id": ({"List-Id": "<news.example.com>"}, None, "mailing-list"),
    "empty-return-path": ({"Return-Path": "<>"}, None, "null-sender"),
    "null-envelope-sender": ({}, "", "null-sender"),
    "mailer-daemon": ({"From": "MAILER-DAEMON@mx.example.com"}, None, "mailer-daemon"),
    "own-message-id": ({"Message-ID": "<abc.AS-9@inbound.localhost>"}, None, "own-message"),
}


def _robot_mail(brand: Json, headers: dict[str, str]) -> bytes:
    extra = dict(headers)
    sender = extra.pop("From", "Ann Lee <ann@example.com>")
    message_id = extra.pop("Message-ID", None)
    return mail(
        to=to_brand(brand),
        sender=sender,
        message_id=message_id,
        subject="Weekly digest",
        headers=extra,
    )


@pytest.mark.parametrize("kind", list(ROBOTS))
def test_robot_mail_is_stored_and_flagged_but_never_auto_answered(
    api: Api,
    mailroom: Mailroom,
    brand: Json,
    database: Database,
    settings: Settings,
    kind: str,
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    headers, envelope_sender, reason = ROBOTS[kind]

    outcome = mailroom.deliver(
        brand,
        _robot_mail(brand, headers),
        **({"envelope_sender": envelope_sender} if envelope_sender is not None else {}),
    )
    generate(database, settings)

    assert outcome["action"] == "created"
    assert outcome["robot"] == reason
    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.source_data is not None
    assert ticket.source_data["autoSubmitted"] is True
    assert ticket.source_data["robotReason"] == reason
    assert emails(mailroom.session, ticket_id=ticket.id, kind=notifications.AUTORESPONSE) == []


def test_auto_submitted_no_is_a_person_and_gets_the_autoresponse(
    api: Api, mailroom: Mailroom, brand: Json, database: Database, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)

    outcome = mailroom.deliver(brand, _robot_mail(brand, {"Auto-Submitted": "no"}))
    generate(database, settings)

    assert "robot" not in outcome
    [sent] = emails(mailroom.session, ticket_id=outcome["ticketId"])
    assert sent.kind == notifications.AUTORESPONSE
    assert sent.to_address == CONTACT


def test_a_robot_reply_is_threaded_but_reopens_nothing(
    api: Api, mailroom: Mailroom, brand: Json
) -> None:
    ticket = contact_ticket(api, brand, status="resolved")
    mailroom.record_outbound(brand["id"], ticket["id"], SENT_ID)
    raw = mail(
        to=to_brand(brand),
        subject="Automatic reply: Cannot log in",
        in_reply_to=SENT_ID,
        headers={"Auto-Submitted": "auto-replied"},
    )

    outcome = mailroom.deliver(brand, raw)

    assert outcome["action"] == "replied"
    assert outcome["robot"] == "auto-submitted"
    assert ticket_of(api, brand, ticket)["status"] == "resolved"
    assert events_of(mailroom.session, ticket["id"], "ticket.reopened") == []


def test_autoresponses_by_mail_are_limited_per_sender(
    api: Api, mailroom: Mailroom, brand: Json, database: Database, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    for number in range(notifications.AUTORESPONSE_LIMIT + 2):
        mailroom.deliver(brand, mail(to=to_brand(brand), subject=f"Problem {number}"))
    mailroom.deliver(brand, mail(to=to_brand(brand), sender="bob@example.com"))
    generate(database, settings)

    sent = [e.to_address for e in emails(mailroom.session, kind=notifications.AUTORESPONSE)]
    assert ticket_count(mailroom.session, brand) == notifications.AUTORESPONSE_LIMIT + 3
    assert sent.count(CONTACT) == notifications.AUTORESPONSE_LIMIT
    assert sent.count("bob@example.com") == 1


def test_a_ticket_is_autoresponded_once_however_many_mails_follow(
    api: Api, mailroom: Mailroom, brand: Json, database: Database, settings: Settings
) -> None:
    set_brand(api, brand, autoresponseEnabled=True)
    first = mailroom.deliver(brand, mail(to=to_brand(brand), message_id="<one@example.com>"))
    for number in range(3):
        mailroom.deliver(
            brand,
            mail(
                to=to_brand(brand),
                subject="Re: Cannot log in",
                body=f"And another thing ({number})",
                in_reply_to="<one@example.com>",
            ),
        )
    generate(database, settings)

    assert len(emails(mailroom.session, kind=notifications.AUTORESPONSE)) == 1
    assert len(emails(mailroom.session, ticket_id=first["ticketId"])) == 1


@pytest.mark.parametrize(
    ("sender", "performer", "contact"),
    [
        (f"Ann Lee <{CONTACT}>", "customer", True),
        ("Colleague <colleague@example.com>", "system", False),
    ],
)
def test_a_reply_is_recorded_as_the_customer_only_when_the_contact_writes(
    api: Api, mailroom: Mailroom, brand: Json, sender: str, performer: str, contact: bool
) -> None:
    ticket = contact_ticket(api, brand)
    mailroom.record_outbound(brand["id"], ticket["id"], SENT_ID)
    raw = mail(to=to_brand(brand), sender=sender, body="More details.", in_reply_to=SENT_ID)

    outcome = mailroom.deliver(brand, raw)

    entry = next(e for e in ticket_logs(api, brand, ticket) if e["event"] == "comment.created")
    assert entry["source"] == "email"
    assert entry["performedBy"]["type"] == performer
    assert ("contactId" in entry["performedBy"]) is contact
    assert comment_row(mailroom, outcome["commentId"]).author_type == "CUSTOMER"


def test_a_new_ticket_by_email_is_opened_by_its_customer(
    api: Api, mailroom: Mailroom, brand: Json
) -> None:
    outcome = mailroom.deliver(brand, mail(to=to_brand(brand), sender="Ann <ann@corp.local>"))

    ticket = api.ok("get", f"/brands/{brand['id']}/tickets/{outcome['ticketId']}")
    created = ticket_logs(api, brand, ticket)[0]
    assert created["source"] == "email"
    assert created["performedBy"]["type"] == "customer"
    assert created["performedBy"]["contactId"] == ticket["customerId"]
    assert ticket["createdBy"] == "ann@corp.local"
