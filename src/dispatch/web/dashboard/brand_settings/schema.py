"""Settings → Brand → Ticket schema: the JSON Schema (draft 2020-12) the custom fields of
the brand's tickets must satisfy, edited as text. It is checked as it is typed (htmx posts
it to `validate`, which answers with what is wrong and never saves); saving an empty text
removes the schema."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.brands import service as brands
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.fields.ticket_schema import check_schema
from dispatch.web.dashboard.brand_settings.screen import (
    done,
    form_errors,
    notice_of,
    shell,
    url_of,
)
from dispatch.web.runner import Screen, WebError, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

NAV = "schema"
BASE = "/brands/{brand_id}/settings/schema"
FIELD = "ticketSchema"
SCHEMA_MAX = 200_000  # characters of text, far above any sensible schema
EXAMPLE = {
    "type": "object",
    "properties": {"orderNumber": {"type": "string", "pattern": "^[0-9]{6}$"}},
    "required": ["orderNumber"],
}


def parse(text: str) -> dict[str, Any] | None:
    """The schema a text holds (None for an empty text: no schema); a 422 on ticketSchema
    saying where it is not JSON, not an object or not a valid JSON Schema."""
    if not text.strip():
        return None
    if len(text) > SCHEMA_MAX:
        raise ValidationFailed(FIELD, f"The schema is longer than {SCHEMA_MAX} characters")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ValidationFailed(FIELD, f"Not valid JSON at {where}: {error.msg}") from None
    if not isinstance(value, dict):
        raise ValidationFailed(FIELD, "A JSON Schema is an object: { ... }")
    check_schema(value)
    return value


def _context(screen: Screen, brand_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    stored = context["brand"].ticket_schema
    text = json.dumps(stored, indent=2, ensure_ascii=False) if stored is not None else ""
    return {**context, "text": text, "example": json.dumps(EXAMPLE, indent=2)}


@router.get(BASE)
async def schema_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _context(screen, brand_id))
    return page(request, "settings/schema.html", notice=notice_of(request), **context)


@router.post(f"{BASE}/validate")
async def validate_schema(
    request: Request, brand_id: str, ticket_schema: Annotated[str, Form()] = ""
) -> Response:
    """What is wrong with the text being typed (htmx); nothing is saved."""
    await run(request, lambda screen: screen.brand(brand_id))
    try:
        schema = parse(ticket_schema)
    except DomainError as refused:
        return page(request, "settings/_schema_check.html", problem=refused.message)
    return page(request, "settings/_schema_check.html", problem=None, empty=schema is None)


@router.post(BASE)
async def save_schema(
    request: Request, brand_id: str, ticket_schema: Annotated[str, Form()] = ""
) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        brands.set_ticket_schema(screen.session, screen.actor, brand, parse(ticket_schema))
        return brand.id

    try:
        saved = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused)
        context = await run(request, lambda screen: _context(screen, brand_id))
        context.update(text=ticket_schema, errors=errors)
        return page(request, "settings/schema.html", 422, **context)
    return done(url_of(saved, NAV), "saved", "the ticket schema")
