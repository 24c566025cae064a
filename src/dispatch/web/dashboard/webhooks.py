"""Settings → Brand → Webhooks: the brand's endpoints and, per endpoint, its delivery log.

Owners and admins create (the signing secret is shown once), edit, enable or disable,
rotate the secret (the old one keeps signing for a chosen overlap), send a test event,
delete, retry a delivery and send again every failure since a time. Members see the
same pages without those controls, and the services refuse their posts (403), as they
refuse any actor who does not manage settings.

Every form is a plain POST followed by a redirect that names what happened, except
create and rotate, whose answer is the one page that shows the new secret. The log of
an endpoint refreshes itself (htmx) while a delivery is about to be sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from dispatch.core import clock
from dispatch.core.actor import require_settings_manager
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.core.pagination import DEFAULT_LIMIT
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.security import is_htmx
from dispatch.web.templating import page
from dispatch.webhooks import payloads, service
from dispatch.webhooks.repository import DeliveryFilter
from dispatch.webhooks.schemas import (
    DELIVERY_STATUSES,
    GRACE_HOURS_DEFAULT,
    GRACE_HOURS_MAX,
    DeliveryDetail,
    DeliveryOut,
    NewWebhook,
    WebhookChanges,
    WebhookOut,
    WebhookWithSecret,
)

router = APIRouter(include_in_schema=False)

BASE = "/brands/{brand_id}/settings/webhooks"
# Overlaps offered when rotating a secret (hours the old one keeps signing).
GRACE_CHOICES = ((0, "None: stop at once"), (1, "1 hour"), (24, "24 hours"), (72, "3 days"),
                 (168, "7 days"))  # fmt: skip
# The log refreshes itself while a delivery is due this soon (not for one hours away).
LIVE_WITHIN = timedelta(minutes=1)
RECOVER_DEFAULT_WINDOW = timedelta(hours=24)
# The picker's groups, in this order; an event type belongs to the group of its first word.
GROUPS = (
    ("ticket", "Tickets"),
    ("comment", "Comments"),
    ("attachment", "Attachments"),
    ("customer", "Customers"),
    ("contact", "Contacts"),
    ("company", "Companies"),
    ("status", "Statuses"),
    ("category", "Categories"),
    ("tag", "Tags"),
    ("field", "Custom fields"),
    ("watcher", "Watchers"),
    ("webhook", "Webhooks"),
)


# --- The events picker ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventGroup:
    prefix: str
    label: str
    all_checked: bool
    types: list[tuple[str, bool]]

    @property
    def pattern(self) -> str:
        return f"{self.prefix}.*"


def event_groups(selected: list[str]) -> list[EventGroup]:
    """Every subscribable type under its group, with what `selected` checks. The test
    event is left out: it reaches only the webhook it is sent to, whatever it subscribes."""
    chosen = set(selected)
    groups = []
    for prefix, label in GROUPS:
        types = sorted(
            t
            for t in payloads.EVENT_TYPES
            if t.split(".")[0] == prefix and t != payloads.TEST_EVENT
        )
        whole = f"{prefix}.*" in chosen
        groups.append(EventGroup(prefix, label, whole, [(t, whole or t in chosen) for t in types]))
    return groups


def unlisted_patterns(selected: list[str]) -> list[str]:
    """Patterns the picker has no box for (`ticket.comment.*` set through the API): they
    are shown checked, so saving the form keeps them."""
    boxes = {payloads.ALL, *(f"{p}.*" for p, _ in GROUPS)}
    boxes.update(t for t in payloads.EVENT_TYPES if t != payloads.TEST_EVENT)
    return [p for p in selected if p not in boxes]


def chosen_events(events: list[str]) -> list[str]:
    """The boxes ticked, as few patterns as say the same: "*" alone, or a group's
    `prefix.*` instead of its types (a browser without the script sends both)."""
    if payloads.ALL in events:
        return [payloads.ALL]
    groups = {e[:-1] for e in events if e.endswith(".*")}
    kept = [e for e in events if e.endswith(".*") or not any(e.startswith(g) for g in groups)]
    return list(dict.fromkeys(kept))


def events_summary(events: list[str]) -> str:
    if payloads.ALL in events:
        return "All events"
    return ", ".join(events)


# --- Shared context ------------------------------------------------------------------------


def _url(brand_id: str, tail: str = "", **query: str | int) -> str:
    url = BASE.format(brand_id=brand_id) + tail
    return f"{url}?{urlencode(query)}" if query else url


def _shell(screen: Screen, brand_id: str) -> dict[str, Any]:
    """What every page of this screen shows around its content."""
    brand = screen.brand(brand_id)
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "base": BASE.format(brand_id=brand.id),
        "can_manage": screen.actor.manages_settings,
        "nav": "webhooks",
        "now": clock.now(),
    }


def _one(screen: Screen, brand_id: str, webhook_id: str) -> dict[str, Any]:
    context = _shell(screen, brand_id)
    webhook = service.get_webhook(screen.session, context["brand"], webhook_id)
    return {**context, "webhook": WebhookOut.of(webhook, context["now"])}


def _managing(screen: Screen, brand_id: str, webhook_id: str, action: str) -> dict[str, Any]:
    """`_one` for the form of a change only owners and admins make."""
    require_settings_manager(screen.actor, action)
    return _one(screen, brand_id, webhook_id)


def _allow_private(screen: Screen) -> bool:
    return screen.settings.webhooks_allow_private


def _field_errors(error: DomainError) -> dict[str, str] | None:
    if error.errors:
        return {e["field"]: e["message"] for e in error.errors}
    return None


# --- The list ------------------------------------------------------------------------------


def _list_notice(request: Request) -> str | None:
    deleted = request.query_params.get("deleted")
    return f"Deleted the webhook to {deleted[:200]}" if deleted else None


@router.get(BASE)
async def list_page(request: Request, brand_id: str) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        context = _shell(screen, brand_id)
        listed = service.list_webhooks(screen.session, context["brand"])
        hooks = [WebhookOut.of(w, context["now"]) for w in listed]
        return {**context, "webhooks": hooks, "limit": service.MAX_WEBHOOKS_PER_BRAND}

    context = await run(request, work)
    return page(
        request,
        "webhooks/page.html",
        notice=_list_notice(request),
        summary=events_summary,
        **context,
    )


# --- Create and edit -----------------------------------------------------------------------


def _form(
    request: Request,
    context: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    events = values.get("events") or []
    return page(
        request,
        "webhooks/form.html",
        status_code=422 if error else 200,
        values=values,
        groups=event_groups(events),
        unlisted=unlisted_patterns(events),
        everything=payloads.ALL in events,
        errors=errors or {},
        error=error,
        **context,
    )


async def _refused_form(
    request: Request,
    refused: WebError,
    brand_id: str,
    webhook_id: str | None,
    values: dict[str, Any],
) -> Response:
    """The form again with the refusal by its fields (422); a refusal about something
    else (not allowed, not found, the brand's limit) is shown the usual way."""
    errors = _field_errors(refused.error)
    if errors is None:
        raise refused

    def work(screen: Screen) -> dict[str, Any]:
        if webhook_id is None:
            return {**_shell(screen, brand_id), "webhook": None}
        return _one(screen, brand_id, webhook_id)

    context = await run(request, work)
    return _form(request, context, values, errors, refused.error)


def _events_given(events: list[str]) -> list[str]:
    chosen = chosen_events(events)
    if not chosen:
        raise ValidationFailed("events", "Choose at least one event")
    return chosen


@router.get(f"{BASE}/new")
async def new_form(request: Request, brand_id: str) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        require_settings_manager(screen.actor, "manage webhooks")
        return {**_shell(screen, brand_id), "webhook": None}

    context = await run(request, work)
    return _form(request, context, {"events": []})


@router.post(BASE)
async def create(
    request: Request,
    brand_id: str,
    url: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form()] = "",
) -> Response:
    values = {"url": url, "events": events or [], "description": description}

    def work(screen: Screen) -> dict[str, Any]:
        require_settings_manager(screen.actor, "manage webhooks")
        context = _shell(screen, brand_id)
        data = command(
            NewWebhook, url=url.strip(), events=_events_given(events or []), description=description
        )
        created = service.create_webhook(
            screen.session,
            screen.actor,
            context["brand"],
            data,
            allow_private=_allow_private(screen),
        )
        return {**context, "webhook": WebhookWithSecret.with_secret(created, context["now"])}

    try:
        context = await run(request, work, write=True)
    except WebError as refused:
        return await _refused_form(request, refused, brand_id, None, values)
    return page(request, "webhooks/secret.html", created=True, **context)


