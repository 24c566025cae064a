"""Account → Brands: every brand the member reaches, creating one (owners and admins),
and deleting one: a page shows what goes with it (tickets, contacts, companies,
webhooks, categories, tags, custom statuses) and asks for the brand's name, typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.brands import service as brands
from dispatch.brands.schemas import NewBrand
from dispatch.core.actor import require_settings_manager
from dispatch.core.errors import ValidationFailed
from dispatch.web.dashboard.account.shell import account_shell
from dispatch.web.forms import field_errors
from dispatch.web.listing import QUERY_MAX, redirect_to
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

BASE = "/account/brands"
_FIELDS = {"ticketPrefix": "ticket_prefix", "ticket_prefix": "ticket_prefix", "slug": "slug"}


def _brands(screen: Screen, **extra: Any) -> dict[str, Any]:
    return {
        **account_shell(screen, "account-brands"),
        "can_manage": screen.actor.manages_settings,
        "values": {},
        "errors": {},
        **extra,
    }


def _notice(request: Request) -> str | None:
    query = request.query_params
    if deleted := query.get("deleted", "")[:QUERY_MAX]:
        return f"Deleted {deleted}"
    if created := query.get("created", "")[:QUERY_MAX]:
        return f"Created {created}, with the four system statuses"
    return None


@router.get(BASE)
async def brands_page(request: Request) -> Response:
    context = await run(request, _brands)
    return page(request, "account/brands.html", notice=_notice(request), **context)


@router.post(BASE)
async def create(
    request: Request,
    name: Annotated[str, Form()] = "",
    ticket_prefix: Annotated[str, Form()] = "",
) -> Response:
    values = {"name": name, "ticket_prefix": ticket_prefix}

    def work(screen: Screen) -> str:
        prefix = {"ticket_prefix": ticket_prefix.strip()} if ticket_prefix.strip() else {}
        data = command(NewBrand, name=name.strip(), **prefix)
        return brands.create_brand(screen.session, screen.actor, data).name

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = field_errors(refused.error, by_code={"slug_taken": "name"})
        if errors is None:
            raise
        shown = {_FIELDS.get(f, "name"): message for f, message in errors.items()}
        context = await run(request, lambda s: _brands(s, values=values, errors=shown))
        return page(request, "account/brands.html", status_code=422, **context)
    return redirect_to(BASE, created=created)


def _deleting(screen: Screen, brand_id: str, **extra: Any) -> dict[str, Any]:
    brand = screen.brand(brand_id)
    require_settings_manager(screen.actor, "delete brands")
    return {
        **account_shell(screen, "account-brands"),
        "doomed": brand,
        "preview": brands.preview_delete(screen.session, brand),
        "errors": {},
        **extra,
    }


@router.get(BASE + "/{brand_id}/delete")
async def delete_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda s: _deleting(s, brand_id))
    return page(request, "account/brand_delete.html", **context)


@router.post(BASE + "/{brand_id}/delete")
async def delete(
    request: Request, brand_id: str, confirm_name: Annotated[str, Form()] = ""
) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        if confirm_name.strip() != brand.name:
            raise ValidationFailed("confirm_name", f"Type {brand.name} exactly to delete it")
        brands.delete_brand(screen.session, screen.actor, brand)
        return brand.name

    try:
        deleted = await run(request, work, write=True)
    except WebError as refused:
        errors = field_errors(refused.error)
        if errors is None:
            raise
        context = await run(request, lambda s: _deleting(s, brand_id, errors=errors))
        return page(request, "account/brand_delete.html", status_code=422, **context)
    return redirect_to(BASE, deleted=deleted)
