"""Creating tickets: defaults, the two customer forms, numbering, statuses and links."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_status, make_ticket
from tests.tickets.helpers import (
    add_member,
    error_fields,
    events_of_brand,
    get_ticket,
    problem,
    tickets_path,
)

PRIORITIES = ["low", "normal", "medium", "high", "urgent"]


def test_create_returns_201_with_the_full_ticket(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, title="Refund please", body="Order #12 arrived broken")

    assert ticket["id"].startswith("tkt_")
    assert ticket["brandId"] == brand["id"]
    assert ticket["accountId"] == api.account_id
    assert ticket["title"] == "Refund please"
    assert ticket["body"] == "Order #12 arrived broken"
    assert ticket["statusRef"]["key"] == "open"
    assert ticket["statusRef"]["id"] == ticket["statusId"]
    assert ticket["version"] == 1
    assert ticket["deletedAt"] is None
    assert ticket["createdAt"] == ticket["updatedAt"]
    assert get_ticket(api, brand, ticket) == ticket


@pytest.mark.parametrize("body", [{}, {"body": "no title"}, {"title": ""}, {"title": "   "}])
def test_create_requires_a_title(api: Api, brand: dict[str, Any], body: dict[str, Any]) -> None:
    response = api.post(tickets_path(brand), json=body)

    assert error_fields(problem(response, 422, "validation_error")) == ["title"]
    assert api.ok("get", tickets_path(brand))["data"] == []


def test_create_defaults_to_open_normal_and_source_api(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    ticket = api.ok("post", tickets_path(brand), 201, json={"title": "Only a title"})

    assert ticket["status"] == "open"
    assert ticket["statusId"] == statuses["open"]["id"]
    assert ticket["priority"] == "normal"
    assert ticket["source"] == "api"
    assert ticket["body"] is None
    assert ticket["closeReason"] is None
    assert ticket["assigneeId"] is None
    assert ticket["assigneeEmail"] is None
    assert ticket["customFields"] == {}
    assert ticket["metadata"] == {}
    assert ticket["links"] == []
    assert ticket["isSpam"] is False
    assert ticket["commentCount"] == 0
    assert ticket["attachmentCount"] == 0


@pytest.mark.parametrize("priority", PRIORITIES)
def test_create_accepts_each_of_the_five_priorities(
    api: Api, brand: dict[str, Any], priority: str
) -> None:
    ticket = make_ticket(api, brand, priority=priority)

    assert ticket["priority"] == priority
    assert get_ticket(api, brand, ticket)["priority"] == priority


def test_create_rejects_an_unknown_priority(api: Api, brand: dict[str, Any]) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "priority": "critical"})

    assert error_fields(problem(response, 422)) == ["priority"]


def test_create_keeps_the_given_source(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, source="web", sourceId="form-7")

    assert ticket["source"] == "web"
    assert ticket["sourceId"] == "form-7"


def test_create_stores_customer_email_and_name(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, customerEmail="Jane@Example.com", customerName="Jane Doe")

    assert ticket["customerEmail"] == "jane@example.com"
    assert ticket["customerName"] == "Jane Doe"
    stored = get_ticket(api, brand, ticket)
    assert stored["customerEmail"] == "jane@example.com"
    assert stored["customerName"] == "Jane Doe"


def test_create_reads_the_customer_from_custom_fields_requester(
    api: Api, brand: dict[str, Any]
) -> None:
    custom = {"requesterEmail": "sam@example.org", "requesterName": "Sam Lee", "plan": "pro"}
    ticket = make_ticket(api, brand, customFields=custom)

    stored = get_ticket(api, brand, ticket)
    assert stored["customerEmail"] == "sam@example.org"
    assert stored["customerName"] == "Sam Lee"
    assert stored["customFields"] == custom


def test_customer_email_wins_over_custom_fields_requester_email(
    api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(
        api,
        brand,
        customerEmail="direct@example.com",
        customFields={"requesterEmail": "form@example.com", "requesterName": "Form Name"},
    )

    assert ticket["customerEmail"] == "direct@example.com"
    assert ticket["customerName"] == "Form Name"


def test_create_rejects_an_invalid_requester_email_naming_the_custom_field(
    api: Api, brand: dict[str, Any]
) -> None:
    body = {"title": "x", "customFields": {"requesterEmail": "not-an-email"}}

    response = api.post(tickets_path(brand), json=body)

    assert error_fields(problem(response, 422)) == ["customFields.requesterEmail"]
    assert api.ok("get", tickets_path(brand))["data"] == []


def test_create_rejects_an_invalid_customer_email(api: Api, brand: dict[str, Any]) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "customerEmail": "nope"})

    assert error_fields(problem(response, 422)) == ["customerEmail"]


def test_ticket_numbers_start_at_1001_and_increment_per_brand_independently(
    api: Api, brand: dict[str, Any], other_api: Api, other_brand: dict[str, Any]
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})

    numbers = [make_ticket(api, brand)["ticketNumber"] for _ in range(3)]
    second_numbers = [make_ticket(api, second)["ticketNumber"] for _ in range(2)]
    numbers.append(make_ticket(api, brand)["ticketNumber"])
    other_numbers = [make_ticket(other_api, other_brand)["ticketNumber"] for _ in range(2)]

    assert numbers == [1001, 1002, 1003, 1004]
    assert second_numbers == [1001, 1002]
    assert other_numbers == [1001, 1002]


def test_public_id_is_the_brand_prefix_and_the_ticket_number(
    api: Api, brand: dict[str, Any]
) -> None:
    first = make_ticket(api, brand)
    second = make_ticket(api, brand)

    assert brand["ticketPrefix"]
    assert first["publicId"] == f"{brand['ticketPrefix']}-1001"
    assert second["publicId"] == f"{brand['ticketPrefix']}-1002"


def test_create_with_a_status_key(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    ticket = make_ticket(api, brand, status="pending")

    assert ticket["status"] == "pending"
    assert ticket["statusId"] == statuses["pending"]["id"]


def test_create_with_a_status_id(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    ticket = make_ticket(api, brand, statusId=statuses["resolved"]["id"])

    assert ticket["status"] == "resolved"
    assert ticket["statusRef"]["id"] == statuses["resolved"]["id"]


def test_create_with_a_custom_status_by_key_or_by_id(api: Api, brand: dict[str, Any]) -> None:
    custom = make_status(api, brand)

    by_key = make_ticket(api, brand, status="in_progress")
    by_id = make_ticket(api, brand, statusId=custom["id"])

    for ticket in (by_key, by_id):
        assert ticket["status"] == "in_progress"
        assert ticket["statusId"] == custom["id"]
        assert ticket["statusRef"]["isSystem"] is False


def test_create_with_status_and_status_id_naming_different_statuses_is_refused(
    api: Api, brand: dict[str, Any], statuses: dict[str, dict[str, Any]]
) -> None:
    body = {"title": "x", "status": "open", "statusId": statuses["closed"]["id"]}

    response = api.post(tickets_path(brand), json=body)

    assert error_fields(problem(response, 422)) == ["statusId"]


@pytest.mark.parametrize(
    ("field", "value"), [("status", "in_review"), ("statusId", "sts_doesnotexist")]
)
def test_create_with_an_unknown_status_is_refused(
    api: Api, brand: dict[str, Any], field: str, value: str
) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", field: value})

    assert error_fields(problem(response, 422, "unknown_status")) == [field]
    assert api.ok("get", tickets_path(brand))["data"] == []


def test_close_reason_is_accepted_with_closed_status(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, status="closed", closeReason="duplicate")

    assert ticket["status"] == "closed"
    assert ticket["closeReason"] == "duplicate"


@pytest.mark.parametrize("extra", [{}, {"status": "resolved"}])
def test_close_reason_without_closed_status_is_refused(
    api: Api, brand: dict[str, Any], extra: dict[str, Any]
) -> None:
    body = {"title": "x", "closeReason": "no_response", **extra}

    response = api.post(tickets_path(brand), json=body)

    assert error_fields(problem(response, 422)) == ["closeReason"]


def test_close_reason_outside_the_four_values_is_refused(api: Api, brand: dict[str, Any]) -> None:
    body = {"title": "x", "status": "closed", "closeReason": "bored"}

    assert error_fields(problem(api.post(tickets_path(brand), json=body), 422)) == ["closeReason"]


def test_create_accepts_links_as_plain_urls(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand, links=["https://example.com/a", "https://example.com/b"])

    assert ticket["links"] == [{"url": "https://example.com/a"}, {"url": "https://example.com/b"}]


def test_create_accepts_links_as_objects_and_mixed_with_urls(
    api: Api, brand: dict[str, Any]
) -> None:
    links = [
        {"url": "https://jira.example.com/X-1", "title": "X-1", "type": "jira"},
        "https://example.com/plain",
    ]

    ticket = make_ticket(api, brand, links=links)

    assert ticket["links"] == [
        {"url": "https://jira.example.com/X-1", "title": "X-1", "type": "jira"},
        {"url": "https://example.com/plain"},
    ]
    assert get_ticket(api, brand, ticket)["links"] == ticket["links"]


@pytest.mark.parametrize("links", [[{"title": "no url"}], "https://x.example", [42]])
def test_create_refuses_malformed_links(api: Api, brand: dict[str, Any], links: Any) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "links": links})

    assert all(f.startswith("links") for f in error_fields(problem(response, 422)))


def test_created_by_is_the_api_key_name_not_the_client_value(
    api: Api, brand: dict[str, Any]
) -> None:
    issued = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Zapier bridge"})
    zapier = Api(api.client, issued["key"], api.account_id)

    ticket = make_ticket(zapier, brand, createdBy="ceo@example.com")
    default_key_ticket = make_ticket(api, brand, createdBy="someone@else.com")

    assert ticket["createdBy"] == "Zapier bridge"
    assert default_key_ticket["createdBy"] == "Default key"


def test_create_stores_custom_fields_metadata_and_due_date(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(
        api,
        brand,
        customFields={"orderId": "A-17", "vip": True},
        metadata={"crmId": 991, "tags": ["a", "b"]},
        dueAt="2026-03-01T12:30:00+02:00",
    )

    stored = get_ticket(api, brand, ticket)
    assert stored["customFields"] == {"orderId": "A-17", "vip": True}
    assert stored["metadata"] == {"crmId": 991, "tags": ["a", "b"]}
    assert stored["dueAt"].startswith("2026-03-01T10:30:00")


@pytest.mark.parametrize(
    "due", ["2026-03-01T12:30:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:30:00+01:00"]
)
def test_create_refuses_a_due_date_without_zone_or_outside_the_utc_range(
    api: Api, brand: dict[str, Any], due: str
) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "dueAt": due})

    assert error_fields(problem(response, 422)) == ["dueAt"]
    assert api.ok("get", tickets_path(brand))["data"] == []


def test_create_refuses_a_body_over_200000_characters(api: Api, brand: dict[str, Any]) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "body": "b" * 200_001})

    assert error_fields(problem(response, 422)) == ["body"]
    assert make_ticket(api, brand, body="b" * 200_000)["body"] == "b" * 200_000


def test_create_refuses_an_oversize_request_body(api: Api, brand: dict[str, Any]) -> None:
    response = api.post(
        tickets_path(brand), json={"title": "x", "metadata": {"blob": "z" * 2_000_000}}
    )

    problem(response, 413, "payload_too_large")
    assert api.ok("get", tickets_path(brand))["data"] == []


def test_create_with_an_assignee_email_links_the_team_member(
    api: Api, brand: dict[str, Any]
) -> None:
    member = add_member(api, "agent@acme.com")

    linked = make_ticket(api, brand, assigneeEmail="Agent@acme.com")
    alias = make_ticket(api, brand, assigneeEmail="billing-team@company.com")

    assert (linked["assigneeId"], linked["assigneeEmail"]) == (member["id"], "agent@acme.com")
    assert (alias["assigneeId"], alias["assigneeEmail"]) == (None, "billing-team@company.com")


def test_create_with_an_unknown_assignee_id_is_refused(api: Api, brand: dict[str, Any]) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "assigneeId": "user_nobody"})

    assert error_fields(problem(response, 422, "unknown_assignee")) == ["assigneeId"]
    assert api.ok("get", tickets_path(brand))["data"] == []


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Idempotency-Key"])
def test_create_repeated_with_the_same_idempotency_key_makes_one_ticket(
    api: Api, brand: dict[str, Any], session: Session, header: str
) -> None:
    body = {"title": "Charged twice", "priority": "high"}
    headers = {header: "retry-7f3a"}

    first = api.post(tickets_path(brand), json=body, headers=headers)
    again = api.post(tickets_path(brand), json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert [t["id"] for t in api.ok("get", tickets_path(brand))["data"]] == [first.json()["id"]]
    assert [e.type for e in events_of_brand(session, brand["id"])] == ["ticket.created"]
    assert make_ticket(api, brand)["ticketNumber"] == 1002


def test_create_reusing_an_idempotency_key_with_another_body_is_422(
    api: Api, brand: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    api.ok("post", tickets_path(brand), 201, json={"title": "first"}, headers=headers)

    response = api.post(tickets_path(brand), json={"title": "second"}, headers=headers)

    problem(response, 422, "idempotency_key_reused")
    assert [t["title"] for t in api.ok("get", tickets_path(brand))["data"]] == ["first"]
