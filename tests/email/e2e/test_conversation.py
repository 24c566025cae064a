"""A whole support conversation by mail alone, over real sockets on loopback.

A customer writes to the brand's address (smtplib -> the SMTP listener of `dispatch
serve`), a ticket opens; an agent answers through the HTTP API and the answer reaches the
customer's mailbox (the relay's sink) with threading headers and a reply address; the agent
resolves the ticket; the customer answers the email they got, from "their mail client", and
the answer lands on the same ticket as a customer comment and reopens it.

Nothing but the server moves the mail: its SMTP listener stores, its embedded worker turns
stored mail into tickets and comments, and events into emails sent through the relay.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import httpx
from sqlalchemy import select

from dispatch.core.db import Database
from dispatch.core.events import Event
from tests.email.e2e.conftest import MailServer, eventually
from tests.email.outbound.sink import Received, Sink

CUSTOMER = "jane.doe@example.com"
FIRST_MESSAGE_ID = "<first.1042@mail.example.com>"


def _send(server: MailServer, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
        smtp.send_message(message, from_addr=CUSTOMER)


def _customer_writes(server: MailServer, to: str) -> None:
    message = EmailMessage()
    message["From"] = f"Jane Doe <{CUSTOMER}>"
    message["To"] = to
    message["Subject"] = "Order 1042 never arrived"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = FIRST_MESSAGE_ID
    message.set_content("Hello,\n\nmy order 1042 never arrived. Can you check?\n\nJane\n")
    _send(server, message)


def _customer_replies(server: MailServer, to: Received) -> None:
    """A reply as a mail client writes it: to the Reply-To, threaded, quoting the answer."""
    original = to.message
    quoted = "\n".join(f"> {line}" for line in to.part("text/plain").splitlines())
    message = EmailMessage()
    message["From"] = f"Jane Doe <{CUSTOMER}>"
    message["To"] = original["Reply-To"]
    message["Subject"] = f"Re: {original['Subject']}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = "<second.1042@mail.example.com>"
    message["In-Reply-To"] = original["Message-ID"]
    message["References"] = f"{original['References']} {original['Message-ID']}"
    message.set_content(
        "It still has not arrived, sorry!\n\n"
        f"On Mon, 5 Jan 2026, {original['From']} wrote:\n{quoted}\n"
    )
    _send(server, message)


def test_a_conversation_by_mail_alone_opens_answers_and_reopens_one_ticket(
    mail_server: MailServer, database: Database, sink: Sink
) -> None:
    with httpx.Client(
        base_url=f"{mail_server.base_url}/v1",
        headers={"Authorization": f"Bearer {mail_server.api_key}"},
        timeout=10,
    ) as api:
        brand = api.post("/brands", json={"name": "Acme Store"}).json()
        tickets_path = f"/brands/{brand['id']}/tickets"

        # 1. The customer writes to the brand's address; a ticket opens.
        _customer_writes(mail_server, f"{brand['slug']}@inbound.localhost")

        def opened() -> list[Any]:
            listed: list[Any] = api.get(tickets_path).json()["data"]
            return listed

        [ticket] = eventually(opened)
        assert ticket["source"] == "email"
        assert ticket["title"] == "Order 1042 never arrived"
        assert ticket["customerEmail"] == CUSTOMER
        assert ticket["status"] == "open"
        assert "never arrived" in ticket["body"]
        public_id = f"{brand['ticketPrefix']}-{ticket['ticketNumber']}"

        # 2. An agent answers through the API; the answer reaches the customer.
        posted = api.post(
            f"{tickets_path}/{ticket['id']}/comments",
            json={"body": "Sorry about that! It ships today.", "authorName": "Sam Agent"},
        )
        assert posted.status_code == 201, posted.text
        [answer] = eventually(lambda: sink.received)
        message = answer.message
        assert answer.rcpt_tos == [CUSTOMER]
        assert parseaddr(message["From"])[0] == "Sam Agent"
        assert message["Subject"] == f"Re: [{public_id}] Order 1042 never arrived"
        assert message["In-Reply-To"] == FIRST_MESSAGE_ID
        assert message["References"] == FIRST_MESSAGE_ID
        assert message["Message-ID"].endswith(f".{public_id}@inbound.localhost>")
        assert message["Reply-To"].startswith(f"{brand['slug']}+{ticket['ticketNumber']}-")
        assert message["Reply-To"].endswith("@inbound.localhost")
        assert "It ships today." in answer.part("text/plain")
        assert "It ships today." in answer.part("text/html")

        # 3. The agent resolves the ticket.
        resolved = api.patch(f"{tickets_path}/{ticket['id']}", json={"status": "resolved"})
        assert resolved.json()["status"] == "resolved"

        # 4. The customer replies to the email they got; it threads and reopens the ticket.
        _customer_replies(mail_server, answer)

        def customer_reply() -> list[Any]:
            comments = api.get(f"{tickets_path}/{ticket['id']}/comments").json()
            return [c for c in comments if c["authorType"] == "CUSTOMER"]

        [reply] = eventually(customer_reply)
        assert reply["body"].startswith("It still has not arrived, sorry!")
        assert "It ships today." not in reply["body"]  # quoted history kept apart
        assert reply["source"] == "email"
        # Matched by the Message-ID of the answer it replies to (recorded when it was sent).
        assert reply["metadata"]["threadedBy"] == "in-reply-to"
        again = api.get(f"{tickets_path}/{ticket['id']}").json()
        assert again["status"] == "open"
        assert len(api.get(tickets_path).json()["data"]) == 1

    with database.session() as session:
        types = session.scalars(
            select(Event.type).where(Event.ticket_id == ticket["id"]).order_by(Event.position)
        ).all()
    assert types.count("ticket.reopened") == 1
    last_comment = max(i for i, kind in enumerate(types) if kind == "comment.created")
    assert types.index("ticket.reopened") > last_comment
    # Nothing else was mailed to the customer (no autoresponse: the brand has it off).
    assert len(sink.received) == 1
