"""Merging tags, in both reference forms: `POST /tags/merge {sourceTagIds, targetTagId}`
(dashboard) and `POST /tags/{targetTagId}/merge {sourceTagIds}` (SDK)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, activity, count_rows, events_of_type
from tests.conftest import Api, make_ticket
from tests.statuses.helpers import assert_problem, error_fields
from tests.tags.helpers import counts, linked_names, list_tags, make_tag, tag_ticket, tags_path

Merge = Callable[[Api, Json, Json, list[Json]], Any]


def dashboard_form(api: Api, brand: Json, target: Json, sources: list[Json]) -> Any:
    body = {"sourceTagIds": [s["id"] for s in sources], "targetTagId": target["id"]}
    return api.post(tags_path(brand, "/merge"), json=body)


def sdk_form(api: Api, brand: Json, target: Json, sources: list[Json]) -> Any:
    body = {"sourceTagIds": [s["id"] for s in sources]}
    return api.post(tags_path(brand, f"/{target['id']}/merge"), json=body)


@pytest.fixture(params=[dashboard_form, sdk_form], ids=["dashboard", "sdk"])
def merge(request: pytest.FixtureRequest) -> Merge:
    form: Merge = request.param
    return form


def test_merge_moves_tickets_to_the_target_and_deletes_the_sources(
    api: Api, brand: Json, session: Session, vip: Json, bug: Json, defect: Json, merge: Merge
) -> None:
    only_defect = make_ticket(api, brand, title="Only defect")
    both = make_ticket(api, brand, title="Bug and defect")
    untouched = make_ticket(api, brand, title="VIP only")
    tag_ticket(api, session, brand, only_defect, defect)
    tag_ticket(api, session, brand, both, bug, defect)
    tag_ticket(api, session, brand, untouched, vip)

    response = merge(api, brand, bug, [defect])

    assert response.status_code == 200, response.text
    assert response.json()["id"] == bug["id"]
    assert response.json()["name"] == "bug"
    assert linked_names(session, only_defect) == ["bug"]
    assert linked_names(session, both) == ["bug"]  # once, not twice
    assert linked_names(session, untouched) == ["VIP"]
    assert [t["name"] for t in list_tags(api, brand)] == ["bug", "VIP"]
    assert_problem(api.get(tags_path(brand, f"/{defect['id']}")), 404, "tag_not_found")
    assert counts(api, brand) == {"bug": 2, "VIP": 1}


def test_several_sources_merge_at_once(
    api: Api, brand: Json, session: Session, vip: Json, bug: Json, defect: Json, merge: Merge
) -> None:
    issue = make_tag(api, brand, "issue")
    tickets = [make_ticket(api, brand, title=f"T{i}") for i in range(3)]
    tag_ticket(api, session, brand, tickets[0], bug)
    tag_ticket(api, session, brand, tickets[1], issue, vip)
    tag_ticket(api, session, brand, tickets[2], bug, defect, issue)

    assert merge(api, brand, defect, [bug, issue]).status_code == 200

    assert [linked_names(session, t) for t in tickets] == [
        ["Defect"],
        ["Defect", "VIP"],
        ["Defect"],
    ]
    assert [t["name"] for t in list_tags(api, brand)] == ["Defect", "VIP"]


def test_merge_writes_activity_per_ticket_and_events_per_tag(
    api: Api, brand: Json, session: Session, bug: Json, defect: Json, merge: Merge
) -> None:
    only_defect = make_ticket(api, brand, title="Only defect")
    both = make_ticket(api, brand, title="Both")
    tag_ticket(api, session, brand, only_defect, defect)
    tag_ticket(api, session, brand, both, bug, defect)
    before = len(activity(session, brand["id"], event="tag.added_to_ticket"))

    merge(api, brand, bug, [defect])

    removed = activity(session, brand["id"], event="tag.removed_from_ticket")
    assert sorted((e.ticket_id, e.entity_id) for e in removed) == sorted(
        [(only_defect["id"], defect["id"]), (both["id"], defect["id"])]
    )
    assert all(e.metadata_ == {"tagName": "Defect", "mergedIntoTagId": bug["id"]} for e in removed)
    added = activity(session, brand["id"], event="tag.added_to_ticket")[before:]
    assert [(e.ticket_id, e.entity_id) for e in added] == [(only_defect["id"], bug["id"])]
    assert added[0].metadata_ == {"tagName": "bug", "mergedFromTagIds": [defect["id"]]}

    (merged,) = events_of_type(session, brand["id"], "tag.merged")
    assert merged.data["id"] == bug["id"]
    assert merged.data["sourceTagIds"] == [defect["id"]]
    assert merged.data["ticketCount"] == 2
    (deleted,) = events_of_type(session, brand["id"], "tag.deleted")
    assert (deleted.data["id"], deleted.data["mergedIntoTagId"]) == (defect["id"], bug["id"])
    entries = activity(session, brand["id"], entity_type="tag", ticket_id=None)
    assert [e.event for e in entries][-2:] == ["tag.deleted", "tag.merged"]


def test_merging_tags_without_tickets_just_deletes_the_sources(
    api: Api, brand: Json, bug: Json, defect: Json, merge: Merge
) -> None:
    assert merge(api, brand, bug, [defect]).json()["id"] == bug["id"]
    assert [t["name"] for t in list_tags(api, brand)] == ["bug", "VIP"]


def test_merging_a_tag_into_itself_is_refused(
    api: Api, brand: Json, session: Session, bug: Json, defect: Json, merge: Merge
) -> None:
    before, rows = list_tags(api, brand), count_rows(session, brand["id"])

    problem = assert_problem(merge(api, brand, bug, [defect, bug]), 422, "invalid_tag_merge")

    assert error_fields(problem) == {"sourceTagIds"}
    assert list_tags(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


def test_merging_unknown_deleted_or_foreign_tags_is_refused(
    api: Api,
    brand: Json,
    session: Session,
    bug: Json,
    defect: Json,
    sibling_brand: Json,
    merge: Merge,
) -> None:
    foreign = make_tag(api, sibling_brand, "outlet")
    gone = make_tag(api, brand, "gone")
    api.ok("delete", tags_path(brand, f"/{gone['id']}"), 204)
    ticket = make_ticket(api, brand)
    tag_ticket(api, session, brand, ticket, defect)
    before, rows = list_tags(api, brand), count_rows(session, brand["id"])

    for stranger in ({"id": "tag_unknown"}, gone, foreign):
        problem = assert_problem(
            merge(api, brand, bug, [defect, stranger]), 422, "invalid_tag_merge"
        )
        assert stranger["id"] in problem["message"]
        assert error_fields(problem) == {"sourceTagIds"}

    assert list_tags(api, brand) == before
    assert count_rows(session, brand["id"]) == rows
    assert linked_names(session, ticket) == ["Defect"]


def test_an_unknown_target_is_422_in_the_body_and_404_in_the_path(
    api: Api, brand: Json, session: Session, bug: Json, sibling_brand: Json
) -> None:
    foreign = make_tag(api, sibling_brand, "outlet")
    before, rows = list_tags(api, brand), count_rows(session, brand["id"])

    for target in ({"id": "tag_unknown"}, foreign):
        problem = assert_problem(
            dashboard_form(api, brand, target, [bug]), 422, "invalid_tag_merge"
        )
        assert error_fields(problem) == {"targetTagId"}
        assert_problem(sdk_form(api, brand, target, [bug]), 404, "tag_not_found")

    assert list_tags(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


@pytest.mark.parametrize(
    "body",
    [
        {"sourceTagIds": []},
        {"sourceTagIds": "tag_x"},
        {"sourceTagIds": ["tag_a", "tag_a"]},
        {"targetTagId": "tag_x"},
        {"sourceTagIds": ["tag_a"], "targetTagId": ""},
        {"sourceTagIds": ["tag_a"], "targetTagId": "tag_b", "extra": 1},
    ],
)
def test_a_malformed_merge_body_is_422(
    api: Api, brand: Json, session: Session, bug: Json, body: Json
) -> None:
    before, rows = list_tags(api, brand), count_rows(session, brand["id"])
    assert_problem(api.post(tags_path(brand, "/merge"), json=body), 422, "validation_error")
    assert list_tags(api, brand) == before
    assert count_rows(session, brand["id"]) == rows


def test_the_sdk_form_refuses_a_target_id_in_the_body(
    api: Api, brand: Json, bug: Json, defect: Json
) -> None:
    body = {"sourceTagIds": [defect["id"]], "targetTagId": bug["id"]}
    response = api.post(tags_path(brand, f"/{bug['id']}/merge"), json=body)
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"targetTagId"}
    assert len(list_tags(api, brand)) == 3
