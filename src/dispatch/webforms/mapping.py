"""From a submitted form to the ticket it opens (pure functions).

The default mapping (§3.16): `email` and `name` are the requester (the ticket's contact),
`subject` the title, `message` or `body` the body, `priority` the priority; any other
field becomes `customFields.<name>`. A form's `fieldMapping` names other fields for
these properties (or a custom field key); what it does not name keeps the default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import ValidationFailed
from dispatch.fields.values import from_text
from dispatch.tickets.priority import Priority
from dispatch.tickets.schemas import BODY_MAX, TITLE_MAX
from dispatch.webforms.errors import EmptySubmission
from dispatch.webforms.schemas import (
    BODY,
    CUSTOM_PREFIX,
    CUSTOMER_EMAIL,
    CUSTOMER_NAME,
    PRIORITY,
    TITLE,
)

DEFAULT_MAPPING: dict[str, str] = {
    "email": CUSTOMER_EMAIL,
    "name": CUSTOMER_NAME,
    "subject": TITLE,
    "message": BODY,
    "body": BODY,
    "priority": PRIORITY,
}
PRIORITIES: tuple[str, ...] = get_args(Priority)
NAME_MAX = 200
# A title made from the message: its first line, cut here.
DERIVED_TITLE_MAX = 80
CUSTOM_VALUE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Submission:
    """What a submission says, as ticket properties."""

    title: str
    body: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    priority: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)


def effective_mapping(custom: Mapping[str, str] | None) -> dict[str, str]:
    """The default mapping with the form's own on top."""
    return {**DEFAULT_MAPPING, **(custom or {})}


def _text(value: Any, name: str) -> str | None:
    """A standard property's value: the first non-blank of the field's values, as text."""
    values = value if isinstance(value, list) else [value]
    for item in values:
        if item is None:
            continue
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ValidationFailed(name, "must be text")
        text = str(item).strip()
        if text:
            return text
    return None


def _custom(value: Any) -> Any:
    """A custom field's value: one value as itself, several as a list."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        value = value.strip()
        if len(value) > CUSTOM_VALUE_MAX:
            limit = f"values may be at most {CUSTOM_VALUE_MAX:,} characters"
            raise ValidationFailed("customFields", limit)
        return value or None
    return value


def _limited(value: str | None, name: str, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise ValidationFailed(name, f"must be at most {limit:,} characters")
    return value


def _email(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return normalize_email(value).lower()
    except InvalidEmailAddress as exc:
        raise ValidationFailed(name, str(exc), code="invalid_email") from None


def _priority(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if value.lower() not in PRIORITIES:
        raise ValidationFailed(name, f"must be one of {', '.join(PRIORITIES)}")
    return value.lower()


def _title(subject: str | None, body: str | None, email: str | None) -> str:
    """The subject, else the message's first line, else who wrote."""
    if subject:
        return subject
    first_line = (body or "").strip().splitlines()[0] if (body or "").strip() else ""
    if first_line:
        cut = first_line[:DERIVED_TITLE_MAX]
        return cut if len(first_line) <= DERIVED_TITLE_MAX else cut.rstrip() + "…"
    return f"Web form message from {email}"


def typed(custom: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """Custom field values as their definitions' types: a form sends text, so a number
    or a checkbox is read as one, and a multi-select's single choice becomes a list.
    Values of other types, and JSON bodies' numbers and lists, stay as sent."""
    result: dict[str, Any] = {}
    for key, value in custom.items():
        kind = types.get(key)
        if kind == "multiselect" and isinstance(value, str):
            value = [value]
        elif kind is not None and isinstance(value, str):
            value = from_text(key, kind, value)
        result[key] = value
    return result


def read(fields: Mapping[str, Any], custom_mapping: Mapping[str, str] | None) -> Submission:
    """The ticket a submission opens. `fields` maps each field name to its value (a list
    when the form sent several). Refused (422) when it has no email, subject or message,
    or a value is unusable (an invalid address, an unknown priority, too long)."""
    mapping = effective_mapping(custom_mapping)
    found: dict[str, tuple[str, str]] = {}
    custom: dict[str, Any] = {}
    for name, value in fields.items():
        target = mapping.get(name, CUSTOM_PREFIX + name)
        if target.startswith(CUSTOM_PREFIX):
            kept = _custom(value)
            if kept is not None and kept != []:
                custom[target.removeprefix(CUSTOM_PREFIX)] = kept
            continue
        text = _text(value, name)
        if text is not None and target not in found:
            found[target] = (name, text)

    def named(target: str) -> tuple[str | None, str]:
        """(value, the form field it came from) of a standard property."""
        name, text = found.get(target, (target, None))
        return text, name

    email = _email(*named(CUSTOMER_EMAIL))
    subject = _limited(*named(TITLE), TITLE_MAX)
    body = _limited(*named(BODY), BODY_MAX)
    if not (email or subject or body):
        raise EmptySubmission()
    return Submission(
        title=_title(subject, body, email),
        body=body,
        customer_email=email,
        customer_name=_limited(*named(CUSTOMER_NAME), NAME_MAX),
        priority=_priority(*named(PRIORITY)),
        custom_fields=custom,
    )
