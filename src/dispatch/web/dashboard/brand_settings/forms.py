"""Settings → Brand → Web forms: the brand's forms with their submission counts; owners
and admins create them and, on a form's page, change every setting (the field mapping as
editable rows), enable or disable it, regenerate its token and delete it (each after a
confirmation). Every form's page shows the HTML to paste into the brand's own site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from dispatch.web.dashboard.brand_settings.screen import (
    done,
    form_errors,
    managing,
    notice_of,
    shell,
    url_of,
)
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page
from dispatch.webforms import service as webforms
from dispatch.webforms import snippet
from dispatch.webforms.models import FormToken
from dispatch.webforms.schemas import FormChanges, NewForm

router = APIRouter(include_in_schema=False)

NAV = "forms"
BASE = "/brands/{brand_id}/settings/forms"
ONE = BASE + "/{form_id}"
# Rows of the field mapping a page offers beyond those set, to add more without a script.
SPARE_ROWS = 2
TARGETS = ("title", "body", "priority", "customerEmail", "customerName", "customFields.")
OUTCOMES = {"regenerated": "New token for {}: the old URL no longer works"}

Fields = Annotated[list[str], Form()]


def _listing(screen: Screen, brand_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    return {**context, "forms": webforms.list_forms(screen.session, screen.actor, context["brand"])}


def _values(form: FormToken) -> dict[str, Any]:
    return {
        "name": form.name,
        "success_url": form.success_url,
        "error_url": form.error_url,
        "thank_you_message": form.thank_you_message,
        "honeypot_field": form.honeypot_field,
        "allowed_origins": "\n".join(form.allowed_origins),
        "enabled": form.enabled,
        "mapping": list((form.field_mapping or {}).items()),
    }


def _one(screen: Screen, request: Request, brand_id: str, form_id: str) -> dict[str, Any]:
    """A form's page: its settings, counts and the snippet to paste."""
    context = shell(screen, brand_id, NAV)
    form = webforms.get_form(screen.session, screen.actor, context["brand"], form_id)
    base_url = screen.settings.public_url or str(request.base_url)
    url = snippet.public_url(base_url, form)
    files = request.query_params.get("files") == "1"
    return {
        **context,
        "form": form,
        "values": _values(form),
        "public_url": url,
        "with_files": files,
        "snippet": snippet.html_snippet(form, url, attachments=files),
    }


def _mapping(fields: list[str], targets: list[str]) -> dict[str, str] | None:
    """The mapping rows as sent: blank rows skipped, a row missing half kept to be refused."""
    rows = [(f.strip(), t.strip()) for f, t in zip(fields, targets, strict=False)]
    return {f: t for f, t in rows if f or t} or None


@dataclass(frozen=True, slots=True)
class _Posted:
    """What the create and edit pages post: the service's fields, and the origins as typed
    (shown again as typed when refused)."""

    fields: dict[str, Any]
    allowed_origins: str


def _posted(
    name: Annotated[str, Form()] = "",
    success_url: Annotated[str, Form()] = "",
    error_url: Annotated[str, Form()] = "",
    thank_you_message: Annotated[str, Form()] = "",
    honeypot_field: Annotated[str, Form()] = "",
    allowed_origins: Annotated[str, Form()] = "",
    mapping_field: Fields = [],  # noqa: B006 - FastAPI copies defaults
    mapping_target: Fields = [],  # noqa: B006
) -> _Posted:
    fields = {
        "name": name,
        "success_url": success_url or None,
        "error_url": error_url or None,
        "thank_you_message": thank_you_message or None,
        "honeypot_field": honeypot_field or None,
        "allowed_origins": [o for o in allowed_origins.split() if o],
        "field_mapping": _mapping(mapping_field, mapping_target),
    }
    return _Posted(fields, allowed_origins)


def _shown(posted: _Posted, **more: Any) -> dict[str, Any]:
    """The values a refused form shows again, as typed."""
    return {
        **posted.fields,
        "allowed_origins": posted.allowed_origins,
        "mapping": list((posted.fields["field_mapping"] or {}).items()),
        **more,
    }


