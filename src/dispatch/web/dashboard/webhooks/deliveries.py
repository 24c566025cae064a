"""One webhook's page and its delivery log (filtered, paged with the service's cursor,
refreshed while a delivery is about to be sent), a delivery's detail, "Retry now" and
"Recover failed since…"."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from dispatch.analytics.periods import zone
from dispatch.core.errors import ValidationFailed
from dispatch.core.pagination import DEFAULT_LIMIT
from dispatch.web.dashboard.webhooks.picker import events_summary
from dispatch.web.dashboard.webhooks.screen import (
    BASE,
    LIVE_WITHIN,
    one,
    url_of,
)
from dispatch.web.forms import field_errors
from dispatch.web.runner import Screen, WebError, run
from dispatch.web.security import is_htmx
from dispatch.web.templating import page
from dispatch.webhooks import payloads, service
from dispatch.webhooks.repository import DeliveryFilter
from dispatch.webhooks.schemas import DELIVERY_STATUSES, DeliveryDetail, DeliveryOut

router = APIRouter(include_in_schema=False)

RECOVER_DEFAULT_WINDOW = timedelta(hours=24)

# --- The delivery log ----------------------------------------------------------------------

_DONE = {
    "saved": "Saved",
    "enabled": "Enabled: new events are delivered again",
    "disabled": "Disabled: nothing is sent until you enable it again",
    "tested": "Test event queued: it shows in the log below within moments",
}


def _webhook_notice(request: Request) -> str | None:
    query = request.query_params
    if query.get("done") in _DONE:
        return _DONE[query["done"]]
    if query.get("recovered", "").isdigit():
        count = int(query["recovered"])
        since = query.get("since", "")[:40]
        if count == 0:
            return f"No failed deliveries since {since}: nothing to send again"
        plural = "delivery" if count == 1 else "deliveries"
        return f"{count} failed {plural} since {since} queued to send again"
    return None


def _log(
    screen: Screen, context: dict[str, Any], webhook_id: str, status: str | None, cursor: str | None
) -> dict[str, Any]:
    rows, next_cursor = service.list_deliveries(
        screen.session,
        context["brand"],
        webhook_id,
        DeliveryFilter(status=status),
        cursor=cursor,
        limit=DEFAULT_LIMIT,
    )
    deliveries = [DeliveryOut.of(d) for d in rows]
    soon = context["now"] + LIVE_WITHIN
    live = cursor is None and any(
        d.next_attempt_at is not None and d.next_attempt_at <= soon for d in deliveries
    )
    return {
        "deliveries": deliveries,
        "next_cursor": next_cursor,
        "cursor": cursor,
        "status_filter": status,
        "statuses": DELIVERY_STATUSES,
        "live": live,
    }


async def _webhook_page(
    request: Request,
    brand_id: str,
    webhook_id: str,
    status: str | None = None,
    cursor: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    status = status if status in DELIVERY_STATUSES else None

    def work(screen: Screen) -> dict[str, Any]:
        context = one(screen, brand_id, webhook_id)
        return {**context, **_log(screen, context, webhook_id, status, cursor)}

    context = await run(request, work)
    if is_htmx(request):
        return page(request, "webhooks/_log.html", **context)
    since = context["now"] - RECOVER_DEFAULT_WINDOW
    extra.setdefault("recover_since", since.strftime("%Y-%m-%dT%H:%M"))
    return page(
        request,
        "webhooks/webhook.html",
        status_code=status_code,
        notice=_webhook_notice(request),
        summary=events_summary,
        **extra,
        **context,
    )


@router.get(BASE + "/{webhook_id}")
async def webhook_page(
    request: Request,
    brand_id: str,
    webhook_id: str,
    status: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    return await _webhook_page(request, brand_id, webhook_id, status, cursor)


def _since(value: str, timezone: str) -> datetime:
    """The recover form's time: a `datetime-local` value in the member's time zone (the
    page sends the browser's; UTC without script)."""
    tz = zone(timezone or "UTC")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("since", "Give a date and time, such as 2026-01-15 09:00") from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


@router.post(BASE + "/{webhook_id}/recover")
async def recover(
    request: Request,
    brand_id: str,
    webhook_id: str,
    since: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
) -> Response:
    def work(screen: Screen) -> tuple[int, datetime]:
        moment = _since(since, timezone)
        count = service.recover(
            screen.session, screen.actor, screen.brand(brand_id), webhook_id, since=moment
        )
        return count, moment

    try:
        count, moment = await run(request, work, write=True)
    except WebError as refused:
        errors = field_errors(refused.error)
        if errors is None:
            raise
        # The page again, the time as typed and the complaint beside it.
        return await _webhook_page(
            request,
            brand_id,
            webhook_id,
            status_code=422,
            recover_since=since[:40],
            recover_error=errors.get("since", refused.error.message),
        )
    shown = moment.strftime("%Y-%m-%d %H:%M ") + (timezone or "UTC")
    return RedirectResponse(
        url_of(brand_id, f"/{webhook_id}", recovered=count, since=shown), status_code=303
    )


# --- One delivery --------------------------------------------------------------------------


@router.get(BASE + "/{webhook_id}/deliveries/{delivery_id}")
async def delivery_page(
    request: Request, brand_id: str, webhook_id: str, delivery_id: str
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        context = one(screen, brand_id, webhook_id)
        delivery, attempts = service.get_delivery(
            screen.session, context["brand"], webhook_id, delivery_id
        )
        return {**context, "delivery": DeliveryDetail.with_attempts(delivery, attempts)}

    context = await run(request, work)
    delivery: DeliveryDetail = context["delivery"]
    due = delivery.next_attempt_at
    context.update(
        # Refreshed (htmx) while its next attempt is moments away, as the log is.
        live=due is not None and due <= context["now"] + LIVE_WITHIN,
        request_headers=payloads.request_headers(delivery.event, delivery.id),
        body=json.dumps(delivery.payload, indent=2, ensure_ascii=False),
    )
    if is_htmx(request):
        return page(request, "webhooks/_delivery.html", **context)
    retried = request.query_params.get("retried") == "1"
    notice = "Sending now: the attempt shows here within moments" if retried else None
    return page(request, "webhooks/delivery.html", notice=notice, **context)


@router.post(BASE + "/{webhook_id}/deliveries/{delivery_id}/retry")
async def retry(request: Request, brand_id: str, webhook_id: str, delivery_id: str) -> Response:
    def work(screen: Screen) -> None:
        service.retry_delivery(
            screen.session, screen.actor, screen.brand(brand_id), webhook_id, delivery_id
        )

    await run(request, work, write=True)
    target = url_of(brand_id, f"/{webhook_id}/deliveries/{delivery_id}", retried=1)
    return RedirectResponse(target, status_code=303)
