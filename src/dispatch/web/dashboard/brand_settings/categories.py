"""Settings → Brand → Categories: the brand's categories in display order with their
ticket counts; owners and admins create them (the key derived from the name unless given),
edit them (keys never change), reorder them (drag and drop or keyboard) and delete them,
after a confirmation that says how many tickets become uncategorized."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.categories import loading
from dispatch.categories import service as categories
from dispatch.categories.schemas import CategoryChanges, NewCategory
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

router = APIRouter(include_in_schema=False)

NAV = "categories"
BASE = "/brands/{brand_id}/settings/categories"
_FIELD_OF_CODE = {"category_key_taken": "key", "category_name_taken": "name"}


def _listing(screen: Screen, brand_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    brand = context["brand"]
    counts = {s.id: s.ticket_count for s in categories.stats(screen.session, brand)}
    listed = loading.list_categories(screen.session, brand.id)
    return {**context, "categories": [(c, counts.get(c.id, 0)) for c in listed]}


def _one(screen: Screen, brand_id: str, category_id: str, action: str) -> dict[str, Any]:
    """The listing with one of its categories, for a form only managers see."""
    context = managing(screen, brand_id, NAV, action)
    category = loading.get_category(screen.session, context["brand"], category_id)
    counts = {s.id: s.ticket_count for s in categories.stats(screen.session, context["brand"])}
    return {**context, "category": category, "ticket_count": counts.get(category.id, 0)}


def _deleted_notice(request: Request) -> str:
    moved = request.query_params.get("moved", "0")
    if not moved.isdigit() or moved == "0":
        return "; no tickets were in it"
    tickets = "ticket is" if moved == "1" else "tickets are"
    return f"; {moved} {tickets} now uncategorized"


@router.get(BASE)
async def categories_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _listing(screen, brand_id))
    extra = _deleted_notice(request) if "deleted" in request.query_params else ""
    return page(request, "settings/categories.html", notice=notice_of(request, extra), **context)


@router.post(f"{BASE}/reorder")
async def reorder_categories(
    request: Request, brand_id: str, category_ids: Annotated[list[str], Form()]
) -> Response:
    """The order reorder.js sends after a drag or keyboard moves; a refusal comes back as
    the message it shows (and the rows go back)."""

    def work(screen: Screen) -> None:
        brand = screen.brand(brand_id)
        categories.reorder(screen.session, screen.actor, brand, category_ids)

    await run(request, work, write=True)
    return page(request, "_flash.html", notice="Order saved")


@router.post(BASE)
async def create_category(
    request: Request,
    brand_id: str,
    name: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    color: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        data = command(
            NewCategory,
            name=name,
            key=key.strip() or None,
            color=color or None,
            description=description,
        )
        return categories.create_category(screen.session, screen.actor, brand, data).name

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, _FIELD_OF_CODE)
        context = await run(request, lambda screen: _listing(screen, brand_id))
        values = {"name": name, "key": key, "color": color, "description": description}
        context.update(values=values, errors=errors, creating=True)
        return page(request, "settings/categories.html", 422, **context)
    return done(url_of(brand_id, NAV), "created", created)


@router.get(BASE + "/{category_id}/edit")
async def edit_category_form(request: Request, brand_id: str, category_id: str) -> Response:
    context = await run(
        request, lambda screen: _one(screen, brand_id, category_id, "change categories")
    )
    category = context["category"]
    values = {"name": category.name, "color": category.color, "description": category.description}
    return page(request, "settings/category_edit.html", **{**context, "values": values})


@router.post(BASE + "/{category_id}")
async def edit_category(
    request: Request,
    brand_id: str,
    category_id: str,
    name: Annotated[str, Form()] = "",
    color: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        # An empty description clears it (the schema reads blank as none).
        data = command(CategoryChanges, name=name, color=color or None, description=description)
        changed = categories.update_category(screen.session, screen.actor, brand, category_id, data)
        return changed.name

    try:
        saved = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, _FIELD_OF_CODE)
        context = await run(
            request, lambda screen: _one(screen, brand_id, category_id, "change categories")
        )
        values = {"name": name, "color": color, "description": description}
        context.update(values=values, errors=errors)
        return page(request, "settings/category_edit.html", 422, **context)
    return done(url_of(brand_id, NAV), "saved", saved)


@router.get(BASE + "/{category_id}/delete")
async def delete_category_form(request: Request, brand_id: str, category_id: str) -> Response:
    context = await run(
        request, lambda screen: _one(screen, brand_id, category_id, "delete categories")
    )
    return page(request, "settings/category_delete.html", **context)


@router.post(BASE + "/{category_id}/delete")
async def delete_category(request: Request, brand_id: str, category_id: str) -> Response:
    def work(screen: Screen) -> tuple[str, int]:
        brand = screen.brand(brand_id)
        deleted, moved = categories.delete_category(
            screen.session, screen.actor, brand, category_id
        )
        return deleted.name, moved

    name, moved = await run(request, work, write=True)
    return done(url_of(brand_id, NAV), "deleted", name, moved=moved)
