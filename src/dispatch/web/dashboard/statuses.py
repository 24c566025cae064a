"""Settings → Brand → Statuses: the brand's statuses in display order with their ticket
counts; owners and admins create, edit, reorder (drag and drop or keyboard) and delete
custom ones with a replacement. Members see the list read-only.

Every form works without JavaScript (POST, then a redirect to the list). With htmx the
forms open in a dialog, come back with their field errors (422) and, once saved, swap
the list in place."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from dispatch.core.actor import require_settings_manager
from dispatch.core.errors import NotFound
from dispatch.statuses import service as statuses
from dispatch.statuses.rules import DEFAULT_COLOR
from dispatch.statuses.schemas import NewStatus, StatusChanges, StatusStats
from dispatch.web.forms import field_errors
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.security import is_htmx
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

BASE = "/brands/{brand_id}/settings/statuses"
# Offered beside the color picker: the seed's system colors and a few distinct hues.
PALETTE = (
    ("Blue", "#3b82f6"),
    ("Purple", "#8b5cf6"),
    ("Pink", "#ec4899"),
    ("Red", "#ef4444"),
    ("Orange", "#f97316"),
    ("Amber", "#f59e0b"),
    ("Green", "#22c55e"),
    ("Teal", "#14b8a6"),
    ("Cyan", "#06b6d4"),
    ("Gray", "#6b7280"),
)
# Refusals that carry no `errors` but are about one field of the form.
_FIELD_OF_CODE = {"status_key_taken": "key", "status_name_taken": "name"}


def _list_url(brand_id: str, **notice: str | int) -> str:
    url = BASE.format(brand_id=brand_id)
    return f"{url}?{urlencode(notice)}" if notice else url


def _find(listed: list[StatusStats], status_id: str) -> StatusStats:
    found = next((s for s in listed if s.id == status_id), None)
    if found is None:
        raise NotFound("status", status_id)
    return found


def _listing(screen: Screen, brand_id: str) -> dict[str, Any]:
    """What every template of this screen needs: the shell, the brand and its statuses
    in display order with their counts (the stats service reads counters, not tickets)."""
    brand = screen.brand(brand_id)
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "base": BASE.format(brand_id=brand.id),
        "statuses": statuses.stats(screen.session, brand),
        "can_manage": screen.actor.manages_settings,
        "palette": PALETTE,
        "nav": "statuses",
    }


def _notice(request: Request, listed: list[StatusStats]) -> str | None:
    """The outcome of a form posted without JavaScript, carried by the redirect."""
    query = request.query_params
    names = {s.id: s.name for s in listed}
    if query.get("created") in names:
        return f"Created {names[query['created']]}"
    if query.get("saved") in names:
        return f"Saved {names[query['saved']]}"
    if query.get("deleted") and query.get("moved", "").isdigit():
        replacement = names.get(query.get("to", ""), "")
        return _deleted_notice(query["deleted"][:100], int(query["moved"]), replacement)
    return None


def _deleted_notice(name: str, moved: int, replacement: str) -> str:
    if moved == 0:
        return f"Deleted {name}; no tickets used it"
    tickets = "ticket" if moved == 1 else "tickets"
    return f"Deleted {name}; {moved} {tickets} moved to {replacement}"


def _saved(request: Request, context: dict[str, Any], notice: str, **query: str | int) -> Response:
    """After a change: htmx gets the refreshed list (and closes its dialog), a plain
    form a redirect to the list that names what happened."""
    if is_htmx(request):
        response = page(request, "statuses/_list.html", notice=notice, **context)
        response.headers["HX-Retarget"] = "#statuses"
        response.headers["HX-Reswap"] = "outerHTML"
        # After the settle, so the dialog hands focus back to the swapped-in row.
        response.headers["HX-Trigger-After-Settle"] = "statuses-saved"
        return response
    return RedirectResponse(_list_url(context["brand"].id, **query), status_code=303)


def _form_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A form alone for htmx (it fills the dialog), or inside the full page without it."""
    partial = f"statuses/_{template}.html"
    whole = "statuses/form.html"
    if is_htmx(request):
        return page(request, partial, status_code=status_code, **context)
    return page(request, whole, status_code=status_code, partial=partial, **context)


async def _refused_form(
    request: Request,
    refused: WebError,
    brand_id: str,
    template: str,
    status_id: str | None = None,
    **form: Any,
) -> Response:
    """Show the form again with the refusal by its fields (422); a refusal about
    something else (not allowed, not found) is shown the usual way."""
    errors = field_errors(refused.error, by_code=_FIELD_OF_CODE)
    if errors is None:
        raise refused

    def work(screen: Screen) -> dict[str, Any]:
        context = _listing(screen, brand_id)
        status = _find(context["statuses"], status_id) if status_id else None
        return {**context, "status": status}

    context = await run(request, work)
    return _form_page(request, template, 422, errors=errors, error=refused.error, **form, **context)


