"""A brand's ticket schema: a JSON Schema (draft 2020-12) that the customFields of a ticket
must satisfy when a write sets them. Pure functions over the schema and the values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable

from dispatch.core.errors import ValidationFailed

# References are followed inside the schema only: an empty registry never fetches a URL
# (jsonschema's default one would, on the server's network).
_LOCAL_ONLY = Registry()


def _required(
    validator: Any, required: list[str], instance: Any, _schema: Any
) -> Iterator[ValidationError]:
    """Draft 2020-12's `required`, with each error at the missing key, where a client
    shows it (the standard one reports the object that lacks it)."""
    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if name not in instance:
            yield ValidationError(f"{name!r} is a required property", path=[name])


# The stubs leave extend() untyped.
_Validator = validators.extend(Draft202012Validator, {"required": _required})  # type: ignore[no-untyped-call]


def check_schema(schema: dict[str, Any]) -> None:
    """A 422 on `ticketSchema` unless `schema` is a valid draft 2020-12 JSON Schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        message = f"ticketSchema is not a valid JSON Schema (draft 2020-12): {error.message}"
        raise ValidationFailed("ticketSchema", message) from None


def violations(schema: dict[str, Any], custom_fields: dict[str, Any]) -> list[dict[str, str]]:
    """Every way `custom_fields` breaks `schema`, as errors on `customFields.<path>`."""
    try:
        return [
            {
                "field": ".".join(["customFields", *map(str, error.absolute_path)]),
                "message": error.message,
            }
            for error in _Validator(schema, registry=_LOCAL_ONLY).iter_errors(custom_fields)
        ]
    except Unresolvable as error:
        message = (
            f"cannot be checked: the brand's ticket schema refers to {error.ref!r}, which it "
            "does not contain (references are never fetched)"
        )
        return [{"field": "customFields", "message": message}]
