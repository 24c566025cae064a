"""Brands (§3.3): create, list, get, update, delete with preview, slugs, prefixes, numbering."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.categories.helpers import make_category
from tests.conftest import Api, make_status, make_ticket
from tests.contacts.helpers import make_company, make_contact
from tests.tags.helpers import make_tag
from tests.webhooks.helpers import make_webhook

SLUG_WITH_SUFFIX = re.compile(r"^acme-store-[0-9a-f]{4}$")


# --- Create, get, list ---------------------------------------------------------------------


def test_create_brand_returns_the_brand_with_defaults(api: Api) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "Acme Store"})
    assert brand["id"].startswith("br_")
    assert len(brand["id"]) == len("br_") + 21
    assert brand["accountId"] == api.account_id
    assert brand["name"] == "Acme Store"
    assert brand["slug"] == "acme-store"
    assert brand["ticketPrefix"] == "AS"
    assert brand["nextTicketNumber"] == 1001
    assert brand["settings"] == {}
    assert brand["metadata"] == {}
    assert brand["portalOrigins"] == []
    assert brand["csatType"] == "thumbs"
    assert brand["slaByPriority"] == {"urgent": 4, "high": 24, "normal": 72, "low": 168}
    assert api.ok("get", f"/brands/{brand['id']}") == brand


def test_create_brand_stores_given_slug_metadata_and_settings(api: Api) -> None:
    brand = api.ok(
        "post",
        "/brands",
        201,
        json={
            "name": "Globex",
            "slug": "globex-help",
            "metadata": {"plan": "gold"},
            "settings": {"theme": "dark"},
            "url": "https://globex.example.com",
        },
    )
    assert brand["slug"] == "globex-help"
    assert brand["metadata"] == {"plan": "gold"}
    assert brand["settings"] == {"theme": "dark"}
    assert brand["url"] == "https://globex.example.com/"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="name-missing"),
        pytest.param({"name": ""}, id="name-empty"),
        pytest.param({"name": "   "}, id="name-blank"),
        pytest.param({"name": "x" * 201}, id="name-too-long"),
        pytest.param({"name": 42}, id="name-not-a-string"),
        pytest.param({"name": "Ok", "colour": "red"}, id="unknown-field"),
        pytest.param({"name": "Ok", "ticketNumberStart": 0}, id="ticket-number-start-zero"),
        pytest.param({"name": "Ok", "url": "not a url"}, id="bad-url"),
    ],
)
def test_create_brand_with_bad_input_is_422_and_creates_nothing(
    api: Api, body: dict[str, Any]
) -> None:
    response = api.post("/brands", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"]
    assert api.ok("get", "/brands") == []


def test_list_brands_returns_a_bare_array_of_the_callers_brands(
    api: Api, other_api: Api, brand: dict[str, Any], other_brand: dict[str, Any]
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Zeta Shop"})
    listed = api.ok("get", "/brands")
    assert isinstance(listed, list)
    assert [b["id"] for b in listed] == [brand["id"], second["id"]]
    assert [b["id"] for b in other_api.ok("get", "/brands")] == [other_brand["id"]]


def test_brands_of_another_account_are_not_found(api: Api, other_brand: dict[str, Any]) -> None:
    b = other_brand["id"]
    for response in (
        api.get(f"/brands/{b}"),
        api.patch(f"/brands/{b}", json={"name": "Mine now"}),
        api.delete(f"/brands/{b}"),
        api.delete(f"/brands/{b}", params={"confirm": "true"}),
        api.get(f"/brands/{b}/statuses"),
        api.get(f"/brands/{b}/tickets"),
        api.post(f"/brands/{b}/tickets", json={"title": "Sneaky"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "brand_not_found"


def test_other_accounts_brand_is_unchanged_after_refused_access(
    api: Api, other_api: Api, other_brand: dict[str, Any]
) -> None:
    api.patch(f"/brands/{other_brand['id']}", json={"name": "Mine now"})
    api.delete(f"/brands/{other_brand['id']}", params={"confirm": "true"})
    assert other_api.ok("get", f"/brands/{other_brand['id']}") == other_brand


def test_unknown_brand_id_is_404(api: Api) -> None:
    response = api.get("/brands/br_doesnotexist000000000")
    assert response.status_code == 404
    assert response.json()["code"] == "brand_not_found"


# --- Slugs ---------------------------------------------------------------------------------


def test_slug_is_generated_from_the_name(api: Api) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "  Ünïcode Café & Co!  "})
    assert brand["slug"] == "unicode-cafe-co"


def test_second_brand_with_the_same_name_gets_a_different_slug(
    api: Api, other_api: Api, brand: dict[str, Any]
) -> None:
    same_account = api.ok("post", "/brands", 201, json={"name": "Acme Store"})
    other_account = other_api.ok("post", "/brands", 201, json={"name": "Acme Store"})
    assert brand["slug"] == "acme-store"
    assert SLUG_WITH_SUFFIX.match(same_account["slug"])
    assert SLUG_WITH_SUFFIX.match(other_account["slug"])
    assert len({brand["slug"], same_account["slug"], other_account["slug"]}) == 3


def test_name_without_letters_still_gets_a_valid_slug(api: Api) -> None:
    for name in ("!!!", "a", "日本"):
        brand = api.ok("post", "/brands", 201, json={"name": name})
        assert re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", brand["slug"]), brand["slug"]
        assert len(brand["slug"]) >= 2


def test_given_duplicate_slug_is_409_slug_taken(
    api: Api, other_api: Api, brand: dict[str, Any]
) -> None:
    for caller in (api, other_api):
        response = caller.post("/brands", json={"name": "Copy", "slug": brand["slug"]})
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "slug_taken"
    assert len(api.ok("get", "/brands")) == 1
    assert other_api.ok("get", "/brands") == []


def test_updating_to_a_taken_slug_is_409_and_changes_nothing(
    api: Api, brand: dict[str, Any], other_brand: dict[str, Any]
) -> None:
    response = api.patch(
        f"/brands/{brand['id']}", json={"name": "Renamed", "slug": other_brand["slug"]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slug_taken"
    assert api.ok("get", f"/brands/{brand['id']}") == brand


def test_updating_a_brand_to_its_own_slug_is_allowed(api: Api, brand: dict[str, Any]) -> None:
    updated = api.ok("patch", f"/brands/{brand['id']}", json={"slug": brand["slug"]})
    assert updated["slug"] == brand["slug"]


@pytest.mark.parametrize(
    "slug",
    ["Acme", "acme store", "acme_store", "-acme", "acme-", "acme--store", "a", "x" * 64, "ümlaut"],
)
def test_invalid_slug_is_422(api: Api, brand: dict[str, Any], slug: str) -> None:
    response = api.post("/brands", json={"name": "Bad Slug", "slug": slug})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "slug"
    response = api.patch(f"/brands/{brand['id']}", json={"slug": slug})
    assert response.status_code == 422, response.text
    assert api.ok("get", f"/brands/{brand['id']}")["slug"] == "acme-store"


def test_slug_cannot_be_removed(api: Api, brand: dict[str, Any]) -> None:
    response = api.patch(f"/brands/{brand['id']}", json={"slug": None})
    assert response.status_code == 422
    assert api.ok("get", f"/brands/{brand['id']}")["slug"] == brand["slug"]


# --- Ticket prefix -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("Epic Design Labs", "EDL"),
        ("Acme", "ACME"),
        ("Dispatch", "DISP"),
        ("Go", "GO"),
        ("acme   support", "AS"),
        ("Epic-Design Labs", "EDL"),
        ("24/7 Help Desk", "27HD"),
    ],
)
def test_ticket_prefix_is_derived_from_the_name(api: Api, name: str, prefix: str) -> None:
    assert api.ok("post", "/brands", 201, json={"name": name})["ticketPrefix"] == prefix


def test_explicit_ticket_prefix_is_upper_cased(api: Api) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "Acme", "ticketPrefix": "acme1"})
    assert brand["ticketPrefix"] == "ACME1"
    updated = api.ok("patch", f"/brands/{brand['id']}", json={"ticketPrefix": "dt"})
    assert updated["ticketPrefix"] == "DT"


@pytest.mark.parametrize("prefix", ["", "AB-C", "A B", "ABCDEFGHIJK", "ÄBC", "AB_C"])
def test_invalid_ticket_prefix_is_422(api: Api, brand: dict[str, Any], prefix: str) -> None:
    response = api.post("/brands", json={"name": "Acme", "ticketPrefix": prefix})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "ticketPrefix"
    response = api.patch(f"/brands/{brand['id']}", json={"ticketPrefix": prefix})
    assert response.status_code == 422, response.text
    assert api.ok("get", f"/brands/{brand['id']}")["ticketPrefix"] == "AS"


def test_ticket_prefix_appears_in_the_public_ticket_id(api: Api) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "Epic Design Labs"})
    ticket = make_ticket(api, brand)
    assert ticket["ticketNumber"] == 1001
    assert ticket["publicId"] == "EDL-1001"


# --- Seeded statuses -----------------------------------------------------------------------


def test_creating_a_brand_seeds_exactly_the_four_system_statuses(api: Api) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "Fresh"})
    statuses = api.ok("get", f"/brands/{brand['id']}/statuses")
    assert [(s["key"], s["name"], s["color"], s["isSystem"]) for s in statuses] == [
        ("open", "Open", "#3b82f6", True),
        ("pending", "Pending", "#f59e0b", True),
        ("resolved", "Resolved", "#22c55e", True),
        ("closed", "Closed", "#22c55e", True),
    ]
    assert [s["isActive"] for s in statuses] == [True, True, False, False]
    assert len({s["id"] for s in statuses}) == 4


def test_each_brand_gets_its_own_statuses(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    first_ids = {s["id"] for s in api.ok("get", f"/brands/{brand['id']}/statuses")}
    second_ids = {s["id"] for s in api.ok("get", f"/brands/{second['id']}/statuses")}
    assert len(first_ids) == len(second_ids) == 4
    assert not first_ids & second_ids


# --- Ticket numbering ----------------------------------------------------------------------


def test_ticket_number_start_sets_the_first_ticket_number(api: Api) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "Numbers", "ticketNumberStart": 5000})
    assert brand["nextTicketNumber"] == 5000
    assert make_ticket(api, brand)["ticketNumber"] == 5000
    assert make_ticket(api, brand)["ticketNumber"] == 5001
    assert api.ok("get", f"/brands/{brand['id']}")["nextTicketNumber"] == 5002


def test_ticket_numbers_start_at_1001_by_default(api: Api, brand: dict[str, Any]) -> None:
    assert [make_ticket(api, brand)["ticketNumber"] for _ in range(3)] == [1001, 1002, 1003]


def test_ticket_numbers_are_per_brand(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    assert make_ticket(api, brand)["ticketNumber"] == 1001
    assert make_ticket(api, second)["ticketNumber"] == 1001
    assert make_ticket(api, brand)["ticketNumber"] == 1002


def test_ticket_number_start_can_move_the_counter_forward(api: Api, brand: dict[str, Any]) -> None:
    make_ticket(api, brand)
    updated = api.ok("patch", f"/brands/{brand['id']}", json={"ticketNumberStart": 2000})
    assert updated["nextTicketNumber"] == 2000
    assert make_ticket(api, brand)["ticketNumber"] == 2000


@pytest.mark.parametrize("start", [1001, 1002, 1, 500])
def test_ticket_number_start_at_or_below_the_highest_issued_number_is_422(
    api: Api, brand: dict[str, Any], start: int
) -> None:
    make_ticket(api, brand)
    make_ticket(api, brand)  # 1002 is the highest issued number
    response = api.patch(
        f"/brands/{brand['id']}", json={"ticketNumberStart": start, "name": "Renamed"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "ticketNumberStart"
    after = api.ok("get", f"/brands/{brand['id']}")
    assert after["nextTicketNumber"] == 1003
    assert after["name"] == "Acme Store"
    assert make_ticket(api, brand)["ticketNumber"] == 1003


def test_ticket_number_start_counts_deleted_tickets_as_issued(
    api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    response = api.patch(f"/brands/{brand['id']}", json={"ticketNumberStart": 1001})
    assert response.status_code == 422


def test_ticket_number_start_may_be_lowered_while_no_ticket_exists(
    api: Api, brand: dict[str, Any]
) -> None:
    assert (
        api.ok("patch", f"/brands/{brand['id']}", json={"ticketNumberStart": 7})["nextTicketNumber"]
        == 7
    )
    assert make_ticket(api, brand)["ticketNumber"] == 7


# --- Update --------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(api: Api, brand: dict[str, Any]) -> None:
    updated = api.ok(
        "patch",
        f"/brands/{brand['id']}",
        json={"name": "Acme Support", "fromName": "Acme Help", "fromEmail": "help@acme.com"},
    )
    assert updated["name"] == "Acme Support"
    assert updated["fromName"] == "Acme Help"
    assert updated["fromEmail"] == "help@acme.com"
    assert updated["slug"] == brand["slug"]
    assert updated["ticketPrefix"] == brand["ticketPrefix"]
    assert updated["updatedAt"] >= brand["updatedAt"]
    assert api.ok("get", f"/brands/{brand['id']}") == updated


def test_update_with_an_empty_body_changes_nothing_but_succeeds(
    api: Api, brand: dict[str, Any]
) -> None:
    updated = api.ok("patch", f"/brands/{brand['id']}", json={})
    assert {k: v for k, v in updated.items() if k != "updatedAt"} == {
        k: v for k, v in brand.items() if k != "updatedAt"
    }


@pytest.mark.parametrize("field", ["name", "ticketPrefix", "csatType", "csatDelayMinutes"])
def test_required_fields_cannot_be_nulled(api: Api, brand: dict[str, Any], field: str) -> None:
    response = api.patch(f"/brands/{brand['id']}", json={field: None})
    assert response.status_code == 422, response.text
    assert api.ok("get", f"/brands/{brand['id']}") == brand


# --- Delete --------------------------------------------------------------------------------


def test_delete_without_confirm_returns_a_preview_and_deletes_nothing(
    api: Api, brand: dict[str, Any]
) -> None:
    make_ticket(api, brand)
    make_ticket(api, brand)
    make_status(api, brand)
    preview = api.ok("delete", f"/brands/{brand['id']}")
    assert preview["ticketCount"] == 2
    assert preview["customStatusCount"] == 1
    assert preview["brandId"] == brand["id"]
    assert preview["confirmRequired"] is True
    assert api.ok("get", f"/brands/{brand['id']}")["name"] == "Acme Store"
    assert len(api.ok("get", f"/brands/{brand['id']}/tickets")["data"]) == 2


def test_delete_preview_counts_live_webhooks_categories_and_tags(
    api: Api, brand: dict[str, Any], other_brand: dict[str, Any], other_api: Api
) -> None:
    for _ in range(2):
        make_webhook(api, brand)
    gone_webhook = make_webhook(api, brand)
    api.ok("delete", f"/brands/{brand['id']}/webhooks/{gone_webhook['id']}", 204)
    make_category(api, brand, name="Billing")
    gone_category = make_category(api, brand, name="Shipping")
    api.ok("delete", f"/brands/{brand['id']}/categories/{gone_category['id']}", 204)
    for name in ("vip", "refund", "bug"):
        make_tag(api, brand, name)
    gone_tag = make_tag(api, brand, "old")
    api.ok("delete", f"/brands/{brand['id']}/tags/{gone_tag['id']}", 204)
    make_webhook(other_api, other_brand)
    make_tag(other_api, other_brand, "vip")

    preview = api.ok("delete", f"/brands/{brand['id']}")

    assert (preview["webhookCount"], preview["categoryCount"], preview["tagCount"]) == (2, 1, 3)


def test_delete_with_confirm_false_is_only_a_preview(api: Api, brand: dict[str, Any]) -> None:
    preview = api.ok("delete", f"/brands/{brand['id']}", params={"confirm": "false"})
    assert preview["ticketCount"] == 0
    api.ok("get", f"/brands/{brand['id']}")


def test_delete_with_confirm_removes_the_brand_everywhere(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)
    response = api.delete(f"/brands/{brand['id']}", params={"confirm": "true"})
    assert response.status_code == 204
    assert response.content == b""
    b = brand["id"]
    for gone in (
        api.get(f"/brands/{b}"),
        api.patch(f"/brands/{b}", json={"name": "Back"}),
        api.delete(f"/brands/{b}"),
        api.delete(f"/brands/{b}", params={"confirm": "true"}),
        api.get(f"/brands/{b}/statuses"),
        api.get(f"/brands/{b}/tickets"),
        api.get(f"/brands/{b}/tickets/{ticket['id']}"),
        api.post(f"/brands/{b}/tickets", json={"title": "After"}),
    ):
        assert gone.status_code == 404, gone.text
        assert gone.json()["code"] == "brand_not_found"
    assert api.ok("get", "/brands") == []


def test_deleted_brands_slug_becomes_reusable(
    api: Api, other_api: Api, brand: dict[str, Any]
) -> None:
    api.ok("delete", f"/brands/{brand['id']}", 204, params={"confirm": "true"})
    reused = other_api.ok("post", "/brands", 201, json={"name": "New", "slug": brand["slug"]})
    assert reused["slug"] == brand["slug"]
    regenerated = api.ok("post", "/brands", 201, json={"name": "Acme Store"})
    assert SLUG_WITH_SUFFIX.match(regenerated["slug"])


def test_slug_freed_by_delete_is_generated_again_for_the_same_name(
    api: Api, brand: dict[str, Any]
) -> None:
    api.ok("delete", f"/brands/{brand['id']}", 204, params={"confirm": "true"})
    assert api.ok("post", "/brands", 201, json={"name": "Acme Store"})["slug"] == "acme-store"


def test_delete_with_an_invalid_confirm_value_is_422(api: Api, brand: dict[str, Any]) -> None:
    response = api.delete(f"/brands/{brand['id']}", params={"confirm": "maybe"})
    assert response.status_code == 422
    api.ok("get", f"/brands/{brand['id']}")


def test_delete_preview_counts_live_contacts_and_companies(
    api: Api, brand: dict[str, Any], other_brand: dict[str, Any], other_api: Api
) -> None:
    make_contact(api, brand, email="ann@customer.test")
    gone = make_contact(api, brand, email="bob@customer.test")
    api.ok("delete", f"/brands/{brand['id']}/contacts/{gone['id']}")
    make_company(api, brand)
    make_contact(other_api, other_brand, email="cy@customer.test")
    preview = api.ok("delete", f"/brands/{brand['id']}")
    assert preview["contactCount"] == 1
    assert preview["companyCount"] == 1
