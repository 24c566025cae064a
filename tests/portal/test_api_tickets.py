"""A customer's tickets through the portal API: shapes as the reference's portal client
reads them, their own tickets only, public replies only, replies that reopen."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.comments.helpers import events_of
from tests.conftest import Api
from tests.portal.helpers import (
    PORTAL_COMMENT_KEYS,
    PORTAL_TICKET_KEYS,
    Customer,
    Json,
    customer,
    portal_brand,
    problem,
)


@pytest.fixture
def brand(api: Api) -> Json:
    return portal_brand(api)


@pytest.fixture
def jane(api: Api, brand: Json) -> Customer:
    return customer(api, brand, "jane@corp.test")


def open_ticket(person: Customer, title: str = "Printer on fire", **extra: Any) -> Json:
    ticket: Json = person.ok("post", "/tickets", 201, json={"title": title, **extra})
    return ticket


def staff_reply(api: Api, brand: Json, ticket: Json, **extra: Any) -> Json:
    body = {"body": "We are on it", "authorName": "Eve Agent", **extra}
    reply: Json = api.ok(
        "post", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments", 201, json=body
    )
    return reply


def set_status(api: Api, brand: Json, ticket: Json, status: str) -> None:
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"status": status})


def test_a_new_ticket_has_the_portal_shape(api: Api, brand: Json, jane: Customer) -> None:
    ticket = open_ticket(jane, body="Smoke everywhere")
    assert set(ticket) == PORTAL_TICKET_KEYS
    assert ticket["ticketNumber"] == f"{brand['ticketPrefix']}-1001"
    assert (ticket["status"], ticket["statusName"], ticket["commentCount"]) == ("open", "Open", 0)
    admin = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert (admin["source"], admin["customerId"], admin["body"]) == (
        "portal",
        jane.id,
        "Smoke everywhere",
    )
    logs = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/logs")
    assert logs[0]["source"] == "portal"
    assert logs[0]["performedBy"]["type"] == "customer"


def test_a_ticket_detail_shows_public_replies_with_staff_as_staff(
    api: Api, brand: Json, jane: Customer
) -> None:
    ticket = open_ticket(jane, body="Details")
    note = staff_reply(api, brand, ticket, body="VIP customer", isInternal=True)
    reply = staff_reply(api, brand, ticket)
    set_status(api, brand, ticket, "pending")  # writes a SYSTEM entry

    detail = jane.ok("get", f"/tickets/{ticket['id']}")
    assert set(detail) >= PORTAL_TICKET_KEYS | {"body", "brand", "comments"}
    assert detail["brand"]["name"] == "Acme Store"
    assert detail["body"] == "Details"
    assert [c["id"] for c in detail["comments"]] == [reply["id"]]
    (shown,) = detail["comments"]
    assert set(shown) == PORTAL_COMMENT_KEYS
    assert (shown["authorType"], shown["authorName"]) == ("STAFF", "Acme Store")
    assert detail["commentCount"] == 1
    assert (detail["status"], detail["statusName"]) == ("pending", "Pending")
    text = str(detail)
    assert "VIP" not in text
    assert note["id"] not in text
    assert "Eve" not in text
    assert "SYSTEM" not in text


def test_a_brand_may_show_its_agents_names(api: Api, brand: Json, jane: Customer) -> None:
    api.ok("patch", f"/brands/{brand['id']}", json={"settings": {"portalShowAgentNames": True}})
    ticket = open_ticket(jane)
    staff_reply(api, brand, ticket)
    assert jane.ok("get", f"/tickets/{ticket['id']}")["comments"][0]["authorName"] == "Eve Agent"


def test_a_reply_is_the_customer_s_and_reopens_a_resolved_ticket(
    api: Api, brand: Json, jane: Customer, session: Session
) -> None:
    ticket = open_ticket(jane)
    set_status(api, brand, ticket, "resolved")

    reply = jane.ok("post", f"/tickets/{ticket['id']}/comments", 201, json={"body": "Still broken"})
    assert set(reply) == PORTAL_COMMENT_KEYS | {"reopened"}
    assert (reply["authorType"], reply["authorName"], reply["reopened"]) == (
        "CUSTOMER",
        "Jane",
        True,
    )
    assert jane.ok("get", f"/tickets/{ticket['id']}")["status"] == "open"

    logs = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/logs")
    created = next(e for e in logs if e["event"] == "comment.created")
    assert created["source"] == "portal"
    (reopen,) = [
        e
        for e in logs
        if e["event"] == "ticket.updated"
        and e["changes"]["status"] == {"old": "resolved", "new": "open"}
    ]
    assert reopen["source"] == "auto-reopen"
    assert reopen["performedBy"]["type"] == "customer"
    (reopened,) = events_of(session, ticket["id"], "ticket.reopened")
    updated = events_of(session, ticket["id"], "ticket.updated")[-1]
    assert "status" in updated.data["changes"]
    assert updated.data["ticket"]["status"] == "open"
    assert reopened.data["ticket"]["status"] == "open"
    comment_events = events_of(session, ticket["id"], "ticket.comment.created")
    assert comment_events[-1].data["comment"]["authorType"] == "CUSTOMER"

    again = jane.ok("post", f"/tickets/{ticket['id']}/comments", 201, json={"body": "Thanks"})
    assert again["reopened"] is False


def test_a_reply_refuses_staff_fields(jane: Customer) -> None:
    ticket = open_ticket(jane)
    for body in (
        {"body": ""},
        {"body": "x", "isInternal": True},
        {"body": "x", "setStatus": "closed"},
    ):
        assert jane.post(f"/tickets/{ticket['id']}/comments", json=body).status_code == 422


def test_a_new_ticket_refuses_staff_fields(jane: Customer) -> None:
    for body in (
        {},
        {"title": ""},
        {"title": "x", "status": "closed"},
        {"title": "x", "priority": "urgent"},
    ):
        assert jane.post("/tickets", json=body).status_code == 422


def test_the_idempotency_key_makes_a_retry_safe(api: Api, brand: Json, jane: Customer) -> None:
    headers = {"X-Idempotency-Key": "create-1"}
    first = jane.post("/tickets", json={"title": "Once"}, headers=headers)
    again = jane.post("/tickets", json={"title": "Once"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(jane.ok("get", "/tickets")["data"]) == 1
    reused = jane.post("/tickets", json={"title": "Other"}, headers=headers)
    problem(reused, 422, "idempotency_key_reused")


def test_one_customer_s_key_never_replays_another_s_ticket(
    api: Api, brand: Json, jane: Customer
) -> None:
    bob = customer(api, brand, "bob@corp.test")
    headers = {"X-Idempotency-Key": "same-key"}
    janes = jane.post("/tickets", json={"title": "Same"}, headers=headers).json()
    bobs = bob.post("/tickets", json={"title": "Same"}, headers=headers).json()
    assert bobs["id"] != janes["id"]
    assert [t["id"] for t in bob.ok("get", "/tickets")["data"]] == [bobs["id"]]


def test_lists_page_through_every_ticket_once(api: Api, brand: Json, jane: Customer) -> None:
    made = [open_ticket(jane, f"Ticket {n}")["id"] for n in range(7)]
    for sort, order in (("createdAt", "desc"), ("updatedAt", "asc")):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, "sort": sort, "order": order}
            if cursor:
                params["cursor"] = cursor
            page = jane.ok("get", "/tickets", params=params)
            assert len(page["data"]) <= 3
            assert all(set(t) == PORTAL_TICKET_KEYS for t in page["data"])
            seen.extend(t["id"] for t in page["data"])
            info = page["pagination"]
            assert info["nextCursor"] == info["cursor"]
            assert info["hasMore"] is (info["nextCursor"] is not None)
            cursor = info["nextCursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(made)
        assert len(seen) == len(set(seen))
    newest_first = [t["id"] for t in jane.ok("get", "/tickets", params={"limit": 50})["data"]]
    assert newest_first == list(reversed(made))


def test_the_list_filters_by_status(api: Api, brand: Json, jane: Customer) -> None:
    done = open_ticket(jane, "Done")
    waiting = open_ticket(jane, "Waiting")
    set_status(api, brand, done, "resolved")

    def ids(**params: Any) -> list[str]:
        return [t["id"] for t in jane.ok("get", "/tickets", params=params)["data"]]

    assert ids(status="resolved") == [done["id"]]
    assert ids(status="active") == [waiting["id"]]
    assert ids(status="inactive") == [done["id"]]
    assert set(ids(status="open,resolved")) == {done["id"], waiting["id"]}
    problem(jane.get("/tickets", params={"status": "nonsense"}), 422, "validation_error")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 51}, {"sort": "priority"}, {"order": "up"}],
)
def test_the_list_refuses_bad_parameters(jane: Customer, params: dict[str, Any]) -> None:
    assert jane.get("/tickets", params=params).status_code == 422


def test_a_bad_cursor_is_a_400(jane: Customer) -> None:
    problem(jane.get("/tickets", params={"cursor": "garbage"}), 400, "invalid_cursor")


def test_only_the_customer_s_tickets_are_listed(api: Api, brand: Json, jane: Customer) -> None:
    mine = open_ticket(jane)
    api.ok("post", f"/brands/{brand['id']}/tickets", 201, json={"title": "Staff's"})
    api.ok(
        "post",
        f"/brands/{brand['id']}/tickets",
        201,
        json={"title": "Bob's", "customerEmail": "bob@corp.test"},
    )
    spam = open_ticket(jane, "Spammy")
    api.ok("post", f"/brands/{brand['id']}/tickets/{spam['id']}/spam", json={"isSpam": True})
    assert [t["id"] for t in jane.ok("get", "/tickets")["data"]] == [mine["id"]]
    problem(jane.get(f"/tickets/{spam['id']}"), 404, "ticket_not_found")


def test_a_staff_ticket_for_the_customer_is_theirs_in_the_portal(
    api: Api, brand: Json, jane: Customer
) -> None:
    made = api.ok(
        "post",
        f"/brands/{brand['id']}/tickets",
        201,
        json={"title": "We noticed", "customerEmail": "jane@corp.test"},
    )
    listed = jane.ok("get", "/tickets")["data"]
    assert [t["id"] for t in listed] == [made["id"]]
    assert listed[0]["ticketNumber"] == f"{brand['ticketPrefix']}-{made['ticketNumber']}"


def test_portal_visible_fields_and_categories(api: Api, brand: Json, jane: Customer) -> None:
    base = f"/brands/{brand['id']}"
    api.ok(
        "post",
        f"{base}/fields/ticket",
        201,
        json={"key": "order", "label": "Order", "type": "text", "portalVisible": True},
    )
    api.ok(
        "post", f"{base}/fields/ticket", 201, json={"key": "risk", "label": "Risk", "type": "text"}
    )
    category = api.ok("post", f"{base}/categories", 201, json={"name": "Billing"})

    refused = jane.post("/tickets", json={"title": "T", "customFields": {"risk": "high"}})
    assert refused.status_code == 422
    refused = jane.post("/tickets", json={"title": "T", "categoryId": category["id"]})
    assert refused.status_code == 422

    api.ok("patch", base, json={"portalCategories": True})
    ticket = open_ticket(jane, customFields={"order": "A-1"}, categoryId=category["id"])
    api.ok("patch", f"{base}/tickets/{ticket['id']}", json={"customFields": {"risk": "high"}})
    detail = jane.ok("get", f"/tickets/{ticket['id']}")
    assert detail["customFields"] == [
        {"key": "order", "label": "Order", "type": "text", "value": "A-1"}
    ]
    assert detail["category"] == "Billing"
    assert "high" not in str(detail)


def test_a_customer_fills_only_the_required_fields_the_portal_shows(
    api: Api, brand: Json, jane: Customer
) -> None:
    base = f"/brands/{brand['id']}"
    shown = {"key": "order", "label": "Order", "type": "text", "required": True}
    api.ok("post", f"{base}/fields/ticket", 201, json={**shown, "portalVisible": True})
    agents_only = {"key": "risk", "label": "Risk", "type": "text", "required": True}
    api.ok("post", f"{base}/fields/ticket", 201, json=agents_only)

    refused = jane.post("/tickets", json={"title": "No order number"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["customFields.order"]

    # The field only agents see never turns the customer away; an agent still must fill it.
    ticket = open_ticket(jane, customFields={"order": "A-1"})
    assert ticket["title"] == "Printer on fire"
    staff = api.post(f"{base}/tickets", json={"title": "T", "customFields": {"order": "A-2"}})
    assert staff.status_code == 422
    assert [e["field"] for e in staff.json()["errors"]] == ["customFields.risk"]
