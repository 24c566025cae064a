"""Display order: POST /statuses/reorder (full or partial lists), PATCH sortOrder, and where
new custom statuses land. System statuses keep their frame: open first, closed last,
open -> pending -> resolved -> closed; custom statuses sit in any gap between them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_status, make_ticket
from tests.statuses.helpers import (
    Json,
    assert_problem,
    brand_events,
    error_fields,
    keys,
    list_statuses,
    statuses_path,
    tickets_path,
)


@pytest.fixture
def ids(api: Api, brand: Json) -> dict[str, str]:
    """Three custom statuses, arranged open, a, pending, b, c, resolved, closed; ids by key."""
    for key in ("a", "b", "c"):
        make_status(api, brand, name=f"Status {key.upper()}", key=key)
    by_key = {s["key"]: s["id"] for s in list_statuses(api, brand)}
    order = ["open", "a", "pending", "b", "c", "resolved", "closed"]
    api.ok("post", statuses_path(brand, "/reorder"), json={"statusIds": [by_key[k] for k in order]})
    assert keys(api, brand) == order
    return by_key


def reorder(api: Api, brand: Json, ids: dict[str, str], order: list[str]) -> list[str]:
    listed = api.ok(
        "post", statuses_path(brand, "/reorder"), json={"statusIds": [ids[k] for k in order]}
    )
    return [s["key"] for s in listed]


def refused(api: Api, brand: Json, body: Json, status: int, code: str) -> Json:
    """The reorder is refused and the display order (and every status) is unchanged."""
    before = list_statuses(api, brand)
    problem = assert_problem(api.post(statuses_path(brand, "/reorder"), json=body), status, code)
    assert list_statuses(api, brand) == before
    return problem


# --- Full lists ---------------------------------------------------------------------------


def test_full_list_sets_the_whole_display_order(api: Api, brand: Json, ids: dict[str, str]) -> None:
    order = ["open", "pending", "c", "resolved", "b", "a", "closed"]
    assert reorder(api, brand, ids, order) == order
    listed = list_statuses(api, brand)
    assert [s["key"] for s in listed] == order
    assert [s["sortOrder"] for s in listed] == list(range(7))


def test_reorder_returns_the_statuses_in_their_new_order(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    order = ["open", "b", "c", "pending", "a", "resolved", "closed"]
    listed = api.ok(
        "post", statuses_path(brand, "/reorder"), json={"statusIds": [ids[k] for k in order]}
    )
    assert listed == list_statuses(api, brand)
    assert [s["key"] for s in listed] == order


@pytest.mark.parametrize(
    "order",
    [
        ["pending", "open", "a", "b", "c", "resolved", "closed"],  # system statuses swapped
        ["open", "a", "resolved", "b", "c", "pending", "closed"],  # pending after resolved
        ["open", "a", "pending", "b", "c", "closed", "resolved"],  # closed not last
        ["a", "open", "pending", "b", "c", "resolved", "closed"],  # custom before open
        ["open", "a", "pending", "b", "c", "resolved", "closed"][::-1],  # everything reversed
        ["open", "pending", "b", "c", "resolved", "closed", "a"],  # custom after closed
    ],
)
def test_order_that_breaks_the_system_frame_is_refused_and_nothing_changes(
    api: Api, brand: Json, ids: dict[str, str], order: list[str]
) -> None:
    problem = refused(
        api, brand, {"statusIds": [ids[k] for k in order]}, 422, "invalid_status_order"
    )
    assert error_fields(problem) == {"statusIds"}


# --- Partial lists ------------------------------------------------------------------------


def test_partial_list_of_custom_statuses_permutes_them_in_their_slots(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    # a, b, c hold positions 1, 3, 4: the requested order fills those same slots.
    assert reorder(api, brand, ids, ["c", "a", "b"]) == [
        "open",
        "c",
        "pending",
        "a",
        "b",
        "resolved",
        "closed",
    ]
    # c and b now hold slots 1 and 4: b takes the first, c the second.
    assert reorder(api, brand, ids, ["b", "c"]) == [
        "open",
        "b",
        "pending",
        "a",
        "c",
        "resolved",
        "closed",
    ]


def test_partial_list_of_one_status_changes_nothing(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    before = list_statuses(api, brand)
    assert reorder(api, brand, ids, ["b"]) == [s["key"] for s in before]
    assert list_statuses(api, brand) == before


def test_partial_list_with_system_statuses_in_their_order_is_accepted(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    # Positions of open, b, resolved: 0, 3, 5. System statuses keep their order.
    assert reorder(api, brand, ids, ["open", "b", "resolved"]) == [
        "open",
        "a",
        "pending",
        "b",
        "c",
        "resolved",
        "closed",
    ]
    # Positions of pending, c, resolved: 2, 4, 5 -> c, pending, resolved: still a valid frame.
    assert reorder(api, brand, ids, ["c", "pending", "resolved"]) == [
        "open",
        "a",
        "c",
        "b",
        "pending",
        "resolved",
        "closed",
    ]


@pytest.mark.parametrize(
    "partial",
    [
        ["pending", "open"],
        ["closed", "resolved"],
        ["a", "open"],  # a custom status into open's slot
        ["closed", "c"],  # closed into c's slot
        ["resolved", "pending"],
    ],
)
def test_partial_list_that_moves_a_system_status_out_of_its_frame_is_refused(
    api: Api, brand: Json, ids: dict[str, str], partial: list[str]
) -> None:
    refused(api, brand, {"statusIds": [ids[k] for k in partial]}, 422, "invalid_status_order")


# --- Bad lists ----------------------------------------------------------------------------


def test_reorder_refuses_unknown_ids(api: Api, brand: Json, ids: dict[str, str]) -> None:
    body = {"statusIds": [ids["b"], "sts_doesnotexist000000000", ids["a"]]}
    problem = refused(api, brand, body, 422, "validation_error")
    assert "sts_doesnotexist000000000" in problem["message"]


def test_reorder_refuses_duplicate_ids(api: Api, brand: Json, ids: dict[str, str]) -> None:
    problem = refused(
        api, brand, {"statusIds": [ids["a"], ids["b"], ids["a"]]}, 422, "validation_error"
    )
    assert error_fields(problem) == {"statusIds"}


def test_reorder_refuses_ids_of_another_brand_of_the_account(
    api: Api, brand: Json, ids: dict[str, str], sibling_brand: Json
) -> None:
    foreign = make_status(api, sibling_brand, name="Foreign", key="foreign")
    refused(api, brand, {"statusIds": [ids["b"], foreign["id"], ids["a"]]}, 422, "validation_error")
    assert keys(api, sibling_brand) == ["open", "pending", "foreign", "resolved", "closed"]


def test_reorder_refuses_ids_of_another_account(
    api: Api, brand: Json, ids: dict[str, str], other_api: Api, other_brand: Json
) -> None:
    foreign = make_status(other_api, other_brand, name="Foreign", key="foreign")
    refused(api, brand, {"statusIds": [foreign["id"], ids["a"]]}, 422, "validation_error")


@pytest.mark.parametrize(
    "body",
    [{}, {"statusIds": []}, {"statusIds": "sts_x"}, {"statusIds": [1, 2]}, {"statusIds": None}],
)
def test_reorder_refuses_a_missing_or_malformed_list(
    api: Api, brand: Json, ids: dict[str, str], body: Json
) -> None:
    problem = refused(api, brand, body, 422, "validation_error")
    assert all(field.startswith("statusIds") for field in error_fields(problem))


def test_reorder_of_another_accounts_brand_is_not_found(
    api: Api, other_api: Api, other_brand: Json
) -> None:
    their = {s["key"]: s["id"] for s in list_statuses(other_api, other_brand)}
    before = list_statuses(other_api, other_brand)
    response = api.post(
        statuses_path(other_brand, "/reorder"), json={"statusIds": [their["pending"]]}
    )
    assert response.status_code == 404
    assert list_statuses(other_api, other_brand) == before


def test_reorder_records_a_status_updated_event_for_each_moved_status(
    api: Api, brand: Json, ids: dict[str, str], session: Session
) -> None:
    before = {e.id for e in brand_events(session, brand["id"], "status.updated")}
    reorder(api, brand, ids, ["open", "pending", "a", "b", "c", "resolved", "closed"])
    new = [e for e in brand_events(session, brand["id"], "status.updated") if e.id not in before]
    # a: 1 -> 2, pending: 2 -> 1; b and c stay.
    moved = {e.data["key"]: (e.data["previous"]["sortOrder"], e.data["sortOrder"]) for e in new}
    assert moved == {"a": (1, 2), "pending": (2, 1)}
    assert all(e.data["changes"] == ["sortOrder"] for e in new)


# --- PATCH sortOrder ----------------------------------------------------------------------


def move(api: Api, brand: Json, status_id: str, sort_order: int) -> Json:
    moved: Json = api.ok(
        "patch", statuses_path(brand, f"/{status_id}"), json={"sortOrder": sort_order}
    )
    return moved


def test_patch_sort_order_moves_one_custom_status_to_any_gap(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    # open, a, pending, b, c, resolved, closed
    moved = move(api, brand, ids["c"], 1)
    assert moved["sortOrder"] == 1
    assert keys(api, brand) == ["open", "c", "a", "pending", "b", "resolved", "closed"]
    move(api, brand, ids["a"], 5)
    assert keys(api, brand) == ["open", "c", "pending", "b", "resolved", "a", "closed"]
    listed = list_statuses(api, brand)
    assert [s["sortOrder"] for s in listed] == list(range(7))


def test_patch_sort_order_may_move_a_system_status_within_its_frame(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    # Resolved moves up past b and c: the system order is kept.
    move(api, brand, ids["resolved"], 3)
    assert keys(api, brand) == ["open", "a", "pending", "resolved", "b", "c", "closed"]


@pytest.mark.parametrize(
    ("key", "sort_order"),
    [
        ("a", 0),  # before open
        ("b", 6),  # after closed
        ("c", 1000),  # past the end: after closed
        ("open", 2),  # open leaves first place
        ("closed", 5),  # closed leaves last place
        ("pending", 5),  # pending after resolved
        ("resolved", 1),  # resolved before pending
    ],
)
def test_patch_sort_order_that_breaks_the_frame_is_refused_and_nothing_changes(
    api: Api, brand: Json, ids: dict[str, str], key: str, sort_order: int
) -> None:
    before = list_statuses(api, brand)
    response = api.patch(statuses_path(brand, f"/{ids[key]}"), json={"sortOrder": sort_order})
    problem = assert_problem(response, 422, "invalid_status_order")
    assert error_fields(problem) == {"sortOrder"}
    assert list_statuses(api, brand) == before


def test_patch_sort_order_with_rename_is_refused_as_a_whole(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    before = list_statuses(api, brand)
    response = api.patch(
        statuses_path(brand, f"/{ids['a']}"), json={"name": "Renamed", "sortOrder": 0}
    )
    assert_problem(response, 422, "invalid_status_order")
    assert list_statuses(api, brand) == before


def test_patch_sort_order_must_not_be_negative(api: Api, brand: Json, ids: dict[str, str]) -> None:
    before = list_statuses(api, brand)
    response = api.patch(statuses_path(brand, f"/{ids['a']}"), json={"sortOrder": -1})
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"sortOrder"}
    assert list_statuses(api, brand) == before


def test_patch_sort_order_to_the_current_position_changes_nothing(
    api: Api, brand: Json, ids: dict[str, str], session: Session
) -> None:
    before = list_statuses(api, brand)
    events_before = len(brand_events(session, brand["id"], "status.updated"))
    assert move(api, brand, ids["b"], 3) == next(s for s in before if s["key"] == "b")
    assert list_statuses(api, brand) == before
    assert len(brand_events(session, brand["id"], "status.updated")) == events_before


# --- Where new custom statuses land -------------------------------------------------------


def test_new_custom_statuses_land_just_before_resolved(api: Api, brand: Json) -> None:
    for key in ("a", "b", "c"):
        make_status(api, brand, name=key.upper(), key=key)
    assert keys(api, brand) == ["open", "pending", "a", "b", "c", "resolved", "closed"]


def test_new_custom_status_lands_before_resolved_wherever_the_others_were_moved(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    # open, a, pending, b, c, resolved, closed -> move c after resolved, then add d.
    move(api, brand, ids["c"], 6 - 1)
    assert keys(api, brand) == ["open", "a", "pending", "b", "resolved", "c", "closed"]
    created = make_status(api, brand, name="D", key="d")
    assert keys(api, brand) == ["open", "a", "pending", "b", "d", "resolved", "c", "closed"]
    assert created["sortOrder"] == 4
    assert [s["sortOrder"] for s in list_statuses(api, brand)] == list(range(8))


def test_create_with_sort_order_places_the_status_there(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    created = make_status(api, brand, name="D", key="d", sortOrder=1)
    assert created["sortOrder"] == 1
    assert keys(api, brand) == ["open", "d", "a", "pending", "b", "c", "resolved", "closed"]


@pytest.mark.parametrize("sort_order", [0, 7, 500])
def test_create_with_sort_order_outside_the_frame_is_refused_and_nothing_is_created(
    api: Api, brand: Json, ids: dict[str, str], sort_order: int
) -> None:
    before = list_statuses(api, brand)
    response = api.post(
        statuses_path(brand), json={"name": "D", "key": "d", "sortOrder": sort_order}
    )
    assert_problem(response, 422, "invalid_status_order")
    assert list_statuses(api, brand) == before


def test_deleting_a_status_closes_the_gap_in_the_display_order(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    api.ok("delete", statuses_path(brand, f"/{ids['a']}"))
    listed = list_statuses(api, brand)
    assert [s["key"] for s in listed] == ["open", "pending", "b", "c", "resolved", "closed"]
    assert [s["sortOrder"] for s in listed] == list(range(6))


def test_ticket_list_sorted_by_status_follows_the_display_order(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    tickets = {
        key: make_ticket(api, brand, status=key)["id"] for key in ("closed", "b", "open", "a")
    }
    reorder(api, brand, ids, ["open", "b", "pending", "a", "c", "resolved", "closed"])
    page = api.ok("get", tickets_path(brand), params={"sort": "status", "order": "asc"})
    assert [t["id"] for t in page["data"]] == [tickets[k] for k in ("open", "b", "a", "closed")]
