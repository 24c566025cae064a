"""Inbound email: which brand a mailbox belongs to, storing raw messages (once per
Message-ID and brand), the per-account inbound secret, leases on stored messages, and
marking bounced addresses undeliverable.

Functions flush, never commit: the SMTP handler, the HTTP endpoint or the worker job that
calls them owns the transaction. The queries of the inbound side live here and in
`threads.py` (for the thread lookups).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple, cast

from sqlalchemy import Select, Table, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.accounts.errors import AllBrandsKeyRequired
from dispatch.accounts.policy import require_account_admin
from dispatch.audit.changes import record_change
from dispatch.brands.models import Brand
from dispatch.contacts import service as contacts
from dispatch.contacts.models import Contact
from dispatch.core import clock, events, leases
from dispatch.core.actor import Actor
from dispatch.core.db import per_dialect
from dispatch.core.ids import new_id
from dispatch.email import addresses
from dispatch.email.addresses import Mailbox
from dispatch.email.models import InboundMessage, InboundSecret
from dispatch.settings import Settings

RECEIVED, PROCESSED, FAILED = "RECEIVED", "PROCESSED", "FAILED"
SECRET_PREFIX = "dis_in_"  # noqa: S105 - a prefix, not a secret


# --- mailboxes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """An accepted recipient: the brand and the mailbox it was addressed as."""

    brand: Brand
    mailbox: Mailbox


def brand_for_mailbox(session: Session, mailbox: Mailbox) -> Brand | None:
    """The live brand with inbound email enabled whose slug or id (case-insensitive) the
    mailbox names; None for any other."""
    local = mailbox.local.lower()
    stmt = select(Brand).where(
        Brand.deleted_at.is_(None),
        Brand.inbound_email_enabled.is_(True),
        or_(Brand.slug == local, func.lower(Brand.id) == local),
    )
    found = list(session.scalars(stmt.limit(2)))
    # A slug never looks like a brand id (ids have an underscore), so at most one matches.
    return found[0] if found else None


def resolve_recipient(session: Session, settings: Settings, address: str) -> Recipient | None:
    mailbox = addresses.parse_mailbox(settings, address)
    if mailbox is None:
        return None
    brand = brand_for_mailbox(session, mailbox)
    return Recipient(brand, mailbox) if brand is not None else None


def one_per_brand(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One recipient per brand, in order of first appearance (a reply address wins over
    the brand's plain mailbox: it says which ticket)."""
    by_brand: dict[str, Recipient] = {}
    for recipient in recipients:
        known = by_brand.get(recipient.brand.id)
        if known is None or (known.mailbox.token is None and recipient.mailbox.token):
            by_brand[recipient.brand.id] = recipient
    return list(by_brand.values())


# --- storing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    id: str
    brand_id: str
    recipient: str
    duplicate: bool


def _stored_with_message_id(session: Session, brand_id: str, message_id: str) -> str | None:
    return session.scalar(
        select(InboundMessage.id).where(
            InboundMessage.brand_id == brand_id, InboundMessage.message_id == message_id
        )
    )


_INBOUND_TABLE = cast(Table, InboundMessage.__table__)
# One statement stores a message, or finds its Message-ID already stored for the brand
# (nothing returned): the same message delivered twice, even at the same moment through
# two connections, is stored once. Built once per dialect: every delivery runs it.
_STORE = per_dialect(
    lambda insert: (
        insert(_INBOUND_TABLE)
        .on_conflict_do_nothing(
            index_elements=["brand_id", "message_id"],
            index_where=_INBOUND_TABLE.c.message_id.isnot(None),
        )
        .returning(_INBOUND_TABLE.c.id)
    )
)


def store_message(
    session: Session,
    recipient: Recipient,
    raw: bytes,
    *,
    message_id: str | None,
    envelope_sender: str | None,
    source: str,
) -> Stored:
    """Keep the raw message for `recipient`'s brand, status RECEIVED, for the worker. A
    Message-ID already stored for the brand is not stored again (`duplicate`)."""
    brand_id = recipient.brand.id
    address = recipient.mailbox.address[:320]
    row = {
        "id": new_id("inm"),
        "brand_id": brand_id,
        "recipient": address,
        "envelope_sender": envelope_sender[:320] if envelope_sender is not None else None,
        "message_id": message_id,
        "raw": raw,
        "size": len(raw),
        "source": source,
        "status": RECEIVED,
        "attempts": 0,
        "leased_by": None,
        "lease_expires_at": None,
        "received_at": clock.now(),
        "processed_at": None,
        "outcome": None,
        "error": None,
    }
    stored = session.scalar(_STORE[session.get_bind().dialect.name], row)
    if stored is None:
        assert message_id is not None  # noqa: S101 - only a Message-ID can conflict
        existing = _stored_with_message_id(session, brand_id, message_id)
        assert existing is not None  # noqa: S101 - it conflicted with this very row
        return Stored(existing, brand_id, recipient.mailbox.address, duplicate=True)
    events.notify_on_commit(session)
    return Stored(stored, brand_id, address, duplicate=False)


