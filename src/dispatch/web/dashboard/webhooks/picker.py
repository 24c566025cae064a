"""The events picker of the webhook form: every subscribable type under its group, a
box for each group's `prefix.*` and one for "*", and the boxes ticked folded back into
patterns."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.core.errors import ValidationFailed
from dispatch.webhooks import payloads

# The picker's groups, in this order; an event type belongs to the group of its first word.
GROUPS = (
    ("ticket", "Tickets"),
    ("comment", "Comments"),
    ("attachment", "Attachments"),
    ("customer", "Customers"),
    ("contact", "Contacts"),
    ("company", "Companies"),
    ("status", "Statuses"),
    ("category", "Categories"),
    ("tag", "Tags"),
    ("field", "Custom fields"),
    ("watcher", "Watchers"),
    ("webhook", "Webhooks"),
)


@dataclass(frozen=True, slots=True)
class EventGroup:
    prefix: str
    label: str
    all_checked: bool
    types: list[tuple[str, bool]]

    @property
    def pattern(self) -> str:
        return f"{self.prefix}.*"


def event_groups(selected: list[str]) -> list[EventGroup]:
    """Every subscribable type under its group, with what `selected` checks. The test
    event is left out: it reaches only the webhook it is sent to, whatever it subscribes."""
    chosen = set(selected)
    groups = []
    for prefix, label in GROUPS:
        types = sorted(
            t
            for t in payloads.EVENT_TYPES
            if t.split(".")[0] == prefix and t != payloads.TEST_EVENT
        )
        whole = f"{prefix}.*" in chosen
        groups.append(EventGroup(prefix, label, whole, [(t, whole or t in chosen) for t in types]))
    return groups


def unlisted_patterns(selected: list[str]) -> list[str]:
    """Patterns the picker has no box for (`ticket.comment.*` set through the API): they
    are shown checked, so saving the form keeps them."""
    boxes = {payloads.ALL, *(f"{p}.*" for p, _ in GROUPS)}
    boxes.update(t for t in payloads.EVENT_TYPES if t != payloads.TEST_EVENT)
    return [p for p in selected if p not in boxes]


def chosen_events(events: list[str]) -> list[str]:
    """The boxes ticked, as few patterns as say the same: "*" alone, or a group's
    `prefix.*` instead of its types (a browser without the script sends both)."""
    if payloads.ALL in events:
        return [payloads.ALL]
    groups = {e[:-1] for e in events if e.endswith(".*")}
    kept = [e for e in events if e.endswith(".*") or not any(e.startswith(g) for g in groups)]
    return list(dict.fromkeys(kept))


def events_summary(events: list[str]) -> str:
    """What a list shows of a webhook's events."""
    if payloads.ALL in events:
        return "All events"
    return ", ".join(events)


def events_given(events: list[str]) -> list[str]:
    """The form's events for a service command: at least one is required."""
    chosen = chosen_events(events)
    if not chosen:
        raise ValidationFailed("events", "Choose at least one event")
    return chosen