@router.get(BASE)
async def forms_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _listing(screen, brand_id))
    return page(
        request,
        "settings/forms.html",
        notice=notice_of(request),
        targets=TARGETS,
        spare=SPARE_ROWS,
        **context,
    )


@router.post(BASE)
async def create_form(
    request: Request,
    brand_id: str,
    posted: Annotated[_Posted, Depends(_posted)],
) -> Response:
    fields = posted.fields

    def work(screen: Screen) -> FormToken:
        brand = screen.brand(brand_id)
        return webforms.create_form(screen.session, screen.actor, brand, command(NewForm, **fields))

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused)
        context = await run(request, lambda screen: _listing(screen, brand_id))
        context.update(values=_shown(posted), errors=errors, creating=True)
        return page(
            request, "settings/forms.html", 422, targets=TARGETS, spare=SPARE_ROWS, **context
        )
    return done(url_of(brand_id, NAV, f"/{created.id}"), "created", created.name)


@router.get(ONE)
async def form_page(request: Request, brand_id: str, form_id: str) -> Response:
    context = await run(request, lambda screen: _one(screen, request, brand_id, form_id))
    notice = notice_of(request) or _regenerated(request)
    return page(
        request, "settings/form.html", notice=notice, targets=TARGETS, spare=SPARE_ROWS, **context
    )


def _regenerated(request: Request) -> str | None:
    name = request.query_params.get("regenerated")
    return OUTCOMES["regenerated"].format(name[:100]) if name is not None else None


@router.post(ONE)
async def edit_form(
    request: Request,
    brand_id: str,
    form_id: str,
    posted: Annotated[_Posted, Depends(_posted)],
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    fields = posted.fields

    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        data = command(FormChanges, **fields, enabled=enabled)
        return webforms.update_form(screen.session, screen.actor, brand, form_id, data).name

    try:
        saved = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused)
        context = await run(request, lambda screen: _one(screen, request, brand_id, form_id))
        context.update(values=_shown(posted, enabled=enabled), errors=errors)
        return page(
            request, "settings/form.html", 422, targets=TARGETS, spare=SPARE_ROWS, **context
        )
    return done(url_of(brand_id, NAV, f"/{form_id}"), "saved", saved)


@router.post(ONE + "/enabled")
async def switch_form(
    request: Request, brand_id: str, form_id: str, enabled: Annotated[bool, Form()] = False
) -> Response:
    """The list's Enable / Disable button."""

    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        data = FormChanges(enabled=enabled)
        return webforms.update_form(screen.session, screen.actor, brand, form_id, data).name

    saved = await run(request, work, write=True)
    return done(url_of(brand_id, NAV), "saved", saved)


def _confirming(screen: Screen, brand_id: str, form_id: str, action: str) -> dict[str, Any]:
    context = managing(screen, brand_id, NAV, action)
    return {
        **context,
        "form": webforms.get_form(screen.session, screen.actor, context["brand"], form_id),
    }


@router.get(ONE + "/regenerate")
async def regenerate_form(request: Request, brand_id: str, form_id: str) -> Response:
    context = await run(
        request, lambda screen: _confirming(screen, brand_id, form_id, "regenerate web form tokens")
    )
    return page(request, "settings/form_confirm.html", action="regenerate", **context)


@router.post(ONE + "/regenerate")
async def regenerate_token(request: Request, brand_id: str, form_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        return webforms.regenerate_token(screen.session, screen.actor, brand, form_id).name

    name = await run(request, work, write=True)
    return done(url_of(brand_id, NAV, f"/{form_id}"), "regenerated", name)


@router.get(ONE + "/delete")
async def delete_form_page(request: Request, brand_id: str, form_id: str) -> Response:
    context = await run(
        request, lambda screen: _confirming(screen, brand_id, form_id, "delete web forms")
    )
    return page(request, "settings/form_confirm.html", action="delete", **context)


@router.post(ONE + "/delete")
async def delete_form(request: Request, brand_id: str, form_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        return webforms.delete_form(screen.session, screen.actor, brand, form_id).name

    name = await run(request, work, write=True)
    return done(url_of(brand_id, NAV), "deleted", name)
