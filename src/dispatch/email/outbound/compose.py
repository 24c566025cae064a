"""An email to send: its row (OutboundEmail), its Message-ID and threading headers, and the
MIME message built from the row when it is sent.

- Message-IDs Dispatch creates: `<{random}.{PREFIX-NUMBER}@{inbound domain}>`. Emails to the
  customer (replies, autoresponse, "ticket created") are part of the ticket's thread: their
  Message-ID is recorded in `email_messages` (direction outbound, with the comment), so a
  reply to any of them threads back to the ticket.
- `In-Reply-To` is the latest message the customer sent (else the latest we sent);
  `References` lists the thread's ids oldest first, ending with that one (at most
  MAX_REFERENCES: the first and the most recent).
- Subjects carry the public id: `[PREFIX-123] Title`, `Re: [PREFIX-123] Title` once there
  is a message to reply to.
- Team notifications (watchers, assignee, owners) are `Auto-Submitted: auto-generated`
  and stay out of the customer's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.ids import new_id, random_token
from dispatch.email.addresses import inbound_domain
from dispatch.email.models import EmailMessage, OutboundEmail
from dispatch.email.outbound import repository
from dispatch.email.outbound.config import mail_from
from dispatch.email.rendering import Rendered, one_line
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket

MAX_REFERENCES = 20
AUTORESPONSE = "autoresponse"
# Kinds whose Auto-Submitted value is auto-replied (RFC 3834: a reply to a message);
# other automatic emails are auto-generated.
AUTO_REPLIED_KINDS = frozenset({AUTORESPONSE})


@dataclass(frozen=True, slots=True)
class Draft:
    """What a generator decided to send; `queue` turns it into a row."""

    kind: str
    to: str
    subject: str
    body: Rendered
    from_name: str | None
    cc: tuple[str, ...] = ()
    reply_to: str | None = None
    auto_submitted: bool = False
    # Part of the customer's conversation: recorded and threaded with the ticket.
    in_thread: bool = False
    comment_id: str | None = None


def message_id(settings: Settings, brand: Brand | None, ticket: Ticket | None) -> str:
    tag = brand.public_id(ticket.ticket_number) if brand and ticket else "dispatch"
    return f"<{random_token(16)}.{tag}@{inbound_domain(settings)}>"


def subject(brand: Brand, ticket: Ticket, *, reply: bool = False, text: str | None = None) -> str:
    """`[PREFIX-123] Title` (or `text` instead of the title), `Re: ...` for a reply."""
    line = f"[{brand.public_id(ticket.ticket_number)}] {one_line(text or ticket.title)}"
    return f"Re: {line}" if reply else line


def with_public_id(brand: Brand, ticket: Ticket, text: str) -> str:
    """A subject a brand wrote, with the ticket's public id added if it lacks it."""
    tag = brand.public_id(ticket.ticket_number)
    text = one_line(text)
    return text if tag.lower() in text.lower() else f"{text} [{tag}]"


@dataclass(frozen=True, slots=True)
class Threading:
    in_reply_to: str | None
    references: list[str]


def threading(known: list[tuple[str, str]]) -> Threading:
    """In-Reply-To and References for the next email of a thread whose known Message-IDs
    (with their direction, oldest first) are `known`."""
    if not known:
        return Threading(None, [])
    inbound = [m for m, direction in known if direction == "inbound"]
    parent = inbound[-1] if inbound else known[-1][0]
    ids = list(dict.fromkeys(m for m, _ in known if m != parent))
    if len(ids) >= MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 2) :]]
    return Threading(parent, [*ids, parent])


def queue(
    session: Session,
    settings: Settings,
    brand: Brand | None,
    ticket: Ticket | None,
    draft: Draft,
    *,
    event_id: str | None,
    known: list[tuple[str, str]] | None = None,
) -> OutboundEmail:
    """Add the email to the send queue (PENDING, due now). `brand` is None for mail to the
    team itself (sign-in links, invitations). `known` is the ticket's thread
    (`repository.thread_ids`) when the caller already holds it (a batch reads it once per
    ticket); an email in the thread is appended to it. Adds, never flushes nor commits."""
    to = draft.to.strip().lower()
    now = clock.now()
    in_thread = ticket is not None and draft.in_thread
    if in_thread and known is None:
        assert ticket is not None  # noqa: S101 - narrowed by in_thread
        known = repository.thread_ids(session, ticket.id)
    thread = threading(known) if in_thread and known is not None else None
    email = OutboundEmail(
        id=new_id("eml"),
        brand_id=brand.id if brand else None,
        ticket_id=ticket.id if ticket is not None else None,
        kind=draft.kind,
        event_id=event_id,
        to_address=to,
        cc=[c for c in dict.fromkeys(a.strip().lower() for a in draft.cc) if c and c != to],
        from_address=((brand and brand.from_email) or mail_from(settings)).strip(),
        from_name=one_line(draft.from_name, 200) if draft.from_name else None,
        reply_to=draft.reply_to,
        subject=one_line(draft.subject, 900),
        message_id=message_id(settings, brand, ticket),
        in_reply_to=thread.in_reply_to if thread else None,
        references=" ".join(thread.references) if thread and thread.references else None,
        text_body=draft.body.text,
        html_body=draft.body.html,
        auto_submitted=draft.auto_submitted,
        status="PENDING",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(email)
    if brand is not None and ticket is not None and draft.in_thread:
        session.add(
            EmailMessage(
                id=new_id("emm"),
                brand_id=brand.id,
                ticket_id=ticket.id,
                comment_id=draft.comment_id,
                message_id=email.message_id,
                direction="outbound",
                created_at=now,
            )
        )
        if known is not None:
            known.append((email.message_id, "outbound"))
    return email


def auto_submitted_value(email: OutboundEmail) -> str | None:
    if not email.auto_submitted:
        return None
    return "auto-replied" if email.kind in AUTO_REPLIED_KINDS else "auto-generated"


def build_message(email: OutboundEmail, *, date: datetime | None = None) -> MimeMessage:
    """The MIME message of an email row: multipart/alternative, plain text then HTML."""
    message = MimeMessage(policy=policy.SMTP)
    message["From"] = Address(display_name=email.from_name or "", addr_spec=email.from_address)
    message["To"] = email.to_address
    if email.cc:
        message["Cc"] = ", ".join(email.cc)
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(date or clock.now())
    message["Message-ID"] = email.message_id
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = email.references
    auto = auto_submitted_value(email)
    if auto is not None:
        message["Auto-Submitted"] = auto
        # Exchange and Outlook: no out-of-office or other automatic answers to this.
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(email.text_body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    return message


def recipients(email: OutboundEmail) -> list[str]:
    return list(dict.fromkeys([email.to_address, *email.cc]))
