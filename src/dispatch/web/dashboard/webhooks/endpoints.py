"""The brand's webhooks: the list, create (the secret shown once), edit, enable or disable,
rotate the secret, send a test event, delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from dispatch.core.actor import require_settings_manager
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.web.dashboard.webhooks.picker import (
    event_groups,
    events_given,
    events_summary,
    unlisted_patterns,
)
from dispatch.web.dashboard.webhooks.screen import (
    BASE,
    allow_private,
    managing,
    one,
    shell,
    url_of,
)
from dispatch.web.forms import field_errors
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page
from dispatch.webhooks import payloads, service
from dispatch.webhooks.schemas import (
    GRACE_HOURS_DEFAULT,
    GRACE_HOURS_MAX,
    NewWebhook,
    WebhookChanges,
    WebhookOut,
    WebhookWithSecret,
)

router = APIRouter(include_in_schema=False)

# Overlaps offered when rotating a secret (hours the old one keeps signing).
GRACE_CHOICES = ((0, "None: stop at once"), (1, "1 hour"), (24, "24 hours"), (72, "3 days"),
                 (168, "7 days"))  # fmt: skip


# --- The list ------------------------------------------------------------------------------


def _list_notice(request: Request) -> str | None:
    deleted = request.query_params.get("deleted")
    return f"Deleted the webhook to {deleted[:200]}" if deleted else None


@router.get(BASE)
async def list_page(request: Request, brand_id: str) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        context = shell(screen, brand_id)
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
    errors = field_errors(refused.error)
    if errors is None:
        raise refused

    def work(screen: Screen) -> dict[str, Any]:
        if webhook_id is None:
            return {**shell(screen, brand_id), "webhook": None}
        return one(screen, brand_id, webhook_id)

    context = await run(request, work)
    return _form(request, context, values, errors, refused.error)


@router.get(f"{BASE}/new")
async def new_form(request: Request, brand_id: str) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        context = shell(screen, brand_id)  # another's brand is a 404 before any role check
        require_settings_manager(screen.actor, "manage webhooks")
        return {**context, "webhook": None}

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
        context = shell(screen, brand_id)
        require_settings_manager(screen.actor, "manage webhooks")
        data = command(
            NewWebhook, url=url.strip(), events=events_given(events or []), description=description
        )
        created = service.create_webhook(
            screen.session,
            screen.actor,
            context["brand"],
            data,
            allow_private=allow_private(screen),
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
        request, lambda screen: managing(screen, brand_id, webhook_id, "manage webhooks")
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
        brand = screen.brand(brand_id)
        service.get_webhook(screen.session, brand, webhook_id)
        require_settings_manager(screen.actor, "manage webhooks")
        data = command(
            WebhookChanges,
            url=url.strip(),
            events=events_given(events or []),
            description=description,
        )
        service.update_webhook(
            screen.session,
            screen.actor,
            brand,
            webhook_id,
            data,
            allow_private=allow_private(screen),
        )

    try:
        await run(request, work, write=True)
    except WebError as refused:
        return await _refused_form(request, refused, brand_id, webhook_id, values)
    return RedirectResponse(url_of(brand_id, f"/{webhook_id}", done="saved"), status_code=303)


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
            allow_private=allow_private(screen),
        )

    await run(request, work, write=True)
    done = "enabled" if enabled else "disabled"
    return RedirectResponse(url_of(brand_id, f"/{webhook_id}", done=done), status_code=303)


@router.get(BASE + "/{webhook_id}/rotate")
async def rotate_form(request: Request, brand_id: str, webhook_id: str) -> Response:
    context = await run(
        request, lambda screen: managing(screen, brand_id, webhook_id, "manage webhooks")
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
        context = shell(screen, brand_id)
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
    return RedirectResponse(url_of(brand_id, f"/{webhook_id}", done="tested"), status_code=303)


@router.get(BASE + "/{webhook_id}/delete")
async def delete_form(request: Request, brand_id: str, webhook_id: str) -> Response:
    context = await run(
        request, lambda screen: managing(screen, brand_id, webhook_id, "manage webhooks")
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
    return RedirectResponse(url_of(brand_id, deleted=url), status_code=303)
