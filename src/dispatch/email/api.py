"""Inbound email over HTTP (mail providers' inbound-parse webhooks) and the account's
inbound secret.

`POST /v1/inbound/email` takes a raw RFC 822 message (`Content-Type: message/rfc822` or
`text/plain`). It is authenticated by the account's inbound secret, not an API key:
as a Bearer token or as the Basic auth password (providers put credentials in the URL:
`https://inbound:<secret>@dispatch.example.com/v1/inbound/email`). The brand is the
mailbox named by `?to=`, else the first of the message's Delivered-To, X-Original-To,
To and Cc that is a mailbox of the account. The message is stored (once per Message-ID
and brand) and answered 202; the worker turns it into a ticket or a reply.
"""

from __future__ import annotations

import base64
import binascii
import re
from email.message import Message

from fastapi import Depends, Path, Query, Request, Response, Security
from fastapi.security import APIKeyHeader
from pydantic_core import to_json
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dispatch.core import transaction
from dispatch.core.db import Database
from dispatch.core.middleware import BodyLimit
from dispatch.core.routing import api_router
from dispatch.email import addresses, parsing, service
from dispatch.email.errors import (
    EmptyMessage,
    InvalidInboundSecret,
    NoMailbox,
    UnsupportedMessageType,
)
from dispatch.email.models import InboundSecret
from dispatch.email.outbound import service as outbound
from dispatch.email.outbound.schemas import OutboundEmailOut
from dispatch.email.schemas import InboundAccepted, InboundSecretOut, StoredMessageOut
from dispatch.settings import Settings
from dispatch.unit_of_work import UnitOfWork, brand_path, unit_of_work

router = api_router(tags=["Inbound email"])

INBOUND_PATH = "/v1/inbound/email"
# Raw mail may be as large as DISPATCH_MAIL_MAX_BYTES, above the JSON body cap.
INBOUND_BODY_LIMIT = BodyLimit(
    re.compile(re.escape(INBOUND_PATH) + "/?"),
    "mail_max_bytes",
    "payload_too_large",
    "Request body exceeds the limit of {limit} bytes",
)
RAW_TYPES = frozenset({"message/rfc822", "text/plain"})
# Documents the route's own credential in the OpenAPI document; `presented_secret` reads it.
INBOUND_SECRET_SCHEME = APIKeyHeader(
    name="Authorization",
    scheme_name="InboundSecret",
    description="The account's inbound secret as `Bearer <secret>` or as the Basic auth password",
    auto_error=False,
)


# --- the inbound secret ---------------------------------------------------------------------------


def _secret_out(row: InboundSecret, settings: Settings) -> InboundSecretOut:
    return InboundSecretOut(
        secret=row.secret,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        endpoint=INBOUND_PATH,
        inbound_domain=addresses.inbound_domain(settings),
    )


@router.get(
    "/accounts/me/inbound-secret",
    response_model=InboundSecretOut,
    summary="The account's inbound secret (created on first read; all-brands key)",
)
async def get_inbound_secret(request: Request, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    settings: Settings = request.app.state.settings
    return await uow.run(
        lambda w: _secret_out(service.get_or_create_secret(w.session, w.actor), settings)
    )


@router.post(
    "/accounts/me/inbound-secret",
    response_model=InboundSecretOut,
    summary="Replace the inbound secret (the old one stops working at once)",
)
async def rotate_inbound_secret(
    request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    settings: Settings = request.app.state.settings
    return await uow.run(lambda w: _secret_out(service.rotate_secret(w.session, w.actor), settings))


# --- receiving ---------------------------------------------------------------------------------


def presented_secret(authorization: str | None) -> str | None:
    """The secret in `Authorization: Bearer <secret>` or `Basic base64(user:<secret>)` (a
    Basic credential with an empty password is taken from the user name)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return password or user or None
    return None


def _candidates(headers: Message, to: str | None) -> list[str]:
    if to:
        return [to]
    return [a.email for a in parsing.addresses(headers, *parsing.ENVELOPE_HEADERS)]


def _envelope_sender(headers: Message) -> str | None:
    value = parsing.header_text(headers, "Return-Path")
    if value is None:
        return None
    return value.strip().strip("<>").strip().lower()


def ingest(
    database: Database, settings: Settings, secret: str, raw: bytes, to: str | None
) -> service.Stored:
    """Authenticate by the secret (whose account it is), find the account's mailbox the
    message is for, store, commit."""

    def store(session: Session) -> service.Stored:
        account_id = service.account_for_secret(session, secret)
        if account_id is None:
            raise InvalidInboundSecret()
        headers = parsing.headers_of(raw)
        # Only the account's own mailboxes count: another account's brand is, to this
        # caller, no different from a mailbox that does not exist. The first one wins.
        target = next(
            (
                r
                for r in (
                    service.resolve_recipient(session, settings, c)
                    for c in _candidates(headers, to)
                )
                if r is not None and r.brand.account_id == account_id
            ),
            None,
        )
        if target is None:
            raise NoMailbox()
        return service.store_message(
            session,
            target,
            raw,
            message_id=parsing.message_id_of(raw, headers),
            envelope_sender=_envelope_sender(headers),
            source="http",
        )

    return transaction.run(database, store)


@router.post(
    "/inbound/email",
    status_code=202,
    response_model=InboundAccepted,
    summary="Receive a raw email (inbound-parse webhook; authenticated by the inbound secret)",
    dependencies=[Security(INBOUND_SECRET_SCHEME)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def receive_email(
    request: Request,
    to: str | None = Query(
        None, max_length=320, description="The mailbox it is for (else read from headers)"
    ),
) -> Response:
    secret = presented_secret(request.headers.get("authorization"))
    if not secret:
        raise InvalidInboundSecret()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in RAW_TYPES:
        raise UnsupportedMessageType(content_type)
    raw = await request.body()
    if not raw.strip():
        raise EmptyMessage()
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    stored = await run_in_threadpool(ingest, database, settings, secret, raw, to)
    body = InboundAccepted(
        message=StoredMessageOut(
            id=stored.id,
            brand_id=stored.brand_id,
            recipient=stored.recipient,
            duplicate=stored.duplicate,
        )
    )
    return Response(to_json(body, by_alias=True), 202, media_type="application/json")


# --- the record of sent mail ---------------------------------------------------------------------


@router.get(
    "/brands/{brandId}/tickets/{ticketId}/emails",
    tags=["Email"],
    dependencies=[Depends(brand_path)],
    response_model=list[OutboundEmailOut],
    summary="List the emails sent about a ticket",
    description=(
        "Every email Dispatch sent or is sending about the ticket, oldest first: replies "
        "and notices to the customer, the autoresponse, and notifications to watchers and "
        "the assignee. `status` is PENDING (waiting; also while no SMTP relay is "
        "configured), RETRYING (a temporary failure; `nextAttemptAt` says when), SENT "
        "(`sentAt`) or FAILED (`lastError` says why). `attempts` counts every try."
    ),
)
async def list_ticket_emails(
    ticket_id: str = Path(alias="ticketId", max_length=64),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(lambda w: outbound.list_ticket_emails(w.session, w.brand, ticket_id))
