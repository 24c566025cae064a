"""Display order: POST /categories/reorder with a full or a partial list (204)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import (
    Json,
    activity,
    categories_path,
    count_rows,
    list_categories,
    make_category,
    names,
)
from tests.conftest import Api
from tests.statuses.helpers import assert_problem, error_fields


@pytest.fixture
def ids(api: Api, brand: Json) -> dict[str, str]:
    """Categories a, b, c, d in that order; ids by name."""
    return {n: make_category(api, brand, name=n)["id"] for n in ("a", "b", "c", "d")}


def reorder(api: Api, brand: Json, ids: dict[str, str], order: list[str]) -> None:
    body = {"categoryIds": [ids[n] for n in order]}
    assert api.ok("post", categories_path(brand, "/reorder"), 204, json=body) is None


def test_a_full_list_sets_the_whole_order(api: Api, brand: Json, ids: dict[str, str]) -> None:
    reorder(api, brand, ids, ["d", "b", "a", "c"])

    listed = list_categories(api, brand)
    assert [c["name"] for c in listed] == ["d", "b", "a", "c"]
    assert [c["sortOrder"] for c in listed] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("partial", "expected"),
    [
        (["d", "b"], ["a", "d", "c", "b"]),  # b and d swap their slots
        (["c", "a"], ["c", "b", "a", "d"]),
        (["d", "c", "b"], ["a", "d", "c", "b"]),
        (["b"], ["a", "b", "c", "d"]),  # one category keeps its slot
        (["a", "b"], ["a", "b", "c", "d"]),  # already in order
    ],
)
def test_a_partial_list_permutes_its_members_among_the_slots_they_hold(
    api: Api, brand: Json, ids: dict[str, str], partial: list[str], expected: list[str]
) -> None:
    reorder(api, brand, ids, partial)
    assert names(api, brand) == expected


def test_reorder_records_each_moved_category_only(
    api: Api, brand: Json, session: Session, ids: dict[str, str]
) -> None:
    reorder(api, brand, ids, ["a", "c", "b", "d"])

    moved = activity(session, brand["id"], event="category.updated")
    assert sorted(e.entity_id for e in moved) == sorted([ids["b"], ids["c"]])
    by_id = {e.entity_id: e.changes for e in moved}
    assert by_id[ids["c"]] == {"sortOrder": {"old": 2, "new": 1}}
    assert by_id[ids["b"]] == {"sortOrder": {"old": 1, "new": 2}}


def test_deleting_a_category_closes_the_gap_in_the_order(
    api: Api, brand: Json, ids: dict[str, str]
) -> None:
    api.ok("delete", categories_path(brand, f"/{ids['b']}"), 204)

    listed = list_categories(api, brand)
    assert [(c["name"], c["sortOrder"]) for c in listed] == [("a", 0), ("c", 1), ("d", 2)]


@pytest.mark.parametrize(
    "body",
    [
        {"categoryIds": []},
        {"categoryIds": "cat_x"},
        {"categoryIds": [1, 2]},
        {},
        {"categoryIds": None},
    ],
)
def test_a_malformed_reorder_is_422_and_changes_nothing(
    api: Api, brand: Json, session: Session, ids: dict[str, str], body: Json
) -> None:
    before, rows = list_categories(api, brand), count_rows(session, brand["id"])

    problem = assert_problem(
        api.post(categories_path(brand, "/reorder"), json=body), 422, "validation_error"
    )

    assert error_fields(problem) <= {"categoryIds", "categoryIds.0", "categoryIds.1"}
    assert list_categories(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


def test_a_repeated_id_is_refused(
    api: Api, brand: Json, session: Session, ids: dict[str, str]
) -> None:
    before, rows = list_categories(api, brand), count_rows(session, brand["id"])
    body = {"categoryIds": [ids["b"], ids["a"], ids["b"]]}

    problem = assert_problem(
        api.post(categories_path(brand, "/reorder"), json=body), 422, "validation_error"
    )

    assert error_fields(problem) == {"categoryIds"}
    assert list_categories(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


def test_unknown_deleted_or_foreign_ids_are_refused_and_nothing_moves(
    api: Api, brand: Json, session: Session, ids: dict[str, str], sibling_brand: Json
) -> None:
    foreign = make_category(api, sibling_brand, name="Foreign")["id"]
    api.ok("delete", categories_path(brand, f"/{ids['d']}"), 204)
    before, rows = list_categories(api, brand), count_rows(session, brand["id"])

    for stranger in ("cat_unknown", ids["d"], foreign):
        body = {"categoryIds": [ids["c"], stranger, ids["a"]]}
        problem = assert_problem(
            api.post(categories_path(brand, "/reorder"), json=body), 422, "unknown_category"
        )
        assert stranger in problem["message"]
        assert error_fields(problem) == {"categoryIds"}

    assert list_categories(api, brand) == before
    assert count_rows(session, brand["id"]) == rows
