"""A ticket's category (by id or by its immutable key), tags (by name) and custom fields
(checked against the brand's field definitions), on create, update and in list filters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import categories_path, make_category
from tests.conftest import Api, make_ticket
from tests.fields.helpers import make_field
from tests.tags.helpers import make_tag, tag_names, tags_path
from tests.tickets.helpers import (
    error_fields,
    events_of,
    events_of_brand,
    get_ticket,
    listed_ids,
    patch_ticket,
    problem,
    ticket_logs,
    ticket_path,
    ticket_rows,
    tickets_path,
)

Json = dict[str, Any]


@pytest.fixture
def billing(api: Api, brand: Json) -> Json:
    return make_category(api, brand, name="Billing", key="billing", color="#22c55e")


@pytest.fixture
def shipping(api: Api, brand: Json, billing: Json) -> Json:
    return make_category(api, brand, name="Shipping", key="shipping")


def tag_list(ticket: Json) -> list[str]:
    return sorted(t["name"] for t in ticket["tags"])


# --- Categories ---------------------------------------------------------------------------


def test_create_with_a_category_id_embeds_the_category_with_its_key(
    api: Api, brand: Json, billing: Json
) -> None:
    ticket = make_ticket(api, brand, categoryId=billing["id"])

    assert ticket["categoryId"] == billing["id"]
    category = ticket["category"]
    assert category["id"] == billing["id"]
    assert category["key"] == "billing"
    assert category["name"] == "Billing"
    assert category["color"] == "#22c55e"
    assert get_ticket(api, brand, ticket)["category"] == category
    [listed] = api.ok("get", tickets_path(brand))["data"]
    assert listed["category"] == category


def test_create_with_a_category_key_routes_as_the_seed_does(
    api: Api, brand: Json, billing: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, categoryKey="billing")

    assert ticket["categoryId"] == billing["id"]
    assert ticket["category"]["key"] == "billing"
    # The seed's webhook handler: `if (ticket.category?.key === 'billing')`.
    [created] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.created"]
    assert created.data["ticket"]["category"]["key"] == "billing"
    assert created.data["ticket"]["brandId"] == brand["id"]
    assert created.data["ticket"]["id"] == ticket["id"]


def test_a_category_id_and_key_that_agree_are_accepted(
    api: Api, brand: Json, billing: Json
) -> None:
    ticket = make_ticket(api, brand, categoryId=billing["id"], categoryKey="billing")

    assert ticket["category"]["id"] == billing["id"]


def test_a_ticket_without_a_category_has_none(api: Api, brand: Json, billing: Json) -> None:
    ticket = make_ticket(api, brand)

    assert ticket["categoryId"] is None
    assert ticket["category"] is None


@pytest.fixture
def foreign_categories(api: Api, other_api: Api, other_brand: Json, brand: Json) -> Json:
    """Category ids and keys this brand must not accept: another brand of the account,
    another account's brand, and a deleted category."""
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    of_sibling = make_category(api, sibling, name="Sibling", key="sibling")
    of_other = other_api.ok(
        "post", categories_path(other_brand), 201, json={"name": "Other", "key": "other"}
    )
    deleted = make_category(api, brand, name="Gone", key="gone")
    api.ok("delete", categories_path(brand, f"/{deleted['id']}"), 204)
    return {"sibling": of_sibling, "other": of_other, "deleted": deleted}


@pytest.mark.parametrize("which", ["sibling", "other", "deleted", "unknown"])
@pytest.mark.parametrize("by", ["categoryId", "categoryKey"])
def test_an_unknown_or_foreign_category_is_422_and_nothing_is_created(
    api: Api,
    brand: Json,
    session: Session,
    foreign_categories: Json,
    which: str,
    by: str,
) -> None:
    category = foreign_categories.get(which, {"id": "cat_nope", "key": "nope"})
    value = category["id"] if by == "categoryId" else category["key"]
    body = {
        "title": "Refused",
        by: value,
        "customerEmail": "refused@example.com",
        "tags": ["brand-new-tag"],
    }
    tags_before = tag_names(api, brand)

    response = api.post(tickets_path(brand), json=body)

    assert error_fields(problem(response, 422, "unknown_category")) == [by]
    assert ticket_rows(session, brand["id"]) == 0
    assert tag_names(api, brand) == tags_before
    assert api.ok("get", f"/brands/{brand['id']}/contacts")["data"] == []
    # The refused request took no ticket number.
    assert make_ticket(api, brand)["ticketNumber"] == 1001


def test_a_category_id_and_key_that_disagree_are_422(
    api: Api, brand: Json, billing: Json, shipping: Json, session: Session
) -> None:
    response = api.post(
        tickets_path(brand),
        json={"title": "x", "categoryId": billing["id"], "categoryKey": "shipping"},
    )

    assert error_fields(problem(response, 422)) == ["categoryKey"]
    assert ticket_rows(session, brand["id"]) == 0