# --- leases (the worker's claims) ----------------------------------------------------------------


def has_received(session: Session) -> bool:
    """Whether a received message waits for a worker (a read, no lock: the idle worker's
    frequent check, which on SQLite would otherwise queue for the write lock)."""
    return session.scalar(received_waiting()) is not None


def received_waiting() -> Select[str]:
    """One received message a worker could take now (for `has_received`, or an EXISTS)."""
    return (
        select(InboundMessage.id)
        .where(InboundMessage.status == RECEIVED, leases.free(InboundMessage, clock.now()))
        .limit(1)
    )


def claim(session: Session, worker: str, *, limit: int, lease: timedelta) -> list[str]:
    """Lease up to `limit` received messages, oldest first, to `worker` (counting the
    attempt); their ids."""
    now = clock.now()
    return leases.claim(
        session,
        InboundMessage.id,
        where=[InboundMessage.status == RECEIVED],
        order_by=(InboundMessage.received_at, InboundMessage.id),
        limit=limit,
        worker=worker,
        now=now,
        until=now + lease,
        values={"attempts": InboundMessage.attempts + 1},
    )


class Leased(NamedTuple):
    message: InboundMessage
    brand: Brand


def leased(session: Session, message_id: str, worker: str) -> Leased | None:
    """The message, locked, if `worker` still holds its lease and it is unprocessed, with
    its brand (read in the same statement, not locked).

    Read afresh (populate_existing): the claim's UPDATE bypassed the session, so a copy
    already in its identity map would show an old `attempts` (and never reach FAILED)."""
    row = session.execute(
        select(InboundMessage, Brand)
        .join(Brand, Brand.id == InboundMessage.brand_id)
        .where(
            InboundMessage.id == message_id,
            leases.held_by(InboundMessage, worker),
            InboundMessage.status == RECEIVED,
        )
        .with_for_update(of=InboundMessage)
        .execution_options(populate_existing=True)
    ).first()
    return Leased(*row) if row is not None else None


def release(session: Session, worker: str, message_ids: Sequence[str]) -> int:
    """Give back leases not used (shutting down): the messages are free at once."""
    return leases.release(
        session,
        InboundMessage.id,
        worker,
        list(message_ids),
        where=[InboundMessage.status == RECEIVED],
    )


# --- the inbound secret ---------------------------------------------------------------------


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _require_all_brands(actor: Actor) -> None:
    if not actor.all_brands:
        raise AllBrandsKeyRequired("read or rotate the inbound secret")


def get_or_create_secret(session: Session, actor: Actor) -> InboundSecret:
    """The account's inbound secret, created on first read."""
    require_account_admin(actor, "manage the inbound secret")
    _require_all_brands(actor)
    found = session.get(InboundSecret, actor.account_id)
    if found is not None:
        return found
    row = InboundSecret(
        account_id=actor.account_id,
        secret=_new_secret(),
        created_at=clock.now(),
        rotated_at=None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # A concurrent first read created it.
        found = session.get(InboundSecret, actor.account_id, populate_existing=True)
        if found is None:
            raise
        return found
    return row


def rotate_secret(session: Session, actor: Actor) -> InboundSecret:
    """A new secret; the old one stops working at once."""
    require_account_admin(actor, "manage the inbound secret")
    row = get_or_create_secret(session, actor)
    row.secret = _new_secret()
    row.rotated_at = clock.now()
    session.flush()
    return row


def account_for_secret(session: Session, presented: str) -> str | None:
    """The account whose inbound secret was presented, if any.

    The secret says whose mail this is before anything about mailboxes is answered, so a
    caller without a valid secret cannot learn which mailboxes exist (always 401)."""
    if not presented or not presented.startswith(SECRET_PREFIX) or len(presented) > 100:
        return None
    row = session.scalar(select(InboundSecret).where(InboundSecret.secret == presented))
    if row is None or not hmac.compare_digest(row.secret.encode(), presented.encode()):
        return None
    return row.account_id


# --- bounces ------------------------------------------------------------------------------------


def mark_undeliverable(
    session: Session, actor: Actor, brand: Brand, emails: Iterable[str], *, reason: str
) -> list[Contact]:
    """Flag the brand's contacts with these addresses as undeliverable (once: a contact
    already flagged keeps its first date), with an activity entry and `contact.updated`."""
    marked = []
    now = clock.now()
    for email in dict.fromkeys(e.lower() for e in emails):
        contact = contacts.find_contact_by_email(session, brand.id, email)
        if contact is None or contact.email_undeliverable_at is not None:
            continue
        contact.email_undeliverable_at = now
        contact.updated_at = now
        session.flush()
        changes = {"emailUndeliverableAt": (None, now.isoformat())}
        record_change(
            session,
            actor,
            "contact.updated",
            brand_id=brand.id,
            entity_type="contact",
            entity_id=contact.id,
            data=contacts.read_contact(session, brand, contact.id).model_dump(
                mode="json", by_alias=True
            ),
            changes=changes,
            extra={"trigger": reason},
            metadata={"trigger": reason},
            source="email",
        )
        marked.append(contact)
    return marked
