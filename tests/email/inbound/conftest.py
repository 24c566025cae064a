"""Inbound email tests: messages stored and processed against the test's database, with the
test's settings (inbound domain, server secret, attachment storage) bound."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.attachments import config as attachment_config
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.email import addresses, inbound, service, threads
from dispatch.email.models import InboundMessage
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DOMAIN = "inbound.localhost"


@pytest.fixture(autouse=True)
def bound_config(settings: Settings, app: Any) -> Iterator[inbound.InboundConfig]:
    """What the worker binds: the inbound config and the attachment config of the app."""
    config = inbound.config_from_settings(settings)
    with (
        inbound.using(config),
        attachment_config.using(attachment_config.for_app(app)),
    ):
        yield config


@dataclass
class Mailroom:
    """Stores raw messages for a brand and processes them, as the listener and the worker
    would (commits are savepoints of the test's transaction)."""

    session: Session
    settings: Settings
    database: Database

    def brand(self, brand_id: str) -> Brand:
        found = self.session.get(Brand, brand_id)
        assert found is not None
        return found

    def store(
        self,
        brand: dict[str, Any] | Brand,
        raw: bytes,
        *,
        recipient: str | None = None,
        envelope_sender: str | None = "sender@example.com",
        source: str = "smtp",
    ) -> service.Stored:
        row = self.brand(brand["id"] if isinstance(brand, dict) else brand.id)
        address = recipient or addresses.brand_address(self.settings, row)
        resolved = service.resolve_recipient(self.session, self.settings, address)
        assert resolved is not None, address
        stored = service.store_message(
            self.session,
            resolved,
            raw,
            message_id=_message_id(raw),
            envelope_sender=envelope_sender,
            source=source,
        )
        self.session.commit()
        return stored

    def deliver(self, brand: dict[str, Any] | Brand, raw: bytes, **kwargs: Any) -> dict[str, Any]:
        """Store and process one message; its outcome."""
        stored = self.store(brand, raw, **kwargs)
        message = self.session.get(InboundMessage, stored.id)
        assert message is not None
        outcome = inbound.process_message(self.session, message)
        self.session.commit()
        return outcome

    def ticket(self, ticket_id: str) -> Ticket:
        found = self.session.get(Ticket, ticket_id, populate_existing=True)
        assert found is not None
        return found

    def record_outbound(self, brand_id: str, ticket_id: str, message_id: str) -> None:
        """What the outbound side records for each email it sends."""
        threads.remember(self.session, brand_id, ticket_id, message_id, direction=threads.OUTBOUND)
        self.session.commit()

    def messages(self, brand_id: str) -> list[InboundMessage]:
        return list(
            self.session.scalars(
                select(InboundMessage)
                .where(InboundMessage.brand_id == brand_id)
                .order_by(InboundMessage.received_at)
                .execution_options(populate_existing=True)
            )
        )


def _message_id(raw: bytes) -> str | None:
    from dispatch.email import parsing

    return parsing.message_id_of(raw)


@pytest.fixture
def mailroom(session: Session, settings: Settings, database: Database) -> Mailroom:
    return Mailroom(session, settings, database)


def mail(
    *,
    to: str,
    subject: str = "Cannot log in",
    body: str = "The login page spins forever.",
    sender: str = "Ann Lee <ann@example.com>",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    """A plain message built with the email package."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def corpus(name: str, **replacements: str) -> bytes:
    raw = (CORPUS / name).read_bytes()
    for key, value in replacements.items():
        raw = raw.replace(f"{{{{{key}}}}}".encode(), value.encode())
    return raw