def test_update_sets_changes_and_clears_the_category(
    api: Api, brand: Json, billing: Json, shipping: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    set_ = patch_ticket(api, brand, ticket, categoryKey="billing")
    changed = patch_ticket(api, brand, ticket, categoryId=shipping["id"])
    cleared = patch_ticket(api, brand, ticket, categoryId=None)

    assert set_["category"]["key"] == "billing"
    assert changed["category"]["key"] == "shipping"
    assert cleared["categoryId"] is None
    assert cleared["category"] is None
    updates = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert [e.data["changes"] for e in updates] == [["categoryId"]] * 3
    assert updates[0].data["ticket"]["category"]["key"] == "billing"
    assert updates[1].data["previous"] == {"categoryId": billing["id"]}
    entries = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "ticket.updated"]
    assert entries[-1]["changes"] == {"categoryId": {"old": shipping["id"], "new": None}}


def test_update_with_an_unknown_category_is_422_and_changes_nothing(
    api: Api, brand: Json, billing: Json, foreign_categories: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, categoryId=billing["id"])

    for body in (
        {"categoryId": foreign_categories["sibling"]["id"]},
        {"categoryKey": foreign_categories["deleted"]["key"]},
        {"categoryId": "cat_nope", "title": "Would change"},
    ):
        problem(api.patch(ticket_path(brand, ticket), json=body), 422, "unknown_category")

    assert get_ticket(api, brand, ticket) == ticket
    assert [e.type for e in events_of(session, ticket["id"])] == ["ticket.created"]


def test_list_filters_by_category_and_null_means_uncategorized(
    api: Api, brand: Json, billing: Json, shipping: Json
) -> None:
    bill = make_ticket(api, brand, categoryKey="billing")
    ship = make_ticket(api, brand, categoryKey="shipping")
    none = make_ticket(api, brand)

    assert listed_ids(api, brand, categoryId=billing["id"]) == [bill["id"]]
    assert listed_ids(api, brand, categoryId=shipping["id"]) == [ship["id"]]
    assert listed_ids(api, brand, categoryId="null") == [none["id"]]
    assert listed_ids(api, brand, categoryId="cat_nope") == []


# --- Tags ---------------------------------------------------------------------------------


def test_create_with_tag_names_creates_unknown_tags_and_reuses_known_ones(
    api: Api, brand: Json, session: Session
) -> None:
    vip = make_tag(api, brand, "VIP")

    ticket = make_ticket(api, brand, tags=["vip", "Refund", " refund ", "Angry customer"])

    assert tag_list(ticket) == ["Angry customer", "Refund", "VIP"]
    assert vip["id"] in {t["id"] for t in ticket["tags"]}
    assert tag_names(api, brand) == ["Angry customer", "Refund", "VIP"]
    assert tag_list(get_ticket(api, brand, ticket)) == ["Angry customer", "Refund", "VIP"]
    created = [
        e.data["name"] for e in events_of_brand(session, brand["id"]) if e.type == "tag.created"
    ]
    assert created == ["VIP", "Refund", "Angry customer"]
    # Tags of the created ticket are in its ticket.created event too.
    [event] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.created"]
    assert sorted(t["name"] for t in event.data["ticket"]["tags"]) == tag_list(ticket)


def test_a_second_ticket_reuses_the_tags_a_first_one_created(api: Api, brand: Json) -> None:
    first = make_ticket(api, brand, tags=["Billing"])
    second = make_ticket(api, brand, tags=["BILLING"])

    assert first["tags"] == second["tags"]
    assert tag_names(api, brand) == ["Billing"]


def test_tags_of_one_brand_are_not_used_by_another(api: Api, brand: Json) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    here = make_ticket(api, brand, tags=["vip"])
    there = make_ticket(api, sibling, tags=["vip"])

    assert here["tags"][0]["id"] != there["tags"][0]["id"]
    assert there["tags"][0]["brandId"] == sibling["id"]


def test_patch_tags_replaces_the_list_with_activity_and_an_event(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, tags=["a", "b"])

    updated = patch_ticket(api, brand, ticket, tags=["B", "c"])

    assert tag_list(updated) == ["b", "c"]
    assert updated["version"] == ticket["version"] + 1
    assert tag_list(get_ticket(api, brand, ticket)) == ["b", "c"]
    [event] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert event.data["changes"] == ["tags"]
    assert event.data["previous"] == {"tags": ["a", "b"]}
    assert sorted(t["name"] for t in event.data["ticket"]["tags"]) == ["b", "c"]
    logs = ticket_logs(api, brand, ticket)
    [entry] = [e for e in logs if e["event"] == "ticket.updated"]
    assert entry["changes"] == {"tags": {"old": ["a", "b"], "new": ["b", "c"]}}
    assert [e["metadata"]["tagName"] for e in logs if e["event"] == "tag.removed_from_ticket"] == [
        "a"
    ]
    assert "c" in [e["metadata"]["tagName"] for e in logs if e["event"] == "tag.added_to_ticket"]


