"""Refused input: every case answers the API's error format with a stable code, and
nothing changes (the statuses are listed again and compared, tickets re-read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_status, make_ticket
from tests.statuses.helpers import (
    Json,
    assert_problem,
    error_fields,
    get_ticket,
    list_statuses,
    statuses_path,
    ticket_events,
    ticket_logs,
    tickets_path,
)


@pytest.fixture
def unchanged(api: Api, brand: Json, in_progress: Json) -> Iterator[None]:
    """Snapshot the brand's statuses before the test and compare after it."""
    before = list_statuses(api, brand)
    yield
    assert list_statuses(api, brand) == before


# --- Create -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "color", ["red", "#12345", "#gggggg", "8b5cf6", "#8b5cf6ff", "#fff", "", 123, None]
)
def test_create_refuses_an_invalid_color(
    api: Api, brand: Json, unchanged: None, color: Any
) -> None:
    response = api.post(
        statuses_path(brand), json={"name": "Blocked", "key": "blocked", "color": color}
    )
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"color"}


@pytest.mark.parametrize(
    "key",
    ["In Progress", "UPPER", "Upper_case", "in-progress", "in progress", "a" * 51, "ü", 7],
)
def test_create_refuses_an_invalid_key(api: Api, brand: Json, unchanged: None, key: Any) -> None:
    response = api.post(statuses_path(brand), json={"name": "Blocked", "key": key})
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"key"}


@pytest.mark.parametrize("key", ["active", "inactive", "spam", "all", "null", "none"])
def test_create_refuses_a_reserved_key(api: Api, brand: Json, unchanged: None, key: str) -> None:
    response = api.post(statuses_path(brand), json={"name": "Reserved", "key": key})
    problem = assert_problem(response, 422, "validation_error")
    assert error_fields(problem) == {"key"}
    assert "reserved" in problem["errors"][0]["message"]


@pytest.mark.parametrize("key", ["in_progress", "open", "pending", "resolved", "closed"])
def test_create_refuses_a_duplicate_key(api: Api, brand: Json, unchanged: None, key: str) -> None:
    response = api.post(statuses_path(brand), json={"name": "Something New", "key": key})
    assert key in assert_problem(response, 409, "status_key_taken")["message"]


@pytest.mark.parametrize("name", ["In Progress", "in progress", "OPEN", "  Closed  "])
def test_create_refuses_a_duplicate_name(api: Api, brand: Json, unchanged: None, name: str) -> None:
    response = api.post(statuses_path(brand), json={"name": name, "key": "something_new"})
    assert_problem(response, 409, "status_name_taken")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "N" * 101, "key": "long_name"}, "name"),
        ({"name": "Long", "key": "long", "description": "d" * 1001}, "description"),
        ({"name": 12, "key": "numeric"}, "name"),
        ({"name": "Neg", "key": "neg", "sortOrder": -1}, "sortOrder"),
        ({"name": "Flag", "key": "flag", "isSystem": True}, "isSystem"),
        ({"name": "Snake", "key": "snake", "sort_order": 2}, "sort_order"),
        ({"name": "Extra", "key": "extra", "icon": "star"}, "icon"),
    ],
)
def test_create_refuses_bad_or_unknown_fields(
    api: Api, brand: Json, unchanged: None, body: Json, field: str
) -> None:
    problem = assert_problem(api.post(statuses_path(brand), json=body), 422, "validation_error")
    assert error_fields(problem) == {field}
    if field in ("isSystem", "sort_order", "icon"):
        assert problem["errors"] == [{"field": field, "message": "Unknown field"}]


def test_create_refuses_a_body_that_is_not_json(api: Api, brand: Json, unchanged: None) -> None:
    response = api.post(
        statuses_path(brand),
        content=b"{name: In Progress",
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400, "invalid_json")


# --- Update -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["open", "in_progress"])
@pytest.mark.parametrize("color", ["red", "#12345", "#gggggg", "blue "])
def test_update_refuses_an_invalid_color(
    api: Api, brand: Json, unchanged: None, target: str, color: str
) -> None:
    status = next(s for s in list_statuses(api, brand) if s["key"] == target)
    response = api.patch(statuses_path(brand, f"/{status['id']}"), json={"color": color})
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"color"}


