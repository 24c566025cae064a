"""Which ticket an incoming message continues, if any, and why.

In order, always within the message's brand (never across brands):

1. `In-Reply-To`, then `References` (newest first), against the Message-IDs recorded for
   the brand's tickets (`email_messages`: what Dispatch sent and what it received);
2. the reply-address token (`<slug>+<number>-<check>@...`), whose HMAC check must match;
3. the public id `[PREFIX-123]` in the subject, only when the sender is the ticket's
   contact (a subject is easy to write; an address token or a Message-ID is not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import clock, transaction
from dispatch.core.db import as_json, json_insert, per_dialect
from dispatch.core.ids import new_id
from dispatch.email import addresses
from dispatch.email.addresses import Mailbox
from dispatch.email.models import EmailMessage
from dispatch.tickets.models import Ticket

IN_REPLY_TO, REFERENCES, REPLY_ADDRESS, SUBJECT = (
    "in-reply-to",
    "references",
    "reply-address",
    "subject",
)
INBOUND, OUTBOUND = "inbound", "outbound"
MAX_REFERENCES = 100
MAX_MERGE_HOPS = 20


@dataclass(frozen=True, slots=True)
class Thread:
    ticket: Ticket
    method: str
    # What matched: the Message-ID, the address or the public id.
    matched: str


def _variants(ids: Iterable[str]) -> list[str]:
    """Each id with and without angle brackets, so ids recorded either way match."""
    out: list[str] = []
    for value in ids:
        bare = value.strip().strip("<>")
        if bare:
            out.extend((f"<{bare}>", bare))
    return list(dict.fromkeys(out))


def _key(value: str) -> str:
    return value.strip().strip("<>")


def tickets_by_message_ids(
    session: Session, brand_id: str, ids: Sequence[str]
) -> dict[str, Ticket]:
    """{message id without brackets: live ticket} for the recorded ids among `ids`."""
    wanted = _variants(ids[:MAX_REFERENCES])
    if not wanted:
        return {}
    rows = session.execute(
        select(EmailMessage.message_id, Ticket)
        .join(Ticket, Ticket.id == EmailMessage.ticket_id)
        .where(
            EmailMessage.brand_id == brand_id,
            EmailMessage.message_id.in_(wanted),
            Ticket.brand_id == brand_id,
            Ticket.deleted_at.is_(None),
        )
    ).all()
    return {_key(message_id): ticket for message_id, ticket in rows}


def ticket_by_number(session: Session, brand_id: str, number: int) -> Ticket | None:
    return session.scalar(
        select(Ticket).where(
            Ticket.brand_id == brand_id,
            Ticket.ticket_number == number,
            Ticket.deleted_at.is_(None),
        )
    )


def current_ticket(session: Session, ticket: Ticket) -> Ticket:
    """The ticket a merged-away ticket lives on in (itself when not merged)."""
    seen = {ticket.id}
    while ticket.merged_into_id is not None and len(seen) <= MAX_MERGE_HOPS:
        target = session.scalar(
            select(Ticket).where(
                Ticket.id == ticket.merged_into_id,
                Ticket.brand_id == ticket.brand_id,
                Ticket.deleted_at.is_(None),
            )
        )
        if target is None or target.id in seen:
            break
        seen.add(target.id)
        ticket = target
    return ticket


def subject_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"\[\s*{re.escape(prefix)}-(\d{{1,12}})\s*\]", re.IGNORECASE)


def find_thread(
    session: Session,
    brand: Brand,
    *,
    secret: bytes,
    in_reply_to: Sequence[str],
    references: Sequence[str],
    mailboxes: Sequence[Mailbox],
    subject: str,
    senders: set[str],
) -> Thread | None:
    """The ticket this message replies to (see the module docstring), or None."""
    if in_reply_to:
        found = tickets_by_message_ids(session, brand.id, list(in_reply_to))
        for message_id in in_reply_to:
            ticket = found.get(_key(message_id))
            if ticket is not None:
                return Thread(ticket, IN_REPLY_TO, message_id)
    newest_first = [r for r in reversed(references) if r not in in_reply_to]
    if newest_first:
        found = tickets_by_message_ids(session, brand.id, newest_first)
        for message_id in newest_first:
            ticket = found.get(_key(message_id))
            if ticket is not None:
                return Thread(ticket, REFERENCES, message_id)
    for mailbox in mailboxes:
        token = addresses.parse_token(mailbox.token) if mailbox.token else None
        if token is None:
            continue
        ticket = ticket_by_number(session, brand.id, token.ticket_number)
        if ticket is not None and addresses.token_matches(secret, brand.id, ticket.id, token):
            return Thread(ticket, REPLY_ADDRESS, mailbox.address)
    lowered = {s.lower() for s in senders if s}
    for match in subject_pattern(brand.ticket_prefix).finditer(subject):
        ticket = ticket_by_number(session, brand.id, int(match.group(1)))
        if ticket is None:
            continue
        if ticket.customer_email and ticket.customer_email.lower() in lowered:
            return Thread(ticket, SUBJECT, match.group(0))
    return None


def remember(
    session: Session,
    brand_id: str,
    ticket_id: str,
    message_id: str | None,
    *,
    comment_id: str | None = None,
    direction: str = INBOUND,
) -> None:
    """Record a Message-ID as belonging to the ticket (once per brand: one already known
    keeps its ticket), with the transaction's commit: on PostgreSQL within its one
    statement, as every inbound message asks (nothing reads it back before)."""
    if not message_id:
        return
    row = {
        "id": new_id("emm"),
        "brand_id": brand_id,
        "ticket_id": ticket_id,
        "comment_id": comment_id,
        "message_id": message_id,
        "direction": direction,
        "created_at": clock.now(),
    }
    transaction.record(session, _REMEMBERED, row)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    statement = _REMEMBER[session.get_bind().dialect.name]
    session.execute(statement, rows[0] if len(rows) == 1 else rows)


def _part(rows: list[dict[str, Any]]) -> transaction.CommitPart:
    return transaction.CommitPart((_REMEMBER_CLAUSE,), {"email_messages": as_json(rows)})


def _remember(insert: Any) -> Any:
    return insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=[_MESSAGES.c.brand_id, _MESSAGES.c.message_id]
    )


_MESSAGES = cast(Table, EmailMessage.__table__)
_REMEMBER = per_dialect(_remember)
_REMEMBER_CLAUSE = (
    f"email_messages_in AS ({json_insert(_MESSAGES, 'email_messages')} "
    "ON CONFLICT (brand_id, message_id) DO NOTHING)"
)
_REMEMBERED = transaction.SideState[dict[str, Any]](
    "remembered message ids", write=_write, part=_part
)
