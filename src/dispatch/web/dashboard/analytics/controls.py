"""The Analytics page's controls, exactly as its URL says them (bookmarkable): a preset or
custom range of days, the interval, the time zone and the ticket filters. Read into the
reports' `ReportQuery`; what is wrong comes back as {parameter: message} for the form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta
from typing import get_args
from urllib.parse import urlencode

from dispatch.analytics.periods import zone
from dispatch.analytics.schemas import ReportQuery
from dispatch.core import clock
from dispatch.core.errors import DomainError
from dispatch.tickets.priority import Priority
from dispatch.tickets.schemas import Source

PRESETS = {"7": 7, "30": 30, "90": 90}
CUSTOM = "custom"
INTERVALS = ("day", "week")
PRIORITIES: tuple[str, ...] = get_args(Priority)
CHANNELS: tuple[str, ...] = get_args(Source)
FIELD_MAX = 64
# Dataclass fields whose URL parameter has another name (`from` is a Python keyword).
PARAM_OF = {"first": "from", "last": "to"}


class InvalidControls(DomainError):
    status = 422
    code = "validation_error"

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(
            "Check the highlighted fields",
            errors=[{"field": field, "message": message} for field, message in errors.items()],
        )


@dataclass(frozen=True, slots=True)
class Controls:
    range: str = "30"  # a PRESETS key or CUSTOM
    first: str = ""  # YYYY-MM-DD, for a custom range
    last: str = ""  # YYYY-MM-DD, for a custom range (empty: today)
    interval: str = "day"
    timezone: str = ""  # empty: not chosen yet (UTC; the page's script sends the browser's)
    agent: str = ""  # a member id, "none" for unassigned tickets
    category: str = ""  # a category id, "none" for tickets without one
    priority: str = ""
    channel: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Controls:
        given = {f.name: params.get(PARAM_OF.get(f.name, f.name)) or "" for f in fields(cls)}
        return cls(**{k: v.strip()[:FIELD_MAX] for k, v in given.items() if v.strip()})

    @property
    def zone_name(self) -> str:
        return self.timezone or "UTC"

    def params(self, **changes: str) -> dict[str, str]:
        """The URL's parameters (defaults left out), with `changes`."""
        defaults = asdict(Controls())
        values = asdict(replace(self, **changes))
        if values["range"] != CUSTOM:
            values.update(first="", last="")
        return {PARAM_OF.get(k, k): v for k, v in values.items() if v and v != defaults[k]}

    def url(self, **changes: str) -> str:
        return urlencode(self.params(**changes))

    def filtered(self) -> bool:
        return any((self.agent, self.category, self.priority, self.channel))

    def report_query(self) -> ReportQuery:
        """The query the reports take; InvalidControls naming every wrong parameter. The
        services check the rest (a range too long or ending after today) the same way."""
        errors: dict[str, str] = {}
        first = last = None
        today = None
        try:
            today = clock.now().astimezone(zone(self.zone_name)).date()
        except DomainError as refused:
            errors["timezone"] = refused.message
        if self.range == CUSTOM:
            first = _day(self.first, "from", errors, required=True)
            last = _day(self.last, "to", errors) or today
        elif self.range in PRESETS:
            if today is not None:
                last = today
                first = today - timedelta(days=PRESETS[self.range] - 1)
        else:
            errors["range"] = "Choose 7, 30 or 90 days, or a custom range"
        if self.interval not in INTERVALS:
            errors["interval"] = "Choose day or week"
        if self.priority and self.priority not in PRIORITIES:
            errors["priority"] = f"Unknown priority {self.priority!r}"
        if self.channel and self.channel not in CHANNELS:
            errors["channel"] = f"Unknown channel {self.channel!r}"
        if errors:
            raise InvalidControls(errors)
        return ReportQuery(
            first=first,
            last=last,
            timezone=self.zone_name,
            # Checked above: pydantic reads the literals.
            interval=self.interval,
            assignee_id=self.agent or None,
            category_id=self.category or None,
            priority=self.priority or None,
            channel=self.channel or None,
            group_by="agent",
        )


def _day(value: str, name: str, errors: dict[str, str], *, required: bool = False) -> date | None:
    if not value:
        if required:
            errors[name] = "Give the first day of the range"
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"{value!r} is not a date (YYYY-MM-DD)"
        return None