@pytest.mark.parametrize("target", ["open", "closed", "in_progress"])
def test_update_refuses_a_key_change(api: Api, brand: Json, unchanged: None, target: str) -> None:
    status = next(s for s in list_statuses(api, brand) if s["key"] == target)
    response = api.patch(
        statuses_path(brand, f"/{status['id']}"), json={"key": "renamed_key", "name": "Renamed"}
    )
    problem = assert_problem(response, 422, "status_key_immutable")
    assert error_fields(problem) == {"key"}


@pytest.mark.parametrize(
    ("target", "is_active"),
    [
        ("resolved", True),
        ("closed", True),
        ("open", False),
        ("pending", False),
        ("in_progress", False),
    ],
)
def test_update_refuses_an_is_active_that_contradicts_the_status(
    api: Api, brand: Json, unchanged: None, target: str, is_active: bool
) -> None:
    status = next(s for s in list_statuses(api, brand) if s["key"] == target)
    response = api.patch(
        statuses_path(brand, f"/{status['id']}"), json={"isActive": is_active, "name": "Changed"}
    )
    assert error_fields(assert_problem(response, 422, "status_activity_fixed")) == {"isActive"}


def test_update_accepts_an_is_active_that_matches_the_status(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    for key, active in (("open", True), ("resolved", False)):
        status_path = statuses_path(brand, f"/{statuses[key]['id']}")
        updated = api.ok("patch", status_path, json={"isActive": active, "name": f"{key} again"})
        assert (updated["isActive"], updated["name"]) == (active, f"{key} again")


@pytest.mark.parametrize("name", ["Open", "PENDING", "in progress"])
def test_update_refuses_a_name_another_status_has(
    api: Api, brand: Json, unchanged: None, name: str
) -> None:
    closed = next(s for s in list_statuses(api, brand) if s["key"] == "closed")
    response = api.patch(statuses_path(brand, f"/{closed['id']}"), json={"name": name})
    assert_problem(response, 409, "status_name_taken")


def test_update_may_change_the_case_of_a_status_own_name(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    updated = api.ok(
        "patch", statuses_path(brand, f"/{statuses['open']['id']}"), json={"name": "OPEN"}
    )
    assert updated["name"] == "OPEN"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": None}, "name", "validation_error"),
        ({"name": ""}, "name", "validation_error"),
        ({"name": "N" * 101}, "name", "validation_error"),
        ({"description": "d" * 1001}, "description", "validation_error"),
        ({"isSystem": False}, "isSystem", "validation_error"),
        ({"brandId": "br_elsewhere"}, "brandId", "validation_error"),
        ({"color": "#8b5cf6", "shade": "dark"}, "shade", "validation_error"),
    ],
)
def test_update_refuses_bad_or_unknown_fields(
    api: Api, brand: Json, unchanged: None, in_progress: Json, body: Json, field: str, code: str
) -> None:
    response = api.patch(statuses_path(brand, f"/{in_progress['id']}"), json=body)
    assert error_fields(assert_problem(response, 422, code)) == {field}


# --- Reorder ------------------------------------------------------------------------------


def test_reorder_refuses_unknown_fields(
    api: Api, brand: Json, unchanged: None, in_progress: Json
) -> None:
    response = api.post(
        statuses_path(brand, "/reorder"), json={"statusIds": [in_progress["id"]], "order": "asc"}
    )
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"] == [{"field": "order", "message": "Unknown field"}]


# --- Other brands and accounts ------------------------------------------------------------


def test_status_of_another_brand_of_the_account_is_not_found_through_this_brand(
    api: Api, brand: Json, sibling_brand: Json, unchanged: None
) -> None:
    theirs = make_status(api, sibling_brand, name="Theirs", key="theirs")
    before = list_statuses(api, sibling_brand)
    status_path = statuses_path(brand, f"/{theirs['id']}")
    assert_problem(api.get(status_path), 404, "status_not_found")
    assert_problem(api.patch(status_path, json={"name": "Mine now"}), 404, "status_not_found")
    assert_problem(api.delete(status_path), 404, "status_not_found")
    assert list_statuses(api, sibling_brand) == before


