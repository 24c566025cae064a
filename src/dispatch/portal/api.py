"""The portal API (§3.22 of the reference): what a brand's backend calls with its API key
(`/brands/{brandId}/portal/...`: mint a customer's token, email a magic link, rotate the
portal secret), and what a customer's app calls with a portal token (`/portal/...`).

Portal requests run in the API's unit of work with their own credential check
(`authenticate_portal_token`): the token's customer is the actor (channel `portal`), the
request counts against that customer's rate limit, and a browser's `Origin` must be one
of the token's brand's portal origins (`cors.check_origin`; CORS in `cors.py`)."""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dispatch.attachments.api import current_config, links_for
from dispatch.attachments.config import AttachmentConfig
from dispatch.brands.models import Brand
from dispatch.core import ratelimit, transaction
from dispatch.core.actor import Actor
from dispatch.core.pagination import Page
from dispatch.core.routing import api_router
from dispatch.core.schemas import SuccessOut
from dispatch.portal import cors, service, tokens
from dispatch.portal.errors import InvalidPortalToken
from dispatch.portal.schemas import (
    PORTAL_LIMIT_DEFAULT,
    PORTAL_LIMIT_MAX,
    MagicLinkRequest,
    PortalAttachment,
    PortalAttachmentWithUrl,
    PortalCommentCreate,
    PortalCommentOut,
    PortalTicket,
    PortalTicketCreate,
    PortalTicketDetail,
    PortalTokenRequest,
    PortalTokenResponse,
    PortalUploadRequest,
    PortalUploadStarted,
    VerifyRequest,
)
from dispatch.settings import Settings
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, open_unit, unit_of_work

router = api_router(tags=["Portal"])

TicketId = Path(alias="ticketId", max_length=64)
AttachmentId = Path(alias="attachmentId", max_length=64)
BRAND = [Depends(brand_path)]
portal_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PortalToken",
    description="Portal token: `Authorization: Bearer <token>` from /brands/{brandId}/portal/token "
    "or /portal/verify",
)


def authenticate_portal_token(
    request: Request, session: Session, secret: str | None, _brand_id: str | None
) -> tuple[Actor, Brand | None]:
    """The unit of work's credential check for `/portal/*`: the token's customer, counted
    against their own rate limit (a bad token against the client address)."""
    pending = ratelimit.pending_for(request)
    try:
        actor, brand = tokens.authenticate(session, secret or "")
    except InvalidPortalToken:
        if pending is not None:
            pending.count_address()
        raise
    if pending is not None:
        pending.count_key(f"portal:{actor.contact_id}")
    cors.check_origin(request, brand)
    request.state.actor = actor
    return actor, brand


async def portal_unit_of_work(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(portal_bearer)
) -> UnitOfWork:
    secret = credentials.credentials.strip() if credentials is not None else ""
    if not secret:
        raise InvalidPortalToken()
    return await open_unit(request, secret, authenticate=authenticate_portal_token)


def _own_origin(request: Request) -> str:
    """Where clients reach Dispatch: the configured public URL, else this request's."""
    settings: Settings = request.app.state.settings
    return settings.public_url or str(request.base_url)


# --- the brand's backend, with its API key -------------------------------------------------


@router.post(
    "/brands/{brandId}/portal/token",
    dependencies=BRAND,
    response_model=PortalTokenResponse,
    summary="Mint a portal token for a customer (finds or creates the contact and company)",
    description=(
        "For a backend that already knows its user: the brand's contact with `email` (found "
        "or created, with `name`; joined to the company its email domain names, else to "
        "`companyName`, found by name or created; `sourceOrgId` kept in its metadata) and "
        "a portal token for them, valid one hour. Hand the token to the customer's app, "
        "or proxy portal calls with it."
    ),
)
async def mint_token(body: PortalTokenRequest, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: service.mint_token(
            w.session,
            w.actor,
            w.brand,
            body.email,
            body.name,
            body.company_name,
            body.source_org_id,
        )
    )


