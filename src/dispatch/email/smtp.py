"""The SMTP listener (aiosmtpd): mail for the brands' mailboxes, stored before 250.

- RCPT: only `<slug>@`, `<brandId>@` and `<slug>+<token>@` at the inbound domain, of live
  brands with inbound email enabled; anything else is refused with `550 5.1.1`. Each
  recipient is looked up once, here; DATA stores for the recipients RCPT accepted (a brand
  deleted in between is the worker's to ignore, like one deleted after the 250). What a
  mailbox names is remembered for MAILBOX_SECONDS: a transaction per recipient was a third
  of the listener's work under a stream of mail, and a brand renamed, disabled or created
  is answered for accordingly that much later at most.
- DATA: larger than DISPATCH_MAIL_MAX_BYTES is refused with 552 (aiosmtpd's
  `data_size_limit`, also announced as SIZE in EHLO). The raw message is stored, one row
  per accepted brand, and committed before the client hears 250; a Message-ID already
  stored for a brand is stored once (and still answered 250). A database failure is a
  451, so the sending server tries again later.
- Database work runs in threads, off the event loop.

`start(settings)` runs a listener in a thread (aiosmtpd's Controller): `dispatch serve`
starts one beside the HTTP server, `dispatch smtp` runs one alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlalchemy.exc import SQLAlchemyError

from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.db import Database
from dispatch.email import addresses, parsing, service
from dispatch.settings import Settings

logger = logging.getLogger("dispatch.email.smtp")

MAX_RECIPIENTS = 100
# How long the brand a mailbox names (or that it names none) is remembered, and for how
# many mailboxes at most: mail to made-up addresses must not grow the memo without end.
MAILBOX_SECONDS = 2.0
MAILBOXES_REMEMBERED = 1_000
# Seconds an idle client may keep a connection.
IDLE_TIMEOUT = 120
IDENT = "Dispatch ESMTP"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one DATA stored: a row per brand (duplicates name the row already stored)."""

    stored: list[service.Stored]


class InboundHandler:
    """aiosmtpd handler: recipients checked at RCPT, messages stored at DATA."""

    def __init__(
        self, database: Database, settings: Settings, *, clock: Callable[[], float] = monotonic
    ) -> None:
        self.database = database
        self.settings = settings
        # The recipients RCPT accepted, per envelope (touched on the event loop only).
        self._accepted: WeakKeyDictionary[Envelope, list[service.Recipient]] = WeakKeyDictionary()
        # Mailbox (slug or brand id, lowercased) -> (when looked up, its brand or None).
        self._brands: dict[str, tuple[float, Brand | None]] = {}
        self._clock = clock

    # -- blocking work (threads) -----------------------------------------------------------------

    def resolve(self, address: str) -> service.Recipient | None:
        mailbox = addresses.parse_mailbox(self.settings, address)
        if mailbox is None:
            return None
        key = mailbox.local.lower()
        now = self._clock()
        known = self._brands.get(key)
        if known is not None and now - known[0] < MAILBOX_SECONDS:
            brand = known[1]
        else:
            brand = transaction.run(
                self.database,
                lambda session: service.brand_for_mailbox(session, mailbox),
                write=False,
            )
            self._remember(key, now, brand)
        return service.Recipient(brand, mailbox) if brand is not None else None

    def _remember(self, key: str, now: float, brand: Brand | None) -> None:
        if len(self._brands) >= MAILBOXES_REMEMBERED:
            # Keep what is still fresh (a copy: other threads resolve meanwhile).
            fresh = [(k, v) for k, v in list(self._brands.items()) if now - v[0] < MAILBOX_SECONDS]
            self._brands = dict(fresh[-(MAILBOXES_REMEMBERED // 2) :])
        self._brands[key] = (now, brand)

    def deliver(
        self, raw: bytes, recipients: list[service.Recipient], envelope_sender: str | None
    ) -> Delivery:
        """Store the message for each accepted brand and commit (the SMTP `250`)."""
        message_id = parsing.message_id_of(raw)
        accepted = service.one_per_brand(recipients)
        stored = transaction.run(
            self.database,
            lambda session: [
                service.store_message(
                    session,
                    recipient,
                    raw,
                    message_id=message_id,
                    envelope_sender=envelope_sender,
                    source="smtp",
                )
                for recipient in accepted
            ],
        )
        return Delivery(stored)

    # -- SMTP hooks ---------------------------------------------------------------------------

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SMTPSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            recipient = await asyncio.to_thread(self.resolve, address)
        except SQLAlchemyError:
            logger.exception("recipient lookup failed")
            return "451 4.3.0 Temporary failure, try again later"
        if recipient is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        self._accepted.setdefault(envelope, []).append(recipient)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if not raw:
            return "554 5.6.0 Empty message"
        recipients = list(self._accepted.get(envelope, ()))
        if not recipients:
            # aiosmtpd answers DATA without an accepted RCPT itself; never reached.
            return "550 5.1.1 No such mailbox here"
        sender = envelope_sender(envelope.mail_from)
        try:
            delivery = await asyncio.to_thread(self.deliver, bytes(raw), recipients, sender)
        except SQLAlchemyError:
            logger.exception("storing an inbound message failed")
            return "451 4.3.0 Temporary failure, try again later"
        ids = ", ".join(s.id for s in delivery.stored)
        return f"250 2.0.0 OK: queued as {ids}"


def envelope_sender(mail_from: str | None) -> str | None:
    """MAIL FROM as stored: the null reverse-path (`MAIL FROM:<>`, which aiosmtpd hands over
    as "<>") is "", the mark of a bounce or auto-reply that robots.py looks for."""
    if mail_from is None:
        return None
    value = mail_from.strip()
    return "" if value in ("", "<>") else value.strip("<>").strip()


def smtp_options(settings: Settings) -> dict[str, Any]:
    return {
        "data_size_limit": settings.mail_max_bytes,
        "enable_SMTPUTF8": True,
        "decode_data": False,
        "ident": IDENT,
        "timeout": IDLE_TIMEOUT,
    }


class Listener:
    """A running listener: a thread with its own event loop (aiosmtpd's Controller)."""

    def __init__(self, controller: Controller, database: Database, owns_database: bool) -> None:
        self.controller = controller
        self.database = database
        self._owns_database = owns_database

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def host(self) -> str:
        return str(self.controller.hostname)

    def stop(self) -> None:
        try:
            self.controller.stop()
        finally:
            if self._owns_database:
                self.database.dispose()


def start(
    settings: Settings,
    database: Database | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
) -> Listener:
    """Start listening on host:port (default DISPATCH_SMTP_HOST/PORT); returns once the
    socket accepts connections."""
    owns = database is None
    db = database or Database.from_url(settings.effective_database_url, pool_size=4)
    handler = InboundHandler(db, settings)
    controller = Controller(
        handler,
        hostname=host or settings.smtp_host,
        port=port if port is not None else settings.smtp_port,
        server_hostname=settings.inbound_domain,
        ready_timeout=10.0,
        **smtp_options(settings),
    )
    try:
        controller.start()
    except BaseException:
        if owns:
            db.dispose()
        raise
    logger.info("SMTP listener on %s:%s", controller.hostname, controller.port)
    return Listener(controller, db, owns)