def test_statuses_of_another_account_are_not_found(
    api: Api, brand: Json, other_api: Api, other_brand: Json, unchanged: None
) -> None:
    theirs = list_statuses(other_api, other_brand)
    custom = make_status(other_api, other_brand, name="Theirs", key="theirs")
    before = list_statuses(other_api, other_brand)
    attempts = [
        api.get(statuses_path(other_brand)),
        api.get(statuses_path(other_brand, "/stats")),
        api.get(statuses_path(other_brand, f"/{theirs[0]['id']}")),
        api.patch(statuses_path(other_brand, f"/{theirs[0]['id']}"), json={"name": "Hijacked"}),
        api.delete(statuses_path(other_brand, f"/{custom['id']}")),
        api.post(statuses_path(other_brand), json={"name": "Planted", "key": "planted"}),
        api.post(statuses_path(other_brand, "/reorder"), json={"statusIds": [custom["id"]]}),
        # Their status id through our own brand: not found either.
        api.get(statuses_path(brand, f"/{custom['id']}")),
        api.patch(statuses_path(brand, f"/{custom['id']}"), json={"name": "Hijacked"}),
    ]
    for response in attempts:
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert "Theirs" not in response.text
    assert list_statuses(other_api, other_brand) == before


def test_a_brand_scoped_key_cannot_reach_statuses_of_other_brands(
    api: Api, brand: Json, sibling_brand: Json
) -> None:
    issued = api.ok(
        "post",
        "/accounts/me/api-keys",
        201,
        json={"name": "Scoped", "allBrands": False, "brandIds": [brand["id"]]},
    )
    scoped = Api(api.client, issued["key"], api.account_id)
    assert len(list_statuses(scoped, brand)) == 4
    before = list_statuses(api, sibling_brand)
    assert scoped.get(statuses_path(sibling_brand)).status_code == 404
    response = scoped.post(statuses_path(sibling_brand), json={"name": "Planted", "key": "planted"})
    assert response.status_code == 404
    assert list_statuses(api, sibling_brand) == before


def test_status_id_longer_than_any_id_is_refused(api: Api, brand: Json) -> None:
    response = api.get(statuses_path(brand, "/sts_" + "x" * 80))
    assert response.status_code == 422


# --- Delete with a bad replacement --------------------------------------------------------


@pytest.fixture
def used(api: Api, brand: Json, in_progress: Json) -> Json:
    """A ticket on the custom status about to be deleted."""
    return make_ticket(api, brand, status="in_progress")


def _replacement_cases() -> list[Any]:
    return [
        pytest.param({"replacementStatusId": "SELF"}, 422, "validation_error", id="self-by-id"),
        pytest.param(
            {"replacementStatusKey": "in_progress"}, 422, "validation_error", id="self-by-key"
        ),
        pytest.param(
            {"replacementStatusId": "sts_unknown00000000000000"},
            422,
            "unknown_status",
            id="unknown-id",
        ),
        pytest.param(
            {"replacementStatusKey": "no_such_status"}, 422, "unknown_status", id="unknown-key"
        ),
        pytest.param(
            {"replacementStatusId": "SIBLING"}, 422, "unknown_status", id="other-brand-id"
        ),
        pytest.param({"replacementStatusKey": "active"}, 422, "unknown_status", id="alias-key"),
        pytest.param(
            {"replacementStatusId": "OPEN", "replacementStatusKey": "pending"},
            422,
            "validation_error",
            id="both-id-and-key",
        ),
    ]


def _resolve(given: Json, in_progress: Json, statuses: dict[str, Json], sibling: Json) -> Json:
    names = {"SELF": in_progress["id"], "OPEN": statuses["open"]["id"], "SIBLING": sibling["id"]}
    return {k: names.get(v, v) for k, v in given.items()}


@pytest.mark.parametrize("where", ["query", "body"])
@pytest.mark.parametrize(("given", "status", "code"), _replacement_cases())
def test_delete_refuses_a_bad_replacement_and_moves_nothing(
    api: Api,
    brand: Json,
    session: Session,
    statuses: dict[str, Json],
    in_progress: Json,
    sibling_brand: Json,
    used: Json,
    unchanged: None,
    where: str,
    given: Json,
    status: int,
    code: str,
) -> None:
    sibling = make_status(api, sibling_brand, name="Elsewhere", key="elsewhere")
    replacement = _resolve(given, in_progress, statuses, sibling)
    kwargs = {"params": replacement} if where == "query" else {"json": replacement}
    response = api.delete(statuses_path(brand, f"/{in_progress['id']}"), **kwargs)
    problem = assert_problem(response, status, code)
    assert error_fields(problem) & {"replacementStatusId", "replacementStatusKey"}
    assert get_ticket(api, brand, used) == used
    assert ticket_events(session, used["id"], "ticket.updated") == []