def test_patch_tags_with_an_empty_list_removes_them_all(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, tags=["a", "b"])

    updated = patch_ticket(api, brand, ticket, tags=[])

    assert updated["tags"] == []
    assert tag_names(api, brand) == ["a", "b"]  # the tags themselves stay


def test_patch_with_the_same_tags_in_another_case_changes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, tags=["Refund", "vip"])

    same = patch_ticket(api, brand, ticket, tags=["VIP", "refund"])

    assert same["version"] == ticket["version"]
    assert tag_list(same) == ["Refund", "vip"]
    assert [e.type for e in events_of(session, ticket["id"])] == ["ticket.created"]


def test_patch_tags_together_with_other_fields_is_one_change(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, tags=["a"])

    updated = patch_ticket(api, brand, ticket, tags=["b"], priority="high")

    assert updated["version"] == ticket["version"] + 1
    [event] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert sorted(event.data["changes"]) == ["priority", "tags"]


@pytest.mark.parametrize("tags", [[""], ["   "], ["x" * 101], "vip", [42]])
def test_bad_tag_names_are_422_and_nothing_is_created(
    api: Api, brand: Json, session: Session, tags: Any
) -> None:
    response = api.post(
        tickets_path(brand),
        json={"title": "x", "tags": ["fine", *tags] if isinstance(tags, list) else tags},
    )

    assert any(f.startswith("tags") for f in error_fields(problem(response, 422)))
    assert ticket_rows(session, brand["id"]) == 0
    assert tag_names(api, brand) == []


def test_a_bad_tag_name_on_update_changes_nothing(api: Api, brand: Json, session: Session) -> None:
    ticket = make_ticket(api, brand, tags=["a"])

    response = api.patch(ticket_path(brand, ticket), json={"tags": ["b", ""], "title": "new"})

    assert any(f.startswith("tags") for f in error_fields(problem(response, 422)))
    assert get_ticket(api, brand, ticket) == ticket
    assert tag_names(api, brand) == ["a"]


def test_list_filters_by_any_of_the_tag_ids(api: Api, brand: Json) -> None:
    vip, bug, other = (make_tag(api, brand, name) for name in ("vip", "bug", "other"))
    both = make_ticket(api, brand, tags=["vip", "bug"])
    only_vip = make_ticket(api, brand, tags=["vip"])
    only_bug = make_ticket(api, brand, tags=["bug"])
    make_ticket(api, brand)

    assert sorted(listed_ids(api, brand, tagIds=vip["id"])) == sorted([both["id"], only_vip["id"]])
    by_either = listed_ids(api, brand, tagIds=f"{vip['id']}, {bug['id']}")
    assert sorted(by_either) == sorted([both["id"], only_vip["id"], only_bug["id"]])
    assert listed_ids(api, brand, tagIds=other["id"]) == []
    assert listed_ids(api, brand, tagIds="tag_nope") == []


def test_the_tag_filter_follows_tag_changes(api: Api, brand: Json) -> None:
    vip = make_tag(api, brand, "vip")
    ticket = make_ticket(api, brand, tags=["vip"])

    patch_ticket(api, brand, ticket, tags=["other"])

    assert listed_ids(api, brand, tagIds=vip["id"]) == []
    api.ok("delete", tags_path(brand, f"/{vip['id']}"), 204)
    assert tag_list(get_ticket(api, brand, ticket)) == ["other"]


def test_another_brands_tag_ids_find_nothing(api: Api, brand: Json) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    there = make_ticket(api, sibling, tags=["vip"])
    make_ticket(api, brand, tags=["vip"])

    assert listed_ids(api, brand, tagIds=there["tags"][0]["id"]) == []


# --- Custom fields ------------------------------------------------------------------------


@pytest.fixture
def fields(api: Api, brand: Json) -> Json:
    """Ticket fields: a required text, a number, a select with a default, a date."""
    make_field(api, brand, key="order_number", label="Order number", type="text", required=True)
    make_field(api, brand, key="seats", label="Seats", type="number")
    make_field(
        api,
        brand,
        key="plan",
        label="Plan",
        type="select",
        options=["free", "pro"],
        defaultValue="free",
    )
    make_field(api, brand, key="renewal", label="Renewal", type="date")
    return brand


def test_create_applies_defaults_and_keeps_unknown_keys(api: Api, fields: Json) -> None:
    custom = {"order_number": "A-1", "seats": 3, "utm_source": "ads", "requesterName": "Jo"}

    ticket = make_ticket(api, fields, customFields=custom)

    assert ticket["customFields"] == {**custom, "plan": "free"}
    assert get_ticket(api, fields, ticket)["customFields"] == ticket["customFields"]


