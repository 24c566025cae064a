"""Spam senders: marking a ticket spam blocks its sender, so their later tickets arrive as
spam; unmarking it unblocks them."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dispatch.audit import service as audit
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import Conflict, NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.spam.models import BlockedSender
from dispatch.tickets.models import Ticket


def is_blocked(session: Session, brand_id: str, email: str) -> bool:
    return session.scalar(_BLOCKED, {"brand_id": brand_id, "email": email.lower()}) is not None


# Every ticket created with a requester asks: built once.
_BLOCKED = select(BlockedSender.id).where(
    BlockedSender.brand_id == bindparam("brand_id"), BlockedSender.email == bindparam("email")
)


def _block(session: Session, actor: Actor, brand: Brand, ticket: Ticket, email: str) -> bool:
    """Block the sender; False if they are blocked already. Two tickets of one sender
    marked spam at once both find them unblocked: the later insert then does nothing
    (it waits for the earlier one's commit on PostgreSQL) instead of failing."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(BlockedSender)
        .values(
            id=new_id("blk"),
            brand_id=brand.id,
            email=email,
            ticket_id=ticket.id,
            created_by=actor.performed_by(),
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=[BlockedSender.brand_id, BlockedSender.email])
        .returning(BlockedSender.id)
    )
    return session.scalar(stmt) is not None


def follow_ticket(session: Session, actor: Actor, brand: Brand, ticket: Ticket) -> None:
    """Block or unblock the ticket's sender to match its spam flag."""
    email = ticket.customer_email
    if not email:
        return
    email = email.lower()
    blocked = is_blocked(session, brand.id, email)
    if ticket.is_spam and not blocked:
        if not _block(session, actor, brand, ticket, email):
            return  # a concurrent request blocked them first
        event = "sender.blocked"
    elif not ticket.is_spam and blocked:
        session.execute(
            delete(BlockedSender).where(
                BlockedSender.brand_id == brand.id, BlockedSender.email == email
            )
        )
        event = "sender.unblocked"
    else:
        return
    session.flush()
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event=event,
        entity_type="blocked_sender",
        entity_id=ticket.id,
        ticket_id=ticket.id,
        metadata={"email": email},
    )


# --- the blocked senders list, managed by hand -----------------------------------------------


def list_blocked(session: Session, brand: Brand) -> list[BlockedSender]:
    stmt = (
        select(BlockedSender)
        .where(BlockedSender.brand_id == brand.id)
        .order_by(BlockedSender.created_at.desc(), BlockedSender.id)
    )
    return list(session.scalars(stmt))


def block_sender(session: Session, actor: Actor, brand: Brand, email: str) -> BlockedSender:
    """Block an address by hand: their new tickets arrive as spam."""
    try:
        address = normalize_email(email).lower()
    except InvalidEmailAddress as error:
        raise ValidationFailed("email", str(error)) from None
    if is_blocked(session, brand.id, address):
        raise Conflict(f"{address} is blocked already", code="sender_blocked")
    row = BlockedSender(
        id=new_id("blk"),
        brand_id=brand.id,
        email=address,
        ticket_id=None,
        created_by=actor.performed_by(),
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    _record(session, actor, brand, "sender.blocked", row.id, address)
    return row


def unblock_sender(session: Session, actor: Actor, brand: Brand, blocked_id: str) -> str:
    """Let the sender's new tickets in again (their spam tickets stay spam); their address."""
    row = session.scalar(
        select(BlockedSender).where(
            BlockedSender.brand_id == brand.id, BlockedSender.id == blocked_id
        )
    )
    if row is None:
        raise NotFound("blocked_sender", blocked_id)
    session.delete(row)
    session.flush()
    _record(session, actor, brand, "sender.unblocked", row.id, row.email)
    return row.email


def _record(
    session: Session, actor: Actor, brand: Brand, event: str, entity_id: str, email: str
) -> None:
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event=event,
        entity_type="blocked_sender",
        entity_id=entity_id,
        metadata={"email": email},
    )