@router.post(
    "/brands/{brandId}/portal/magic-link",
    dependencies=BRAND,
    response_model=SuccessOut,
    summary="Email a customer a single-use sign-in link to your portal",
    description=(
        "Emails `portalUrl?token=…` (valid 15 minutes, once) from the brand; your portal "
        "exchanges the token at `POST /portal/verify`. Always `{success: true}`, whether or "
        "not the address is known (and, quietly, nothing past 5 links an address an hour). "
        "`portalUrl` must be on one of the brand's `portalOrigins` or be the brand's hosted "
        "portal (`/support/<slug>`): a 422 `portal_url_not_allowed` otherwise, so a leaked "
        "API key cannot send customers a link to a site of its choosing."
    ),
)
async def magic_link(
    body: MagicLinkRequest, request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    settings: Settings = request.app.state.settings
    own_origin = _own_origin(request)

    def work(w: Work) -> SuccessOut:
        service.send_magic_link(
            w.session, settings, w.brand, body.email, str(body.portal_url), own_origin=own_origin
        )
        return SuccessOut()

    return await uow.run(work)


@router.post(
    "/brands/{brandId}/portal/rotate-secret",
    dependencies=BRAND,
    response_model=SuccessOut,
    summary="Rotate the portal secret: every portal token and portal session ends",
)
async def rotate_secret(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> SuccessOut:
        service.rotate_secret(w.session, w.actor, w.brand)
        return SuccessOut()

    return await uow.run(work)


# --- the customer's app, with a portal token ------------------------------------------------


@router.post(
    "/portal/verify",
    response_model=PortalTokenResponse,
    summary="Exchange a magic link's token for a portal token (no other credential)",
    description=(
        "Single use: a used, expired or unknown token is a 401 `invalid_token`. A browser "
        "calling from an origin the brand does not list is refused and the link stays usable."
    ),
)
async def verify(body: VerifyRequest, request: Request) -> PortalTokenResponse:
    def work(session: Session) -> PortalTokenResponse:
        return service.verify_magic_link(
            session, body.token, check=lambda brand: cors.check_origin(request, brand)
        )

    database = request.app.state.database
    result: PortalTokenResponse = await run_in_threadpool(transaction.run, database, work)
    return result


@router.post(
    "/portal/refresh",
    response_model=PortalTokenResponse,
    summary="A new portal token for the same customer (call before the hour is up)",
)
async def refresh(uow: UnitOfWork = Depends(portal_unit_of_work)) -> Response:
    return await uow.run(lambda w: service.refresh(w.session, w.actor))


@router.get(
    "/portal/tickets",
    response_model=Page[PortalTicket],
    summary="The customer's tickets (cursor pagination)",
    description=(
        "Only the token's customer's tickets of the brand, never spam. `status` takes a "
        "status key, several comma-separated, `active` (open tab) or `inactive` (closed)."
    ),
)
async def list_tickets(
    status: str | None = Query(None, max_length=500),
    sort: Literal["createdAt", "updatedAt"] = Query("createdAt"),
    order: Literal["asc", "desc"] = Query("desc"),
    limit: int = Query(PORTAL_LIMIT_DEFAULT, ge=1, le=PORTAL_LIMIT_MAX),
    cursor: str | None = Query(None, max_length=1000),
    uow: UnitOfWork = Depends(portal_unit_of_work),
) -> Response:
    def work(w: Work) -> Page[PortalTicket]:
        items, next_cursor = service.list_tickets(
            w.session,
            w.actor,
            status=status or None,
            sort=sort,
            order=order,
            limit=limit,
            cursor=cursor or None,
        )
        return Page[PortalTicket].build(items, next_cursor)

    return await uow.run(work)


@router.post(
    "/portal/tickets",
    response_model=PortalTicket,
    status_code=201,
    summary="Open a ticket as the customer (X-Idempotency-Key makes retries safe)",
)
async def create_ticket(
    body: PortalTicketCreate, uow: UnitOfWork = Depends(portal_unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.create_ticket(
            w.session,
            w.actor,
            body.title,
            body.body,
            body.attachment_ids or (),
            body.category_id,
            body.custom_fields,
        ),
        status_code=201,
    )


@router.post(
    "/portal/tickets/attachments/pending",
    response_model=PortalUploadStarted,
    status_code=201,
    summary="Start an upload for a ticket or reply not written yet (at most 50 MB)",
    description=(
        "PUT the bytes to `uploadUrl` with the declared Content-Type, confirm, then pass "
        "the id in `attachmentIds`. Over the limit: 413 `attachment_too_large`."
    ),
)
async def start_pending_upload(
    body: PortalUploadRequest,
    request: Request,
    uow: UnitOfWork = Depends(portal_unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(
        lambda w: service.start_pending_upload(w.session, w.actor, body, links), status_code=201
    )


@router.post(
    "/portal/tickets/attachments/pending/{attachmentId}/confirm",
    response_model=PortalAttachment,
    summary="Confirm a pending upload (its bytes are checked)",
)
async def confirm_pending_upload(
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(portal_unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    return await uow.run(
        lambda w: service.confirm_pending_upload(w.session, w.actor, attachment_id, config)
    )


@router.get(
    "/portal/tickets/{ticketId}",
    response_model=PortalTicketDetail,
    summary="A ticket with its public conversation (staff shown as STAFF)",
)
async def get_ticket(
    ticket_id: str = TicketId, uow: UnitOfWork = Depends(portal_unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.get_ticket(w.session, w.actor, ticket_id))


@router.post(
    "/portal/tickets/{ticketId}/comments",
    response_model=PortalCommentOut,
    status_code=201,
    summary="Reply as the customer (reopens a pending, resolved or closed ticket)",
)
async def add_comment(
    body: PortalCommentCreate,
    ticket_id: str = TicketId,
    uow: UnitOfWork = Depends(portal_unit_of_work),
) -> Response:
    def work(w: Work) -> PortalCommentOut:
        result = service.add_comment(
            w.session, w.actor, ticket_id, body.body, body.attachment_ids or ()
        )
        return PortalCommentOut(**result.comment.model_dump(), reopened=result.reopened)

    return await uow.run(work, status_code=201)


@router.post(
    "/portal/tickets/{ticketId}/attachments",
    response_model=PortalUploadStarted,
    status_code=201,
    summary="Start an upload on the customer's ticket (at most 50 MB)",
)
async def start_upload(
    body: PortalUploadRequest,
    request: Request,
    ticket_id: str = TicketId,
    uow: UnitOfWork = Depends(portal_unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(
        lambda w: service.start_upload(w.session, w.actor, ticket_id, body, links),
        status_code=201,
    )


@router.post(
    "/portal/tickets/{ticketId}/attachments/{attachmentId}/confirm",
    response_model=PortalAttachment,
    summary="Confirm an upload on the ticket (its bytes are checked)",
)
async def confirm_upload(
    ticket_id: str = TicketId,
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(portal_unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    return await uow.run(
        lambda w: service.confirm_upload(w.session, w.actor, ticket_id, attachment_id, config)
    )


@router.get(
    "/portal/tickets/{ticketId}/attachments",
    response_model=list[PortalAttachment],
    summary="The ticket's files the customer sees",
)
async def list_attachments(
    ticket_id: str = TicketId, uow: UnitOfWork = Depends(portal_unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.list_attachments(w.session, w.actor, ticket_id))


@router.get(
    "/portal/tickets/{ticketId}/attachments/{attachmentId}",
    response_model=PortalAttachmentWithUrl,
    summary="An attachment with a signed download URL",
)
async def get_attachment(
    request: Request,
    ticket_id: str = TicketId,
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(portal_unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(
        lambda w: service.get_attachment(w.session, w.actor, ticket_id, attachment_id, links)
    )
