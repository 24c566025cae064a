"""The small helpers domain services share: display order, change payloads, map patches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dispatch.audit.changes import with_changes
from dispatch.core.ordering import moved, renumber
from dispatch.core.patch import merge_map

EARLIER = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 2, tzinfo=UTC)


@dataclass
class Row:
    id: str
    sort_order: int
    updated_at: datetime = EARLIER


def test_moved_puts_the_row_at_the_index_clamped_to_the_ends() -> None:
    a, b, c = Row("a", 0), Row("b", 1), Row("c", 2)
    assert [r.id for r in moved([a, b, c], a, 1)] == ["b", "a", "c"]
    assert [r.id for r in moved([a, b, c], a, 99)] == ["b", "c", "a"]
    assert [r.id for r in moved([a, b, c], c, -5)] == ["c", "a", "b"]
    new = Row("d", 3)
    assert [r.id for r in moved([a, b, c, new], new, 0)] == ["d", "a", "b", "c"]


def test_renumber_touches_and_reports_only_the_rows_that_move() -> None:
    a, b, c = Row("a", 0), Row("b", 5), Row("c", 1)
    moves = renumber([a, c, b], NOW)
    assert moves == {"b": (5, 2)}
    assert [(r.id, r.sort_order) for r in (a, c, b)] == [("a", 0), ("c", 1), ("b", 2)]
    assert a.updated_at == EARLIER
    assert b.updated_at == NOW


def test_with_changes_adds_the_changed_fields_and_their_old_values() -> None:
    data = {"id": "x", "name": "new"}
    assert with_changes(data, None) == {"id": "x", "name": "new"}
    assert with_changes(data, {"name": ("old", "new")}) == {
        "id": "x",
        "name": "new",
        "changes": ["name"],
        "previous": {"name": "old"},
    }
    assert data == {"id": "x", "name": "new"}


def test_merge_map_sets_removes_on_null_and_clears_on_a_null_patch() -> None:
    assert merge_map({"a": 1, "b": 2}, {"b": None, "c": 3}) == {"a": 1, "c": 3}
    assert merge_map({"a": 1}, None) == {}
    current = {"a": 1}
    merge_map(current, {"a": 2})
    assert current == {"a": 1}