def test_delete_refuses_an_id_in_the_query_and_a_key_in_the_body(
    api: Api, brand: Json, statuses: dict[str, Json], in_progress: Json, used: Json, unchanged: None
) -> None:
    response = api.delete(
        statuses_path(brand, f"/{in_progress['id']}"),
        params={"replacementStatusId": statuses["open"]["id"]},
        json={"replacementStatusKey": "pending"},
    )
    assert_problem(response, 422, "validation_error")
    assert get_ticket(api, brand, used) == used


def test_delete_refuses_different_replacements_in_query_and_body(
    api: Api, brand: Json, statuses: dict[str, Json], in_progress: Json, used: Json, unchanged: None
) -> None:
    response = api.delete(
        statuses_path(brand, f"/{in_progress['id']}"),
        params={"replacementStatusId": statuses["open"]["id"]},
        json={"replacementStatusId": statuses["pending"]["id"]},
    )
    assert error_fields(assert_problem(response, 422, "validation_error")) == {
        "replacementStatusId"
    }
    assert get_ticket(api, brand, used) == used


def test_delete_accepts_the_same_replacement_in_query_and_body(
    api: Api, brand: Json, statuses: dict[str, Json], in_progress: Json, used: Json
) -> None:
    pending = statuses["pending"]["id"]
    result = api.ok(
        "delete",
        statuses_path(brand, f"/{in_progress['id']}"),
        params={"replacementStatusId": pending},
        json={"replacementStatusId": pending},
    )
    assert result["movedTicketCount"] == 1
    assert get_ticket(api, brand, used)["statusId"] == pending


def test_delete_refuses_unknown_fields_in_the_body(
    api: Api, brand: Json, in_progress: Json, used: Json, unchanged: None
) -> None:
    response = api.delete(
        statuses_path(brand, f"/{in_progress['id']}"), json={"replacement": "open"}
    )
    problem = assert_problem(response, 422, "validation_error")
    assert problem["errors"] == [{"field": "replacement", "message": "Unknown field"}]


# --- Tickets naming statuses that do not fit ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "in_review"}, "unknown_status"),
        ({"status": "active"}, "unknown_status"),
        ({"status": "Resolved"}, "unknown_status"),
        ({"statusId": "sts_unknown00000000000000"}, "unknown_status"),
        ({"statusId": "SIBLING"}, "unknown_status"),
        ({"statusId": "OTHER_ACCOUNT"}, "unknown_status"),
        ({"status": "resolved", "statusId": "PENDING"}, "validation_error"),
    ],
)
def test_ticket_update_refuses_a_status_that_does_not_fit_and_changes_nothing(
    api: Api,
    brand: Json,
    session: Session,
    statuses: dict[str, Json],
    sibling_brand: Json,
    other_api: Api,
    other_brand: Json,
    unchanged: None,
    body: Json,
    code: str,
) -> None:
    ticket = make_ticket(api, brand)
    names = {
        "SIBLING": make_status(api, sibling_brand, name="Sibling", key="sibling")["id"],
        "OTHER_ACCOUNT": list_statuses(other_api, other_brand)[1]["id"],
        "PENDING": statuses["pending"]["id"],
    }
    payload = {k: names.get(v, v) for k, v in body.items()}
    logs_before = ticket_logs(api, brand, ticket)

    response = api.patch(tickets_path(brand, f"/{ticket['id']}"), json=payload)
    assert error_fields(assert_problem(response, 422, code)) & {"status", "statusId"}
    assert get_ticket(api, brand, ticket) == ticket
    assert ticket_logs(api, brand, ticket) == logs_before
    assert ticket_events(session, ticket["id"], "ticket.updated") == []


def test_ticket_create_refuses_an_unknown_status_and_creates_nothing(
    api: Api, brand: Json, unchanged: None
) -> None:
    response = api.post(tickets_path(brand), json={"title": "Lost", "status": "archived"})
    assert_problem(response, 422, "unknown_status")
    assert api.ok("get", tickets_path(brand))["data"] == []
