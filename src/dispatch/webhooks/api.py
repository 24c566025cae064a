from __future__ import annotations

from typing import Literal

from fastapi import Depends, Path, Query, Request, Response

from dispatch.core import clock
from dispatch.core.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    NEXT_PAGE_LINK_HEADER,
    array_page,
)
from dispatch.core.query import text_filter
from dispatch.core.routing import api_router
from dispatch.settings import Settings
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work
from dispatch.webhooks import payloads, service
from dispatch.webhooks.repository import DeliveryFilter
from dispatch.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    RecoverOut,
    RecoverRequest,
    SecretRotation,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecret,
)

router = api_router(
    prefix="/brands/{brandId}/webhooks", tags=["Webhooks"], dependencies=[Depends(brand_path)]
)
WebhookId = Path(alias="webhookId", max_length=64)
DeliveryId = Path(alias="deliveryId", max_length=64)


def _allow_private(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.webhooks_allow_private


@router.get("", response_model=list[WebhookOut], summary="List the brand's webhooks")
async def list_webhooks(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> list[WebhookOut]:
        now = clock.now()
        return [WebhookOut.of(h, now) for h in service.list_webhooks(w.session, w.brand)]

    return await uow.run(work)


@router.post(
    "",
    response_model=WebhookWithSecret,
    status_code=201,
    summary="Create a webhook (its secret is shown in this answer only)",
    description=(
        "`events` lists event types (`ticket.created`), patterns (`ticket.*`) or `*`. "
        "Without `secret` one is generated (`whsec_` + base64 of 32 bytes, valid for "
        "Standard Webhooks libraries). A given secret is either `whsec_` + base64 of 24 to "
        "64 bytes or 16 to 100 visible ASCII characters (then Standard Webhooks signatures "
        "use its raw bytes). The URL must be http(s) and reach a public address (422 "
        "`webhook_url_blocked` otherwise). At most 20 webhooks per brand (409)."
    ),
)
async def create_webhook(
    body: WebhookCreate, request: Request, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    allow_private = _allow_private(request)
    return await uow.run(
        lambda w: WebhookWithSecret.with_secret(
            service.create_webhook(w.session, w.actor, w.brand, body, allow_private=allow_private),
            clock.now(),
        ),
        status_code=201,
        redact_on_replay=("secret",),
    )


@router.get("/{webhookId}", response_model=WebhookOut, summary="Get a webhook")
async def get_webhook(
    webhook_id: str = WebhookId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: WebhookOut.of(service.get_webhook(w.session, w.brand, webhook_id), clock.now())
    )


@router.patch(
    "/{webhookId}",
    response_model=WebhookOut,
    summary="Change a webhook's url, events, description or enabled",
    description=(
        "Disabling fails the deliveries still waiting. Enabling again clears "
        "`failureCount`, `failingSince` and `disabledReason`."
    ),
)
async def update_webhook(
    body: WebhookUpdate,
    request: Request,
    webhook_id: str = WebhookId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    allow_private = _allow_private(request)
    return await uow.run(
        lambda w: WebhookOut.of(
            service.update_webhook(
                w.session, w.actor, w.brand, webhook_id, body, allow_private=allow_private
            ),
            clock.now(),
        )
    )


@router.delete(
    "/{webhookId}",
    status_code=204,
    summary="Delete a webhook (its waiting deliveries are not sent)",
)
async def delete_webhook(
    webhook_id: str = WebhookId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.delete_webhook(w.session, w.actor, w.brand, webhook_id))


@router.post(
    "/{webhookId}/rotate-secret",
    response_model=WebhookWithSecret,
    summary="Replace the secret (the new one is shown in this answer only)",
    description=(
        "The old secret keeps signing beside the new one for `gracePeriodHours` (default "
        "24, at most 168, 0 to stop at once): `webhook-signature` carries both `v1,` "
        "signatures and `X-Dispatch-Signature-Previous` the old secret's."
    ),
)
async def rotate_secret(
    body: SecretRotation | None = None,
    webhook_id: str = WebhookId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    rotation = body or SecretRotation()
    return await uow.run(
        lambda w: WebhookWithSecret.with_secret(
            service.rotate_secret(
                w.session,
                w.actor,
                w.brand,
                webhook_id,
                grace_period_hours=rotation.grace_period_hours,
            ),
            clock.now(),
        ),
        redact_on_replay=("secret",),
    )


@router.post(
    "/{webhookId}/test",
    status_code=202,
    summary="Send a test event to this webhook",
    description=(
        "Writes a `webhook.test` event that is delivered to this webhook only, and answers "
        "with the body the endpoint will receive. Watch it arrive in the delivery log."
    ),
)
async def send_test(
    webhook_id: str = WebhookId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> Response:
        event = service.send_test(w.session, w.actor, w.brand, webhook_id)
        return Response(payloads.render(event), 202, media_type="application/json")

    return await uow.run(work, status_code=202)


@router.post(
    "/{webhookId}/recover",
    response_model=RecoverOut,
    summary="Send again every failed delivery since a time",
)
async def recover(
    body: RecoverRequest, webhook_id: str = WebhookId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: RecoverOut(
            count=service.recover(w.session, w.actor, w.brand, webhook_id, since=body.since)
        )
    )


@router.get(
    "/{webhookId}/deliveries",
    response_model=list[DeliveryOut],
    summary="The webhook's deliveries, newest first",
    description=(
        "A plain array, as the reference API answers. `limit` and `cursor` page it: while "
        "more follow, the `Link` header names the next page (the same query with the next "
        "`cursor`); the last page has none."
    ),
    responses={200: {"headers": NEXT_PAGE_LINK_HEADER}},
)
async def list_deliveries(
    request: Request,
    webhook_id: str = WebhookId,
    status: Literal["PENDING", "RETRYING", "SUCCESS", "FAILED"] | None = Query(None),
    event: str | None = Query(None, max_length=64),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    f = DeliveryFilter(status=status, event_type=text_filter(event))

    def work(w: Work) -> Response:
        rows, next_cursor = service.list_deliveries(
            w.session, w.brand, webhook_id, f, cursor=cursor, limit=limit
        )
        return array_page(request.url, [DeliveryOut.of(d) for d in rows], next_cursor)

    return await uow.run(work)


@router.get(
    "/{webhookId}/deliveries/{deliveryId}",
    response_model=DeliveryDetail,
    summary="One delivery with every attempt",
)
async def get_delivery(
    webhook_id: str = WebhookId,
    delivery_id: str = DeliveryId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    def work(w: Work) -> DeliveryDetail:
        delivery, attempts = service.get_delivery(w.session, w.brand, webhook_id, delivery_id)
        return DeliveryDetail.with_attempts(delivery, attempts)

    return await uow.run(work)


@router.post(
    "/{webhookId}/deliveries/{deliveryId}/retry",
    response_model=DeliveryOut,
    summary="Send a delivery now (same body, same webhook-id)",
    description=(
        "A finished delivery gets one more attempt; one waiting for its next scheduled "
        "attempt has it brought forward to now, and its retry schedule goes on from there. "
        "409 `delivery_pending` while an attempt is in flight."
    ),
)
async def retry_delivery(
    webhook_id: str = WebhookId,
    delivery_id: str = DeliveryId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: DeliveryOut.of(
            service.retry_delivery(w.session, w.actor, w.brand, webhook_id, delivery_id)
        )
    )