@router.get(BASE)
async def list_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _listing(screen, brand_id))
    notice = _notice(request, context["statuses"])
    return page(request, "statuses/page.html", notice=notice, **context)


@router.post(f"{BASE}/reorder")
async def reorder(
    request: Request, brand_id: str, status_ids: Annotated[list[str], Form()]
) -> Response:
    """The order the script sends after a drag or keyboard moves. A refused order comes
    back as the refusal (the script puts the rows back)."""

    def work(screen: Screen) -> None:
        statuses.reorder(screen.session, screen.actor, screen.brand(brand_id), status_ids)

    await run(request, work, write=True)
    return page(request, "_flash.html", notice="Order saved")


@router.get(f"{BASE}/new")
async def new_form(request: Request, brand_id: str) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        context = _listing(screen, brand_id)  # a brand outside the member's reach: 404
        require_settings_manager(screen.actor, "create statuses")
        return context

    context = await run(request, work)
    return _form_page(request, "form", status=None, values={}, errors={}, **context)


@router.post(BASE)
async def create(
    request: Request,
    brand_id: str,
    name: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    color: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    values = {"name": name, "key": key, "color": color, "description": description}

    def work(screen: Screen) -> tuple[dict[str, Any], StatusStats]:
        brand = screen.brand(brand_id)
        data = command(
            NewStatus,
            name=name,
            key=key,
            color=color or DEFAULT_COLOR,
            description=description.strip() or None,
        )
        created = statuses.create_status(screen.session, screen.actor, brand, data)
        context = _listing(screen, brand_id)
        return context, _find(context["statuses"], created.id)

    try:
        context, created = await run(request, work, write=True)
    except WebError as refused:
        return await _refused_form(request, refused, brand_id, "form", values=values)
    return _saved(request, context, f"Created {created.name}", created=created.id)


async def _one_status(
    request: Request, brand_id: str, status_id: str, action: str
) -> dict[str, Any]:
    """The listing's context with one of its statuses, for a settings manager's form."""

    def work(screen: Screen) -> dict[str, Any]:
        # The brand and the status first: one outside the member's reach is a 404.
        context = _listing(screen, brand_id)
        status = _find(context["statuses"], status_id)
        require_settings_manager(screen.actor, action)
        return {**context, "status": status}

    return await run(request, work)


@router.get(BASE + "/{status_id}/edit")
async def edit_form(request: Request, brand_id: str, status_id: str) -> Response:
    context = await _one_status(request, brand_id, status_id, "change statuses")
    values = context["status"].model_dump()
    return _form_page(request, "form", values=values, errors={}, **context)


@router.post(BASE + "/{status_id}")
async def edit(
    request: Request,
    brand_id: str,
    status_id: str,
    name: Annotated[str, Form()] = "",
    color: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        brand = screen.brand(brand_id)
        # An empty color restores the status's default (the service's rule for null).
        changes = {"name": name, "color": color or None, "description": description.strip()}
        data = command(StatusChanges, **{**changes, "description": changes["description"] or None})
        statuses.update_status(screen.session, screen.actor, brand, status_id, data)
        return _listing(screen, brand_id)

    try:
        context = await run(request, work, write=True)
    except WebError as refused:
        values = {"name": name, "color": color, "description": description}
        return await _refused_form(request, refused, brand_id, "form", status_id, values=values)
    saved = _find(context["statuses"], status_id)
    return _saved(request, context, f"Saved {saved.name}", saved=saved.id)


@router.get(BASE + "/{status_id}/delete")
async def delete_form(request: Request, brand_id: str, status_id: str) -> Response:
    context = await _one_status(request, brand_id, status_id, "delete statuses")
    return _form_page(request, "delete", errors={}, **context)


@router.post(BASE + "/{status_id}/delete")
async def delete(
    request: Request,
    brand_id: str,
    status_id: str,
    replacement_id: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> tuple[dict[str, Any], str, dict[str, str | int]]:
        brand = screen.brand(brand_id)
        deleted, replacement, moved = statuses.delete_status(
            screen.session,
            screen.actor,
            brand,
            status_id,
            replacement_id=replacement_id or None,
            replacement_key=None,
        )
        notice = _deleted_notice(deleted.name, moved, replacement.name if replacement else "")
        query: dict[str, str | int] = {
            "deleted": deleted.name,
            "moved": moved,
            "to": replacement_id,
        }
        return _listing(screen, brand_id), notice, query

    try:
        context, notice, query = await run(request, work, write=True)
    except WebError as refused:
        return await _refused_form(request, refused, brand_id, "delete", status_id)
    return _saved(request, context, notice, **query)
