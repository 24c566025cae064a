"""Query-string helpers shared by list endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatch.core.errors import ValidationFailed


def text_filter(value: str | None) -> str | None:
    """A text filter: trimmed; blank means not given."""
    if value is None:
        return None
    return value.strip() or None


def instant_filter(value: datetime | None, field: str) -> datetime | None:
    """A date filter in UTC (no zone means UTC); one outside UTC's range is a 422."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed(field, f"{field} is out of range") from None
