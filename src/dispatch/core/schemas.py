"""Base models for the wire: camelCase JSON, strict on input."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel


def refuse_nul(value: Any) -> Any:
    """NUL characters anywhere in a value (keys too) are refused: PostgreSQL can store them
    in neither text nor JSON, so they must be a 422 here, not a database error later."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key)
            refuse_nul(item)
    elif isinstance(value, list):
        for item in value:
            refuse_nul(item)
    return value


T = TypeVar("T")


def _refuse_null(value: T | None) -> T:
    if value is None:
        raise ValueError("cannot be null")
    return value


# A request field that may be left out but not sent as null, because the record always
# has a value: `name: Omittable[str] = None`. Defaults are not validated, so only an
# explicit null is refused (a 422 naming the field, never a database error).
Omittable = Annotated[T | None, AfterValidator(_refuse_null)]


class ApiModel(BaseModel):
    """Response models: camelCase on the wire, built from attributes or keywords."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class Command(BaseModel):
    """A service's typed input, with Python names: in-process callers (the dashboard, the
    portal, rules, the CLI) build it by keyword. Unknown fields refused, strings trimmed,
    NUL characters refused. Error messages name fields as the API does (camelCase)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_nul = field_validator("*", mode="before")(refuse_nul)


# The wire form of a command: a subclass with `model_config = WIRE` reads camelCase only.
WIRE = ConfigDict(alias_generator=to_camel, validate_by_alias=True, validate_by_name=False)


class RequestModel(Command):
    """A request body with no command of its own (it never leaves the API layer)."""

    model_config = WIRE


class SuccessOut(ApiModel):
    success: bool = True


class FieldError(ApiModel):
    field: str
    message: str


class ProblemOut(ApiModel):
    """Every error: RFC 9457 problem+json plus the members the SDKs read."""

    type: str
    title: str
    status: int
    detail: str
    message: str
    code: str
    request_id: str | None
    errors: list[FieldError] | None = None