def test_create_keeps_a_given_value_over_the_default_and_normalizes_dates(
    api: Api, fields: Json
) -> None:
    ticket = make_ticket(
        api,
        fields,
        customFields={"order_number": "A-1", "plan": "pro", "renewal": "2026-03-01T10:00:00+01:00"},
    )

    assert ticket["customFields"]["plan"] == "pro"
    assert ticket["customFields"]["renewal"] == "2026-03-01T09:00:00Z"


@pytest.mark.parametrize(
    ("custom", "fields_named"),
    [
        ({}, ["customFields.order_number"]),
        ({"order_number": "   "}, ["customFields.order_number"]),
        ({"order_number": None}, ["customFields.order_number"]),
        ({"order_number": "A-1", "seats": "three"}, ["customFields.seats"]),
        ({"order_number": "A-1", "plan": "platinum"}, ["customFields.plan"]),
        ({"order_number": "A-1", "renewal": "soon"}, ["customFields.renewal"]),
        ({"order_number": 7, "seats": True}, ["customFields.order_number", "customFields.seats"]),
    ],
)
def test_create_refuses_missing_required_and_mistyped_values_naming_each(
    api: Api, fields: Json, session: Session, custom: Json, fields_named: list[str]
) -> None:
    response = api.post(tickets_path(fields), json={"title": "x", "customFields": custom})

    body = problem(response, 422, "invalid_custom_fields")
    assert sorted(error_fields(body)) == sorted(fields_named)
    assert ticket_rows(session, fields["id"]) == 0


def test_without_custom_fields_a_required_field_still_refuses(
    api: Api, fields: Json, session: Session
) -> None:
    response = api.post(tickets_path(fields), json={"title": "x"})

    assert error_fields(problem(response, 422, "invalid_custom_fields")) == [
        "customFields.order_number"
    ]
    assert ticket_rows(session, fields["id"]) == 0
    assert make_ticket(api, fields, customFields={"order_number": "1"})["ticketNumber"] == 1001


def test_update_checks_only_the_given_keys_and_merges(api: Api, fields: Json) -> None:
    ticket = make_ticket(api, fields, customFields={"order_number": "A-1", "extra": "kept"})

    updated = patch_ticket(api, fields, ticket, customFields={"seats": 5, "note": "hi"})

    assert updated["customFields"] == {
        "order_number": "A-1",
        "extra": "kept",
        "plan": "free",
        "seats": 5,
        "note": "hi",
    }


def test_update_with_null_removes_an_optional_key(api: Api, fields: Json) -> None:
    ticket = make_ticket(api, fields, customFields={"order_number": "A-1", "seats": 2})

    updated = patch_ticket(api, fields, ticket, customFields={"seats": None, "plan": None})

    assert updated["customFields"] == {"order_number": "A-1"}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"seats": "many"}, "customFields.seats"),
        ({"plan": "gold"}, "customFields.plan"),
        ({"order_number": None}, "customFields.order_number"),
        ({"order_number": ""}, "customFields.order_number"),
        ({"requesterEmail": "not-an-address"}, "customFields.requesterEmail"),
    ],
)
def test_update_refuses_bad_values_and_changes_nothing(
    api: Api, fields: Json, session: Session, patch: Json, field: str
) -> None:
    ticket = make_ticket(api, fields, customFields={"order_number": "A-1"})

    response = api.patch(ticket_path(fields, ticket), json={"customFields": patch, "title": "new"})

    assert error_fields(problem(response, 422)) == [field]
    assert get_ticket(api, fields, ticket) == ticket
    assert [e.type for e in events_of(session, ticket["id"])] == ["ticket.created"]


def test_a_custom_field_change_is_in_the_updated_event(
    api: Api, fields: Json, session: Session
) -> None:
    ticket = make_ticket(api, fields, customFields={"order_number": "A-1"})

    patch_ticket(api, fields, ticket, customFields={"order_number": "A-2"})

    [event] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert event.data["changes"] == ["customFields"]
    assert event.data["ticket"]["customFields"]["order_number"] == "A-2"


@pytest.mark.parametrize("schema", ["TicketCreate", "TicketUpdate"])
def test_the_ticket_bodies_document_category_tags_and_custom_fields(
    client: Any, schema: str
) -> None:
    doc = client.get("/openapi.json").json()

    fields = doc["components"]["schemas"][schema]["properties"]

    assert {"categoryId", "categoryKey", "tags", "customFields"} <= set(fields)
    rendered = doc["components"]["schemas"]["TicketOut"]["properties"]
    assert {"category", "tags", "customer", "customFields"} <= set(rendered)
