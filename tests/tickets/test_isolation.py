"""Tenant and brand isolation, and bad input refused with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import error_fields, get_ticket, problem, ticket_path, tickets_path

ACCESSES = [
    ("get", None),
    ("patch", {"title": "hijacked"}),
    ("delete", None),
    ("get_logs", None),
]


def _call(api: Api, action: str, path: str, body: dict[str, Any] | None) -> Any:
    if action == "get_logs":
        return api.get(f"{path}/logs")
    if body is not None:
        return getattr(api, action)(path, json=body)
    return getattr(api, action)(path)


@pytest.mark.parametrize(("action", "body"), ACCESSES)
def test_another_account_gets_404_for_a_ticket(
    api: Api,
    brand: dict[str, Any],
    other_api: Api,
    other_brand: dict[str, Any],
    action: str,
    body: dict[str, Any] | None,
) -> None:
    ticket = make_ticket(api, brand)

    # Through the owner's brand id, and through its own brand with the foreign ticket id.
    problem(_call(other_api, action, ticket_path(brand, ticket), body), 404, "brand_not_found")
    problem(
        _call(other_api, action, ticket_path(other_brand, ticket), body), 404, "ticket_not_found"
    )

    assert get_ticket(api, brand, ticket) == ticket


@pytest.mark.parametrize(("action", "body"), ACCESSES)
def test_a_ticket_of_another_brand_of_the_same_account_is_404(
    api: Api, brand: dict[str, Any], action: str, body: dict[str, Any] | None
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})
    ticket = make_ticket(api, second)

    problem(_call(api, action, ticket_path(brand, ticket), body), 404, "ticket_not_found")

    assert get_ticket(api, second, ticket) == ticket


def test_another_account_cannot_list_or_create_in_a_brand(
    api: Api, brand: dict[str, Any], other_api: Api
) -> None:
    make_ticket(api, brand)

    problem(other_api.get(tickets_path(brand)), 404, "brand_not_found")
    problem(other_api.post(tickets_path(brand), json={"title": "spam"}), 404, "brand_not_found")
    problem(other_api.get(f"/brands/{brand['id']}/logs"), 404, "brand_not_found")

    assert len(api.ok("get", tickets_path(brand))["data"]) == 1


@pytest.fixture
def scoped(api: Api) -> tuple[Api, dict[str, Any]]:
    """A key limited to one brand of the account, and that brand."""
    allowed = api.ok("post", "/brands", 201, json={"name": "Allowed Brand"})
    issued = api.ok(
        "post", "/accounts/me/api-keys", 201, json={"name": "Scoped", "brandIds": [allowed["id"]]}
    )
    assert issued["allBrands"] is False
    return Api(api.client, issued["key"], api.account_id), allowed


@pytest.mark.parametrize(("action", "body"), ACCESSES)
def test_a_brand_scoped_key_gets_404_for_tickets_outside_its_brands(
    api: Api,
    brand: dict[str, Any],
    scoped: tuple[Api, dict[str, Any]],
    action: str,
    body: dict[str, Any] | None,
) -> None:
    scoped_api, allowed = scoped
    ticket = make_ticket(api, brand)

    problem(_call(scoped_api, action, ticket_path(brand, ticket), body), 404, "brand_not_found")
    problem(_call(scoped_api, action, ticket_path(allowed, ticket), body), 404, "ticket_not_found")

    assert get_ticket(api, brand, ticket) == ticket


def test_a_brand_scoped_key_cannot_list_or_create_outside_its_brands(
    api: Api, brand: dict[str, Any], scoped: tuple[Api, dict[str, Any]]
) -> None:
    scoped_api, _allowed = scoped
    make_ticket(api, brand)

    problem(scoped_api.get(tickets_path(brand)), 404, "brand_not_found")
    problem(scoped_api.post(tickets_path(brand), json={"title": "x"}), 404, "brand_not_found")
    problem(scoped_api.get(f"/brands/{brand['id']}/logs"), 404, "brand_not_found")
    assert len(api.ok("get", tickets_path(brand))["data"]) == 1


def test_a_brand_scoped_key_works_inside_its_brand(
    api: Api, scoped: tuple[Api, dict[str, Any]]
) -> None:
    scoped_api, allowed = scoped

    ticket = make_ticket(scoped_api, allowed)
    updated = scoped_api.ok("patch", ticket_path(allowed, ticket), json={"priority": "high"})

    assert updated["priority"] == "high"
    assert updated["createdBy"] == "Scoped"
    assert [t["id"] for t in scoped_api.ok("get", tickets_path(allowed))["data"]] == [ticket["id"]]


def test_without_a_valid_key_the_ticket_api_is_401(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)
    stranger = Api(api.client, "sk_live_not_a_real_key", "")

    problem(stranger.get(ticket_path(brand, ticket)), 401)
    problem(api.client.get(f"/v1{ticket_path(brand, ticket)}"), 401)


def test_errors_carry_the_request_id_of_the_response(api: Api, brand: dict[str, Any]) -> None:
    response = api.get(ticket_path(brand, "tkt_missing"))

    body = problem(response, 404, "ticket_not_found")
    assert body["requestId"] == response.headers["X-Request-Id"]
    assert body["detail"] == body["message"]
    assert body["type"]
    assert body["title"]


@pytest.mark.parametrize("field", ["unknownField", "status_id", "customer_email", "workspaceId"])
def test_create_with_an_unknown_field_is_422_naming_it(
    api: Api, brand: dict[str, Any], field: str
) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", field: "value"})

    assert error_fields(problem(response, 422, "validation_error")) == [field]
    assert api.ok("get", tickets_path(brand))["data"] == []


@pytest.mark.parametrize("field", ["unknownField", "ticketNumber", "createdBy", "source", "id"])
def test_patch_with_an_unknown_or_read_only_field_is_422_naming_it(
    api: Api, brand: dict[str, Any], field: str
) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"title": "changed", field: "value"})

    assert error_fields(problem(response, 422, "validation_error")) == [field]
    assert get_ticket(api, brand, ticket) == ticket


WRONG_TYPES = [
    ("title", 123),
    ("title", ["a"]),
    ("body", {"text": "x"}),
    ("priority", 3),
    ("status", 1),
    ("customFields", "plain"),
    ("metadata", [1, 2]),
    ("links", {"url": "https://example.com"}),
    ("dueAt", "next tuesday"),
    ("assigneeEmail", "not-an-email"),
    ("closeReason", True),
]


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
def test_create_with_a_wrong_type_is_422_naming_the_field(
    api: Api, brand: dict[str, Any], field: str, value: Any
) -> None:
    body = {"title": "x", field: value}

    fields = error_fields(problem(api.post(tickets_path(brand), json=body), 422))

    assert fields
    assert all(f == field or f.startswith(f"{field}.") for f in fields), fields
    assert api.ok("get", tickets_path(brand))["data"] == []


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
def test_patch_with_a_wrong_type_is_422_and_changes_nothing(
    api: Api, brand: dict[str, Any], field: str, value: Any
) -> None:
    ticket = make_ticket(api, brand)

    fields = error_fields(problem(api.patch(ticket_path(brand, ticket), json={field: value}), 422))

    assert all(f == field or f.startswith(f"{field}.") for f in fields), fields
    assert get_ticket(api, brand, ticket) == ticket


def test_title_of_501_characters_is_refused_and_500_accepted(
    api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand, title="t" * 500)

    assert error_fields(problem(api.post(tickets_path(brand), json={"title": "t" * 501}), 422)) == [
        "title"
    ]
    response = api.patch(ticket_path(brand, ticket), json={"title": "u" * 501})
    assert error_fields(problem(response, 422)) == ["title"]
    assert get_ticket(api, brand, ticket) == ticket
    assert len(ticket["title"]) == 500


@pytest.mark.parametrize("body", [{}, [], ["title"], "title", 42, None])
def test_patch_with_an_empty_or_non_object_body_is_422(
    api: Api, brand: dict[str, Any], body: Any
) -> None:
    ticket = make_ticket(api, brand)

    problem(api.patch(ticket_path(brand, ticket), json=body), 422, "validation_error")

    assert get_ticket(api, brand, ticket) == ticket


def test_patch_with_a_body_that_is_not_json_is_400(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(
        ticket_path(brand, ticket),
        content=b'{"title": ',
        headers={"Content-Type": "application/json"},
    )

    problem(response, 400, "invalid_json")
    assert get_ticket(api, brand, ticket) == ticket


def test_patch_with_an_unknown_status_key_is_422(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"status": "in_review"})

    assert error_fields(problem(response, 422, "unknown_status")) == ["status"]
    assert get_ticket(api, brand, ticket) == ticket


def test_patch_with_an_unknown_status_id_is_422(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"statusId": "sts_doesnotexist"})

    assert error_fields(problem(response, 422, "unknown_status")) == ["statusId"]
    assert get_ticket(api, brand, ticket) == ticket


def test_status_id_of_another_brand_of_the_account_is_422(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})
    foreign = make_status(api, second, name="Escalated", key="escalated")
    foreign_closed = next(
        s for s in api.ok("get", f"/brands/{second['id']}/statuses") if s["key"] == "closed"
    )
    ticket = make_ticket(api, brand)

    for status_id in (foreign["id"], foreign_closed["id"]):
        response = api.patch(ticket_path(brand, ticket), json={"statusId": status_id})
        assert error_fields(problem(response, 422, "unknown_status")) == ["statusId"]
        create = api.post(tickets_path(brand), json={"title": "x", "statusId": status_id})
        assert error_fields(problem(create, 422, "unknown_status")) == ["statusId"]

    problem(api.patch(ticket_path(brand, ticket), json={"status": "escalated"}), 422)
    assert get_ticket(api, brand, ticket) == ticket
    assert len(api.ok("get", tickets_path(brand))["data"]) == 1


def test_status_id_of_another_account_is_422(
    api: Api, brand: dict[str, Any], other_api: Api, other_brand: dict[str, Any]
) -> None:
    foreign = other_api.ok("get", f"/brands/{other_brand['id']}/statuses")[0]
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"statusId": foreign["id"]})

    assert error_fields(problem(response, 422, "unknown_status")) == ["statusId"]
    assert get_ticket(api, brand, ticket) == ticket


@pytest.mark.parametrize(("action", "body"), ACCESSES)
def test_a_ticket_id_with_a_nul_character_is_refused_before_routing(
    api: Api, brand: dict[str, Any], action: str, body: dict[str, Any] | None
) -> None:
    make_ticket(api, brand)

    response = _call(api, action, ticket_path(brand, "tkt_%00x"), body)

    problem(response, 400, "invalid_characters")


def test_an_over_long_ticket_id_in_the_path_is_refused(api: Api, brand: dict[str, Any]) -> None:
    response = api.get(ticket_path(brand, "tkt_" + "x" * 100))

    assert error_fields(problem(response, 422, "validation_error")) == ["ticketId"]


NUL_VALUES = [
    ("title", "Login\x00"),
    ("body", "text\x00more"),
    ("customFields", {"plan": "pro\x00"}),
    ("metadata", {"key\x00": 1}),
    ("links", ["https://example.com/\x00"]),
    ("assigneeEmail", "a\x00@example.com"),
]


@pytest.mark.parametrize(("field", "value"), [*NUL_VALUES, ("customerName", "Jane\x00")])
def test_create_refuses_nul_characters_naming_the_field(
    api: Api, brand: dict[str, Any], field: str, value: Any
) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", field: value})

    assert error_fields(problem(response, 422)) == [field]
    assert api.ok("get", tickets_path(brand))["data"] == []


@pytest.mark.parametrize(("field", "value"), NUL_VALUES)
def test_patch_refuses_nul_characters_and_changes_nothing(
    api: Api, brand: dict[str, Any], field: str, value: Any
) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={field: value})

    assert error_fields(problem(response, 422)) == [field]
    assert get_ticket(api, brand, ticket) == ticket
