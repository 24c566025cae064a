"""What the dashboard's forms share: custom field inputs read as their fields' types, and a
service's refusal turned into {field: message} for the form that caused it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.datastructures import FormData

from dispatch.core.errors import DomainError
from dispatch.fields.models import FieldDefinition
from dispatch.fields.values import from_text

# Custom field types edited with one input; the others (lists, objects) are shown as they are.
EDITABLE_FIELD_TYPES = frozenset({"text", "number", "boolean", "date", "select", "url"})
CUSTOM_FIELD_PREFIX = "customFields."


def editable(definitions: Iterable[FieldDefinition]) -> dict[str, str]:
    """{key: type} of the definitions a form edits."""
    return {d.key: d.type for d in definitions if d.type in EDITABLE_FIELD_TYPES}


def custom_fields_of(form: FormData, field_types: Mapping[str, str]) -> dict[str, Any]:
    """The `cf.<key>` inputs the form carries, as a customFields patch (None clears)."""
    return {
        key: from_text(key, kind, str(form[f"cf.{key}"]).strip())
        for key, kind in field_types.items()
        if f"cf.{key}" in form
    }


def field_errors(
    error: DomainError, *, by_code: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The refusal as {field: message} when it is about a form's fields, else None (it is
    then shown like any other refusal). `by_code` names the field of refusals that carry
    no `errors` (a taken email is a 409 about the email field)."""
    if by_code and error.code in by_code:
        return {by_code[error.code]: error.message}
    if error.errors:
        return {e["field"]: e["message"] for e in error.errors}
    return None