@router.get(BASE + "/{webhook_id}/edit")
async def edit_form(request: Request, brand_id: str, webhook_id: str) -> Response:
    context = await run(
        request, lambda screen: _managing(screen, brand_id, webhook_id, "manage webhooks")
    )
    return _form(request, context, context["webhook"].model_dump())


@router.post(BASE + "/{webhook_id}")
async def edit(
    request: Request,
    brand_id: str,
    webhook_id: str,
    url: Annotated[str, Form()] = "",
    events: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form()] = "",
) -> Response:
    values = {"url": url, "events": events or [], "description": description}

    def work(screen: Screen) -> None:
        require_settings_manager(screen.actor, "manage webhooks")
        data = command(
            WebhookChanges,
            url=url.strip(),
            events=_events_given(events or []),
            description=description,
        )
        service.update_webhook(
            screen.session,
            screen.actor,
            screen.brand(brand_id),
            webhook_id,
            data,
            allow_private=_allow_private(screen),
        )

    try:
        await run(request, work, write=True)
    except WebError as refused:
        return await _refused_form(request, refused, brand_id, webhook_id, values)
    return RedirectResponse(_url(brand_id, f"/{webhook_id}", done="saved"), status_code=303)


# --- One webhook: switch, rotate, test, delete --------------------------------------------


