"""Settings → Brand → Custom fields: the definitions of ticket, contact and company fields
(a tab each) in display order; owners and admins define them (key, label, type, options
of select types, required, where they show), edit them (keys never change), reorder them
(drag and drop or keyboard) and delete them (values already stored stay in records)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.categories.service import derive_key
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.fields import service as fields
from dispatch.fields.models import FieldDefinition
from dispatch.fields.schemas import FieldChanges, NewField
from dispatch.fields.service import SELECT_TYPES, STORED_ENTITY_TYPES
from dispatch.fields.values import from_text
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

NAV = "fields"
BASE = "/brands/{brand_id}/settings/fields"
TABS = {"ticket": "Ticket fields", "contact": "Contact fields", "company": "Company fields"}
TYPES = {
    "text": "Text: a line or more of free text",
    "number": "Number: whole or decimal",
    "boolean": "Yes / no",
    "date": "Date: YYYY-MM-DD",
    "select": "Select: one of the options",
    "multiselect": "Multi-select: any of the options",
    "url": "URL: an http(s) link",
    "array": "List: a JSON array (set through the API)",
    "object": "Object: a JSON object (set through the API)",
}
# Where a field shows, with the default of a new field (the service's).
SHOW = (
    ("show_on_create", "New ticket form", True),
    ("show_in_table", "Table columns", False),
    ("show_in_detail", "Detail view", True),
)
# Types whose default is written as JSON.
JSON_TYPES = frozenset({"array", "object"})
_FIELD_OF_CODE = {"field_key_taken": "key", "field_key_immutable": "key"}


def _tab(request: Request) -> str:
    kind = request.query_params.get("type", "ticket")
    if kind not in STORED_ENTITY_TYPES:
        raise NotFound("field type", kind[:20])
    return kind


def _listing(screen: Screen, brand_id: str, kind: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    listed = fields.all_fields(screen.session, context["brand"].id)
    return {
        **context,
        "kind": kind,
        "definitions": listed[kind],
        "counts": {k: len(v) for k, v in listed.items()},
        "tabs": TABS,
        "types": TYPES,
        "show": SHOW,
        "select_types": SELECT_TYPES,
        "values": {flag: default for flag, _label, default in SHOW} | {"type": "text"},
    }


def _find(screen: Screen, brand_id: str, field_id: str) -> FieldDefinition:
    """One of the brand's definitions by its id (the service's lookups take keys)."""
    brand = screen.brand(brand_id)
    every = fields.all_fields(screen.session, brand.id)
    found = next((d for kind in every.values() for d in kind if d.id == field_id), None)
    if found is None:
        raise NotFound("field", field_id)
    return found


def _one(screen: Screen, brand_id: str, field_id: str, action: str) -> dict[str, Any]:
    context = managing(screen, brand_id, NAV, action)
    definition = _find(screen, brand_id, field_id)
    return {**context, "field": definition, "types": TYPES, "show": SHOW, "tabs": TABS}


def _options(raw: str, field_type: str) -> list[str] | None:
    """One option a line, for the types that have options."""
    if field_type not in SELECT_TYPES:
        return None
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _values(definition: FieldDefinition) -> dict[str, Any]:
    names = ("label", "type", "required", "description", "placeholder")
    shown = {flag: getattr(definition, flag) for flag, _label, _default in SHOW}
    shown["portal_visible"] = definition.portal_visible
    return {
        **{name: getattr(definition, name) for name in names},
        **shown,
        "options": "\n".join(definition.options or []),
        "default_value": _default_text(definition.type, definition.default_value),
    }


def _default_text(kind: str, value: Any) -> str:
    """A stored default as its form input shows it (the inverse of `_default`)."""
    if value is None:
        return ""
    if kind == "multiselect":
        return ", ".join(value)
    if kind in JSON_TYPES or isinstance(value, bool):
        return json.dumps(value)
    return str(value)


def _default(kind: str, raw: str) -> Any:
    """The form's default value as the field's type (the service then checks it against
    the type and options); empty: no default."""
    text = raw.strip()
    if not text:
        return None
    if kind == "multiselect":
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in JSON_TYPES:
        try:
            return json.loads(text)
        except ValueError:
            raise ValidationFailed(
                "default_value", 'Write it as JSON: ["a", "b"] or {"a": 1}'
            ) from None
    try:
        return from_text("default_value", kind, text)
    except ValidationFailed as refused:
        raise ValidationFailed("default_value", refused.message) from None


@router.get(BASE)
async def fields_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _listing(screen, brand_id, _tab(request)))
    return page(request, "settings/fields.html", notice=notice_of(request), **context)


@router.post(f"{BASE}/reorder")
async def reorder_fields(
    request: Request, brand_id: str, field_ids: Annotated[list[str], Form()]
) -> Response:
    """The order reorder.js sends for one tab's fields."""

    def work(screen: Screen) -> None:
        brand = screen.brand(brand_id)
        every = fields.all_fields(screen.session, brand.id)
        by_id = {d.id: d for kind in every.values() for d in kind}
        moved = [by_id[i] for i in field_ids if i in by_id]
        kinds = {d.entity_type for d in moved}
        if len(moved) != len(field_ids) or len(kinds) != 1:
            raise ValidationFailed("fieldIds", "Reorder the fields of one tab of this brand")
        keys = [d.key for d in moved]
        fields.reorder(screen.session, screen.actor, brand, kinds.pop(), keys)

    await run(request, work, write=True)
    return page(request, "_flash.html", notice="Order saved")


