"""Custom field values checked against their type, as pure functions.

`check(type, options, value)` returns the value as stored (dates normalised to ISO 8601)
or raises ValueError with a message a client can show next to the field. `from_text`
reads what an HTML form sent (always text) as the field's type."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from dispatch.core.errors import ValidationFailed

FieldType = Literal[
    "text", "number", "boolean", "date", "select", "multiselect", "url", "array", "object"
]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)
TEXT_MAX = 10_000
URL_MAX = 2048
# How HTML forms say yes: a checkbox without a value attribute sends "on".
TRUE_TEXTS = frozenset({"true", "on", "yes", "1"})


def check(field_type: str, options: list[str] | None, value: Any) -> Any:
    checker = _CHECKS.get(field_type)
    if checker is None:
        raise ValueError(f"unknown field type {field_type!r}")
    return checker(value, options or [])


def from_text(key: str, kind: str, raw: str) -> Any:
    """A custom field's value as an HTML form sent it, read as its type (empty: None).
    An unreadable number is a 422 on `customFields.<key>`."""
    if raw == "":
        return None
    if kind == "number":
        try:
            return float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            message = f"{raw!r} is not a number"
            raise ValidationFailed(f"customFields.{key}", message) from None
    if kind == "boolean":
        return raw.lower() in TRUE_TEXTS
    return raw


def is_blank(value: Any) -> bool:
    """Whether a value leaves a required field unfilled."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def _text(value: Any, _options: list[str]) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > TEXT_MAX:
        raise ValueError(f"must be at most {TEXT_MAX:,} characters")
    return value


def _number(value: Any, _options: list[str]) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _boolean(value: Any, _options: list[str]) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _date(value: Any, _options: list[str]) -> str:
    """An ISO 8601 date (kept as YYYY-MM-DD) or date-time (stored in UTC; no offset
    means UTC)."""
    message = "must be an ISO 8601 date (2026-01-15) or date-time (2026-01-15T09:30:00Z)"
    if not isinstance(value, str):
        raise ValueError(message)
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(message) from None
    return moment.isoformat().replace("+00:00", "Z")


def _select(value: Any, options: list[str]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"must be one of: {', '.join(options)}")
    return value


def _multiselect(value: Any, options: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of options")
    unknown = [v for v in value if v not in options]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not an option; choose from: {', '.join(options)}")
    if len(set(value)) != len(value):
        raise ValueError("must not repeat an option")
    return list(value)


def _url(value: Any, _options: list[str]) -> str:
    message = "must be an http or https URL"
    if not isinstance(value, str):
        raise ValueError(message)
    if len(value) > URL_MAX:
        raise ValueError(f"must be at most {URL_MAX} characters")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError(message)
    try:
        parts = urlsplit(value)
        _port = parts.port
    except ValueError:
        raise ValueError(message) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(message)
    return value


def _array(value: Any, _options: list[str]) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("must be a list")
    return value


def _object(value: Any, _options: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    return value


_CHECKS = {
    "text": _text,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "select": _select,
    "multiselect": _multiselect,
    "url": _url,
    "array": _array,
    "object": _object,
}