@router.post(BASE + "/{webhook_id}/enabled")
async def switch(
    request: Request, brand_id: str, webhook_id: str, enabled: Annotated[bool, Form()]
) -> Response:
    def work(screen: Screen) -> None:
        service.update_webhook(
            screen.session,
            screen.actor,
            screen.brand(brand_id),
            webhook_id,
            WebhookChanges(enabled=enabled),
            allow_private=_allow_private(screen),
        )

    await run(request, work, write=True)
    done = "enabled" if enabled else "disabled"
    return RedirectResponse(_url(brand_id, f"/{webhook_id}", done=done), status_code=303)


@router.get(BASE + "/{webhook_id}/rotate")
async def rotate_form(request: Request, brand_id: str, webhook_id: str) -> Response:
    context = await run(
        request, lambda screen: _managing(screen, brand_id, webhook_id, "manage webhooks")
    )
    return page(
        request,
        "webhooks/rotate.html",
        choices=GRACE_CHOICES,
        default=GRACE_HOURS_DEFAULT,
        **context,
    )


@router.post(BASE + "/{webhook_id}/rotate")
async def rotate(
    request: Request,
    brand_id: str,
    webhook_id: str,
    grace_period_hours: Annotated[int, Form()] = GRACE_HOURS_DEFAULT,
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        if not 0 <= grace_period_hours <= GRACE_HOURS_MAX:
            raise ValidationFailed(
                "grace_period_hours", f"Keep the old secret 0 to {GRACE_HOURS_MAX} hours"
            )
        context = _shell(screen, brand_id)
        rotated = service.rotate_secret(
            screen.session,
            screen.actor,
            context["brand"],
            webhook_id,
            grace_period_hours=grace_period_hours,
        )
        return {**context, "webhook": WebhookWithSecret.with_secret(rotated, context["now"])}

    context = await run(request, work, write=True)
    return page(request, "webhooks/secret.html", created=False, **context)


@router.post(BASE + "/{webhook_id}/test")
async def send_test(request: Request, brand_id: str, webhook_id: str) -> Response:
    def work(screen: Screen) -> None:
        service.send_test(screen.session, screen.actor, screen.brand(brand_id), webhook_id)

    await run(request, work, write=True)
    return RedirectResponse(_url(brand_id, f"/{webhook_id}", done="tested"), status_code=303)


@router.get(BASE + "/{webhook_id}/delete")
async def delete_form(request: Request, brand_id: str, webhook_id: str) -> Response:
    context = await run(
        request, lambda screen: _managing(screen, brand_id, webhook_id, "manage webhooks")
    )
    return page(request, "webhooks/delete.html", **context)


@router.post(BASE + "/{webhook_id}/delete")
async def delete(request: Request, brand_id: str, webhook_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        url = service.get_webhook(screen.session, brand, webhook_id).url
        service.delete_webhook(screen.session, screen.actor, brand, webhook_id)
        return url

    url = await run(request, work, write=True)
    return RedirectResponse(_url(brand_id, deleted=url), status_code=303)


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
        context = _one(screen, brand_id, webhook_id)
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


def _since(value: str) -> datetime:
    """The recover form's time: a `datetime-local` value, in UTC as the page says."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("since", "Give a date and time, such as 2026-01-15 09:00") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@router.post(BASE + "/{webhook_id}/recover")
async def recover(
    request: Request, brand_id: str, webhook_id: str, since: Annotated[str, Form()] = ""
) -> Response:
    def work(screen: Screen) -> tuple[int, datetime]:
        moment = _since(since)
        count = service.recover(
            screen.session, screen.actor, screen.brand(brand_id), webhook_id, since=moment
        )
        return count, moment

    try:
        count, moment = await run(request, work, write=True)
    except WebError as refused:
        errors = _field_errors(refused.error)
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
    shown = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return RedirectResponse(
        _url(brand_id, f"/{webhook_id}", recovered=count, since=shown), status_code=303
    )


# --- One delivery --------------------------------------------------------------------------


@router.get(BASE + "/{webhook_id}/deliveries/{delivery_id}")
async def delivery_page(
    request: Request, brand_id: str, webhook_id: str, delivery_id: str
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        context = _one(screen, brand_id, webhook_id)
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
    target = _url(brand_id, f"/{webhook_id}/deliveries/{delivery_id}", retried=1)
    return RedirectResponse(target, status_code=303)