@router.post(BASE)
async def create_field(
    request: Request,
    brand_id: str,
    entity_type: Annotated[str, Form()] = "ticket",
    label: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "text",
    options: Annotated[str, Form()] = "",
    required: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    placeholder: Annotated[str, Form()] = "",
    default_value: Annotated[str, Form()] = "",
    show_on_create: Annotated[str, Form()] = "",
    show_in_table: Annotated[str, Form()] = "",
    show_in_detail: Annotated[str, Form()] = "",
    portal_visible: Annotated[str, Form()] = "",
) -> Response:
    kind = entity_type if entity_type in STORED_ENTITY_TYPES else "ticket"
    flags = {"show_on_create": show_on_create, "show_in_table": show_in_table}
    flags["show_in_detail"] = show_in_detail
    flags["portal_visible"] = portal_visible
    typed: dict[str, Any] = {
        "label": label,
        "key": key,
        "type": type,
        "required": required == "true",
        "description": description,
        "placeholder": placeholder,
        **{flag: value == "true" for flag, value in flags.items()},
    }

    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        # A key left empty comes from the label ("Order number" -> order_number).
        given = {**typed, "key": key.strip() or derive_key(label)}
        data = command(
            NewField,
            **given,
            options=_options(options, type),
            default_value=_default(type, default_value),
        )
        return fields.create_field(screen.session, screen.actor, brand, kind, data).label

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, _FIELD_OF_CODE)
        context = await run(request, lambda screen: _listing(screen, brand_id, kind))
        values = {**typed, "options": options, "default_value": default_value}
        context.update(values=values, errors=errors, creating=True)
        return page(request, "settings/fields.html", 422, **context)
    return done(url_of(brand_id, NAV), "created", created, type=kind)


@router.get(BASE + "/{field_id}/edit")
async def edit_field_form(request: Request, brand_id: str, field_id: str) -> Response:
    context = await run(
        request, lambda screen: _one(screen, brand_id, field_id, "change custom fields")
    )
    context["values"] = _values(context["field"])
    return page(request, "settings/field_edit.html", **context)


@router.post(BASE + "/{field_id}")
async def edit_field(
    request: Request,
    brand_id: str,
    field_id: str,
    label: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "text",
    options: Annotated[str, Form()] = "",
    required: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    placeholder: Annotated[str, Form()] = "",
    default_value: Annotated[str, Form()] = "",
    show_on_create: Annotated[str, Form()] = "",
    show_in_table: Annotated[str, Form()] = "",
    show_in_detail: Annotated[str, Form()] = "",
    portal_visible: Annotated[str, Form()] = "",
) -> Response:
    flags = {"show_on_create": show_on_create, "show_in_table": show_in_table}
    flags["show_in_detail"] = show_in_detail
    flags["portal_visible"] = portal_visible
    typed: dict[str, Any] = {
        "label": label,
        "type": type,
        "required": required == "true",
        "description": description,
        "placeholder": placeholder,
        **{flag: value == "true" for flag, value in flags.items()},
    }

    def work(screen: Screen) -> tuple[str, str]:
        definition = _find(screen, brand_id, field_id)
        changes = {**typed, "default_value": _default(type, default_value)}
        if type in SELECT_TYPES:
            changes["options"] = _options(options, type)
        data = command(FieldChanges, **changes)
        saved = fields.update_field(
            screen.session,
            screen.actor,
            screen.brand(brand_id),
            definition.entity_type,
            definition.key,
            data,
        )
        return saved.label, saved.entity_type

    try:
        saved, kind = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, _FIELD_OF_CODE)
        context = await run(
            request, lambda screen: _one(screen, brand_id, field_id, "change custom fields")
        )
        values = {**typed, "options": options, "default_value": default_value}
        context.update(values=values, errors=errors)
        return page(request, "settings/field_edit.html", 422, **context)
    return done(url_of(brand_id, NAV), "saved", saved, type=kind)


@router.get(BASE + "/{field_id}/delete")
async def delete_field_form(request: Request, brand_id: str, field_id: str) -> Response:
    context = await run(
        request, lambda screen: _one(screen, brand_id, field_id, "delete custom fields")
    )
    return page(request, "settings/field_delete.html", **context)


@router.post(BASE + "/{field_id}/delete")
async def delete_field(request: Request, brand_id: str, field_id: str) -> Response:
    def work(screen: Screen) -> tuple[str, str]:
        definition = _find(screen, brand_id, field_id)
        brand = screen.brand(brand_id)
        fields.delete_field(
            screen.session, screen.actor, brand, definition.entity_type, definition.key
        )
        return definition.label, definition.entity_type

    deleted, kind = await run(request, work, write=True)
    return done(url_of(brand_id, NAV), "deleted", deleted, type=kind)
