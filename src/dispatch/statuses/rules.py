"""The status workflow rules of the founding seed, as pure functions.

- Four system statuses, in this order: open, pending, resolved, closed. They can be
  renamed, recoloured and re-described, never deleted; their keys never change.
- Custom statuses slot between the system statuses and can be reordered freely.
  Display order keeps `open` first, `closed` last and the system statuses in their
  order; a custom status may sit in any gap between them.
- Active statuses (tickets that need attention): open, pending and every custom status.
  Inactive: resolved and closed.
- No enforced transitions: any status may follow any other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SYSTEM_STATUSES: tuple[tuple[str, str, str, str], ...] = (
    # key, name, color, description (the seed's "Meaning")
    ("open", "Open", "#3b82f6", "New ticket awaiting attention"),
    ("pending", "Pending", "#f59e0b", "Waiting on customer or external input"),
    ("resolved", "Resolved", "#22c55e", "Issue addressed, awaiting confirmation"),
    ("closed", "Closed", "#22c55e", "Ticket finalized, no further action"),
)
SYSTEM_KEYS = tuple(key for key, *_ in SYSTEM_STATUSES)
INACTIVE_KEYS = frozenset({"resolved", "closed"})
DEFAULT_COLOR = "#6b7280"
# Words the ticket filter and the spam view give a meaning of their own.
RESERVED_KEYS = frozenset({"active", "inactive", "all", "spam", "null", "none"})

# \A...\Z, not ^...$: `$` also matches before a trailing newline.
KEY_PATTERN = re.compile(r"\A[a-z0-9_]{1,50}\Z")
COLOR_PATTERN = re.compile(r"\A#[0-9a-fA-F]{6}\Z")


def is_active_status(key: str, *, is_system: bool) -> bool:
    return not (is_system and key in INACTIVE_KEYS)


def default_color(key: str, *, is_system: bool) -> str:
    """The colour a status falls back to: its seed colour if it is a system status."""
    if is_system:
        for system_key, _name, color, _description in SYSTEM_STATUSES:
            if system_key == key:
                return color
    return DEFAULT_COLOR


@dataclass(frozen=True, slots=True)
class Placed:
    """A status as far as ordering is concerned."""

    id: str
    key: str
    is_system: bool


class OrderViolation(ValueError):
    pass


def check_display_order(order: Sequence[Placed]) -> None:
    """Raise OrderViolation unless the system statuses keep their fixed frame."""
    system = [s.key for s in order if s.is_system]
    if system != list(SYSTEM_KEYS):
        raise OrderViolation("System statuses keep their order: open, pending, resolved, closed")
    if order[0].key != "open" or not order[0].is_system:
        raise OrderViolation("Open stays first: custom statuses slot between system statuses")
    if order[-1].key != "closed" or not order[-1].is_system:
        raise OrderViolation("Closed stays last: custom statuses slot between system statuses")


def reorder(current: Sequence[Placed], requested_ids: Sequence[str]) -> list[Placed]:
    """Put the requested statuses, in the requested order, into the positions they hold now.

    A full list sets the whole display order; a partial list permutes only its members
    (for example, just the custom statuses). Everything else keeps its place.
    """
    by_id = {s.id: s for s in current}
    positions = sorted(i for i, s in enumerate(current) if s.id in set(requested_ids))
    result = list(current)
    for position, status_id in zip(positions, requested_ids, strict=True):
        result[position] = by_id[status_id]
    check_display_order(result)
    return result


def move(current: Sequence[Placed], status_id: str, index: int) -> list[Placed]:
    """Move one status to `index` in the display order (clamped to the list)."""
    moving = next(s for s in current if s.id == status_id)
    rest = [s for s in current if s.id != status_id]
    index = max(0, min(index, len(rest)))
    result = [*rest[:index], moving, *rest[index:]]
    check_display_order(result)
    return result


def insertion_index(current: Sequence[Placed]) -> int:
    """Where a new custom status goes by default: after the last active status,
    just before `resolved`."""
    return next(i for i, s in enumerate(current) if s.is_system and s.key == "resolved")
