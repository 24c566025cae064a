"""Unit tests of the pure status rules (dispatch.statuses.rules): the seed's system statuses,
activity, and the display-order frame (check_display_order, reorder, move, insertion_index)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.statuses import rules
from dispatch.statuses.rules import OrderViolation, Placed
from tests.statuses.helpers import SEED_SYSTEM_STATUSES, SYSTEM_KEYS

OPEN, PENDING, RESOLVED, CLOSED = (Placed(f"sts_{k}", k, True) for k in SYSTEM_KEYS)


def custom(key: str) -> Placed:
    return Placed(f"sts_{key}", key, False)


A, B, C = custom("a"), custom("b"), custom("c")


def frame_kept(order: Sequence[Placed]) -> bool:
    """The oracle, stated independently of the implementation: open at the very start,
    closed at the very end, the system statuses in lifecycle order, customs in between."""
    if not order:
        return False
    position = {p.key: i for i, p in enumerate(order) if p.is_system}
    if sorted(position) != sorted(SYSTEM_KEYS) or len(position) != sum(p.is_system for p in order):
        return False
    return (
        position["open"] == 0
        and position["closed"] == len(order) - 1
        and position["open"] < position["pending"] < position["resolved"] < position["closed"]
    )


def ids(order: Sequence[Placed]) -> list[str]:
    return [p.id for p in order]


def keys(order: Sequence[Placed]) -> list[str]:
    return [p.key for p in order]


# --- The seed's table ---------------------------------------------------------------------


def test_system_statuses_are_the_seed_table_in_lifecycle_order() -> None:
    assert [(name, key, color, meaning) for key, name, color, meaning in rules.SYSTEM_STATUSES] == (
        SEED_SYSTEM_STATUSES
    )
    assert list(rules.SYSTEM_KEYS) == SYSTEM_KEYS


def test_default_custom_color_is_gray() -> None:
    assert rules.DEFAULT_COLOR == "#6b7280"


def test_default_color_of_a_system_status_is_its_seed_color() -> None:
    assert rules.default_color("open", is_system=True) == "#3b82f6"
    assert rules.default_color("closed", is_system=True) == "#22c55e"
    assert rules.default_color("in_progress", is_system=False) == "#6b7280"


@pytest.mark.parametrize(
    ("key", "is_system", "active"),
    [
        ("open", True, True),
        ("pending", True, True),
        ("resolved", True, False),
        ("closed", True, False),
        ("in_progress", False, True),
        ("waiting_on_engineering", False, True),
    ],
)
def test_open_pending_and_custom_statuses_are_active(
    key: str, is_system: bool, active: bool
) -> None:
    assert rules.is_active_status(key, is_system=is_system) is active


@pytest.mark.parametrize("key", ["in_progress", "tier_2", "x", "a" * 50, "2fa"])
def test_key_pattern_accepts_lowercase_digits_and_underscores(key: str) -> None:
    assert rules.KEY_PATTERN.match(key)


@pytest.mark.parametrize(
    "key",
    ["", "In Progress", "UPPER", "in-progress", "in progress", "a" * 51, "é", "in_progress\n"],
)
def test_key_pattern_refuses_anything_else(key: str) -> None:
    assert not rules.KEY_PATTERN.match(key)


@pytest.mark.parametrize("color", ["#8b5cf6", "#8B5CF6", "#000000"])
def test_color_pattern_accepts_six_digit_hex(color: str) -> None:
    assert rules.COLOR_PATTERN.match(color)


@pytest.mark.parametrize(
    "color", ["red", "#12345", "#gggggg", "8b5cf6", "#8b5cf6ff", "#fff", "#8b5cf6\n"]
)
def test_color_pattern_refuses_anything_else(color: str) -> None:
    assert not rules.COLOR_PATTERN.match(color)


# --- check_display_order ------------------------------------------------------------------


@pytest.mark.parametrize(
    "order",
    [
        [OPEN, PENDING, RESOLVED, CLOSED],
        [OPEN, A, PENDING, B, RESOLVED, C, CLOSED],
        [OPEN, PENDING, A, B, C, RESOLVED, CLOSED],
        [OPEN, A, B, C, PENDING, RESOLVED, CLOSED],
    ],
)
def test_check_display_order_accepts_custom_statuses_in_any_gap(order: list[Placed]) -> None:
    rules.check_display_order(order)


@pytest.mark.parametrize(
    "order",
    [
        [],
        [OPEN, PENDING, RESOLVED],  # a system status missing
        [OPEN, RESOLVED, PENDING, CLOSED],
        [PENDING, OPEN, RESOLVED, CLOSED],
        [OPEN, PENDING, CLOSED, RESOLVED],
        [A, OPEN, PENDING, RESOLVED, CLOSED],
        [OPEN, PENDING, RESOLVED, CLOSED, A],
        [OPEN, PENDING, PENDING, RESOLVED, CLOSED],  # a system status twice
        [custom("open"), PENDING, RESOLVED, CLOSED],  # a custom posing as open
    ],
)
def test_check_display_order_refuses_a_broken_frame(order: list[Placed]) -> None:
    with pytest.raises(OrderViolation):
        rules.check_display_order(order)


# --- reorder ------------------------------------------------------------------------------

CURRENT = [OPEN, A, PENDING, B, C, RESOLVED, CLOSED]


def test_reorder_with_a_full_list_sets_the_whole_order() -> None:
    wanted = [OPEN, PENDING, C, B, RESOLVED, A, CLOSED]
    assert rules.reorder(CURRENT, ids(wanted)) == wanted


def test_reorder_with_a_partial_list_permutes_only_its_members_in_their_slots() -> None:
    assert keys(rules.reorder(CURRENT, ids([C, A, B]))) == [
        "open", "c", "pending", "a", "b", "resolved", "closed"
    ]  # fmt: skip
    assert keys(rules.reorder(CURRENT, ids([C, B]))) == [
        "open", "a", "pending", "c", "b", "resolved", "closed"
    ]  # fmt: skip


def test_reorder_does_not_change_its_input() -> None:
    before = list(CURRENT)
    rules.reorder(CURRENT, ids([C, B, A]))
    assert before == CURRENT


@pytest.mark.parametrize(
    "requested",
    [
        [PENDING, OPEN],
        [RESOLVED, CLOSED, PENDING],
        [A, OPEN],
        [CLOSED, C],
        [OPEN, C, PENDING, B, A, CLOSED, RESOLVED],
    ],
)
def test_reorder_refuses_to_move_a_system_status_out_of_its_frame(
    requested: list[Placed],
) -> None:
    with pytest.raises(OrderViolation):
        rules.reorder(CURRENT, ids(requested))


# --- move ---------------------------------------------------------------------------------


def test_move_puts_a_status_at_the_index() -> None:
    assert keys(rules.move(CURRENT, C.id, 1)) == [
        "open", "c", "a", "pending", "b", "resolved", "closed"
    ]  # fmt: skip
    assert keys(rules.move(CURRENT, A.id, 5)) == [
        "open", "pending", "b", "c", "resolved", "a", "closed"
    ]  # fmt: skip
    assert keys(rules.move(CURRENT, RESOLVED.id, 3)) == [
        "open", "a", "pending", "resolved", "b", "c", "closed"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "index"),
    [(A, 0), (A, 6), (A, 99), (B, -5), (OPEN, 1), (CLOSED, 0), (PENDING, 6), (RESOLVED, 1)],
)
def test_move_refuses_to_break_the_frame(status: Placed, index: int) -> None:
    with pytest.raises(OrderViolation):
        rules.move(CURRENT, status.id, index)


def test_move_clamps_the_index_to_the_list() -> None:
    # Past the end is the end: after closed, which the frame refuses...
    with pytest.raises(OrderViolation):
        rules.move(CURRENT, B.id, 1_000)
    # ...while closed itself may "move" anywhere past the end and stay last.
    assert rules.move(CURRENT, CLOSED.id, 1_000) == CURRENT


# --- insertion_index ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ([OPEN, PENDING, RESOLVED, CLOSED], 2),
        ([OPEN, PENDING, A, B, RESOLVED, CLOSED], 4),
        ([OPEN, A, PENDING, RESOLVED, B, C, CLOSED], 3),
        ([OPEN, A, B, PENDING, C, RESOLVED, CLOSED], 5),
    ],
)
def test_insertion_index_is_just_before_resolved(current: list[Placed], expected: int) -> None:
    assert rules.insertion_index(current) == expected
    new = custom("new")
    placed = rules.move([*current, new], new.id, rules.insertion_index(current))
    assert keys(placed)[expected : expected + 2] == ["new", "resolved"]


# --- Properties ---------------------------------------------------------------------------


@st.composite
def valid_orders(draw: st.DrawFn) -> list[Placed]:
    """The system frame with up to six custom statuses spread over the three gaps."""
    count = draw(st.integers(0, 6))
    gaps = draw(st.lists(st.sampled_from([1, 2, 3]), min_size=count, max_size=count))
    order = [OPEN]
    for gap, system in zip((1, 2, 3), (PENDING, RESOLVED, CLOSED), strict=True):
        order += [custom(f"c{i}") for i, g in enumerate(gaps) if g == gap]
        order.append(system)
    return order


@settings(max_examples=200, deadline=None)
@given(valid_orders())
def test_property_custom_statuses_in_any_gaps_keep_the_frame(order: list[Placed]) -> None:
    assert frame_kept(order)
    rules.check_display_order(order)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_property_any_permutation_of_custom_statuses_is_accepted(data: st.DataObject) -> None:
    current = data.draw(valid_orders())
    customs = [p for p in current if not p.is_system]
    permuted = data.draw(st.permutations(customs))

    # As a partial list: the customs trade places, the system statuses stay put.
    result = rules.reorder(current, ids(permuted))
    assert [p for p in result if not p.is_system] == list(permuted)
    assert [i for i, p in enumerate(result) if p.is_system] == [
        i for i, p in enumerate(current) if p.is_system
    ]
    # As a full list with the system statuses where they were: exactly that order.
    slots = iter(permuted)
    full = [p if p.is_system else next(slots) for p in current]
    assert rules.reorder(current, ids(full)) == full


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_property_a_full_reorder_is_accepted_exactly_when_it_keeps_the_frame(
    data: st.DataObject,
) -> None:
    current = data.draw(valid_orders())
    wanted = data.draw(st.permutations(current))
    if frame_kept(wanted):
        assert rules.reorder(current, ids(wanted)) == list(wanted)
    else:
        with pytest.raises(OrderViolation):
            rules.reorder(current, ids(wanted))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_property_displacing_a_system_status_is_refused(data: st.DataObject) -> None:
    current = data.draw(valid_orders())
    first, second = sorted(
        data.draw(st.lists(st.sampled_from(range(4)), min_size=2, max_size=2, unique=True))
    )
    # Swap two system statuses: whatever else happens, their order is broken.
    positions = [i for i, p in enumerate(current) if p.is_system]
    swapped = list(current)
    swapped[positions[first]], swapped[positions[second]] = (
        swapped[positions[second]],
        swapped[positions[first]],
    )
    with pytest.raises(OrderViolation):
        rules.reorder(current, ids(swapped))
    # Moving a custom status in front of open or behind closed is refused too.
    customs = [p for p in current if not p.is_system]
    if customs:
        moving = data.draw(st.sampled_from(customs))
        index = data.draw(st.sampled_from([0, len(current) - 1, len(current) + 10]))
        with pytest.raises(OrderViolation):
            rules.move(current, moving.id, index)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_property_move_is_accepted_exactly_when_the_result_keeps_the_frame(
    data: st.DataObject,
) -> None:
    current = data.draw(valid_orders())
    moving = data.draw(st.sampled_from(current))
    index = data.draw(st.integers(-2, len(current) + 2))
    rest = [p for p in current if p.id != moving.id]
    clamped = max(0, min(index, len(rest)))
    expected = [*rest[:clamped], moving, *rest[clamped:]]
    if frame_kept(expected):
        assert rules.move(current, moving.id, index) == expected
    else:
        with pytest.raises(OrderViolation):
            rules.move(current, moving.id, index)


@settings(max_examples=100, deadline=None)
@given(valid_orders())
def test_property_a_new_custom_status_at_the_insertion_index_keeps_the_frame(
    current: list[Placed],
) -> None:
    new = custom("new")
    placed = rules.move([*current, new], new.id, rules.insertion_index(current))
    assert frame_kept(placed)
    assert placed[placed.index(new) + 1] == RESOLVED
    assert [p for p in placed if p != new] == current
