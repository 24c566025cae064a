"""What a webhook receives: the subscribable event types, subscription patterns, the
exact JSON body sent for one event and the headers every attempt carries besides its
signatures.

The body is the reference envelope `{id, event, brand_id, timestamp, data}` plus `type`
(the seed's receivers read `event.type`) and `sequence` (the ticket's version after the
change, so receivers can order a ticket's events; null for events not about a ticket).
`data` is the event row's data unchanged: ticket events carry the reference's flat fields,
`changes`/`previous` and the whole ticket as `data.ticket`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_json

from dispatch import __version__
from dispatch.core.events import INTERNAL_TYPES, Event

USER_AGENT = f"Dispatch-Webhooks/{__version__}"

EVENT_TYPES: frozenset[str] = frozenset(
    {
        # Reference §4.2.
        "ticket.created",
        "ticket.updated",
        "ticket.closed",
        "ticket.reopened",
        "ticket.deleted",
        "ticket.overdue",
        "ticket.comment.created",
        "comment.created",
        "comment.updated",
        "comment.deleted",
        "attachment.created",
        "attachment.deleted",
        "customer.created",
        # Everything else the system emits.
        "status.created",
        "status.updated",
        "status.deleted",
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "company.created",
        "company.updated",
        "company.deleted",
        "category.created",
        "category.updated",
        "category.deleted",
        "tag.created",
        "tag.updated",
        "tag.deleted",
        "tag.merged",
        "field.created",
        "field.updated",
        "field.deleted",
        "watcher.created",
        "watcher.updated",
        "watcher.deleted",
        "form.created",
        "form.updated",
        "form.deleted",
        "form.token_regenerated",
        "webhook.disabled",
        "webhook.test",
    }
)

# Emitted for the worker's own use (mail), never delivered to webhooks: the outbox knows
# them too, and writes no webhook inbox row for them.
INTERNAL_EVENT_TYPES = INTERNAL_TYPES

# The test event goes only to the webhook named in its data.
TEST_EVENT = "webhook.test"
DISABLED_EVENT = "webhook.disabled"

ALL = "*"


def _prefixes(types: frozenset[str]) -> frozenset[str]:
    """ "ticket", "ticket.comment", "comment", ...: every dotted prefix of a known type."""
    found: set[str] = set()
    for event_type in types:
        parts = event_type.split(".")
        found.update(".".join(parts[:n]) for n in range(1, len(parts)))
    return frozenset(found)


PATTERN_PREFIXES: frozenset[str] = _prefixes(EVENT_TYPES)


def is_known_pattern(pattern: str) -> bool:
    """ "*", a subscribable event type, or "prefix.*" for a prefix of one ("ticket.*")."""
    if pattern == ALL or pattern in EVENT_TYPES:
        return True
    return pattern.endswith(".*") and pattern[:-2] in PATTERN_PREFIXES


def matches(patterns: list[str], event_type: str) -> bool:
    """Whether a subscription to `patterns` receives events of `event_type`.

    Only subscribable types match, so internal events never leave, even for "*"."""
    if event_type not in EVENT_TYPES:
        return False
    for pattern in patterns:
        if pattern in (ALL, event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _timestamp(event: Event) -> str:
    # The same ISO form the API uses for every timestamp ("...Z").
    return str(json.loads(to_json(event.created_at)))


def _dumps(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


def envelope(event: Event) -> dict[str, Any]:
    """The body as a dict (envelope keys in wire order)."""
    return {
        "id": event.id,
        "event": event.type,
        "type": event.type,
        "brand_id": event.brand_id,
        "timestamp": _timestamp(event),
        "sequence": event.sequence,
        "data": event.data,
    }


def render(event: Event) -> bytes:
    """The exact body sent for `event`: compact UTF-8 JSON, the same bytes for the same
    event on every backend (keys inside `data` sorted, since PostgreSQL's JSONB does not
    keep their order)."""
    head = envelope(event)
    data = head.pop("data")
    inner = ",".join(f"{_dumps(key)}:{_dumps(value)}" for key, value in head.items())
    return f'{{{inner},"data":{_dumps(data, sort_keys=True)}}}'.encode()


def request_headers(event_type: str, delivery_id: str) -> dict[str, str]:
    """The headers of every attempt of a delivery except the signing ones
    (`signing.signature_headers`, which change with each attempt's timestamp)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",
        "X-Dispatch-Event": event_type,
        "X-Dispatch-Delivery": delivery_id,
    }
