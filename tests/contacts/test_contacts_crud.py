"""Contacts through the API: create, read, update and delete, on /contacts and on the
legacy /customers alias."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.contacts.helpers import (
    COMPANY_KEYS,
    CONTACT_COLLECTIONS,
    CONTACT_KEYS,
    Json,
    assert_problem,
    company_object,
    contact_path,
    contacts_path,
    get_contact,
    make_company,
    make_contact,
    state_of,
)


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_creating_a_contact_returns_the_whole_wire_object(
    api: Api, brand: Json, collection: str
) -> None:
    created = api.ok(
        "post",
        contacts_path(brand, collection=collection),
        201,
        json={
            "email": "Jane.Doe@Example.COM",
            "name": "Jane Doe",
            "avatarUrl": "https://cdn.example.com/jane.png",
            "metadata": {"plan": "pro"},
            "customFields": {"tier": "gold"},
            "notifyEmail": False,
        },
    )

    assert set(created) == CONTACT_KEYS
    assert created["id"].startswith("cus_")
    assert created["brandId"] == brand["id"]
    assert created["email"] == "jane.doe@example.com"
    assert created["name"] == "Jane Doe"
    assert created["avatarUrl"] == "https://cdn.example.com/jane.png"
    assert created["companyId"] is None
    assert created["company"] is None
    assert created["metadata"] == {"plan": "pro"}
    assert created["customFields"] == {"tier": "gold"}
    assert created["notifyEmail"] is False
    assert created["emailUndeliverable"] is False
    assert created["emailUndeliverableAt"] is None
    assert created["createdAt"] == created["updatedAt"]
    assert created["_count"] == {"tickets": 0}


def test_a_contact_created_with_only_an_email_gets_the_defaults(api: Api, brand: Json) -> None:
    created = make_contact(api, brand, "solo@example.com")

    assert created["name"] is None
    assert created["avatarUrl"] is None
    assert created["metadata"] == {}
    assert created["customFields"] == {}
    assert created["notifyEmail"] is True


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_a_contact_reads_the_same_through_contacts_and_customers(
    api: Api, brand: Json, collection: str
) -> None:
    created = make_contact(api, brand, "jane@example.com", name="Jane")

    got = api.ok("get", contact_path(brand, created, collection=collection))
    listed = api.ok("get", contacts_path(brand, collection=collection))

    assert got == created
    assert listed["data"] == [created]


def test_contact_created_through_customers_is_listed_under_contacts(api: Api, brand: Json) -> None:
    created = api.ok(
        "post", contacts_path(brand, collection="customers"), 201, json={"email": "a@b.com"}
    )

    assert api.ok("get", contacts_path(brand))["data"] == [created]


def test_customers_alias_is_deprecated_in_openapi_and_contacts_is_not(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]

    legacy = paths["/v1/brands/{brandId}/customers/{contactId}"]
    current = paths["/v1/brands/{brandId}/contacts/{contactId}"]
    assert all(op.get("deprecated") is True for op in legacy.values())
    assert not any(op.get("deprecated") for op in current.values())
    assert set(legacy) == set(current) == {"get", "patch", "delete"}
    assert set(paths["/v1/brands/{brandId}/customers"]) == {"get", "post"}
    assert "get" in paths["/v1/brands/{brandId}/customers/search"]


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_deleting_a_contact_is_documented_to_return_it(api: Api, collection: str) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]

    responses = paths[f"/v1/brands/{{brandId}}/{collection}/{{contactId}}"]["delete"]["responses"]

    assert "204" not in responses
    schema = responses["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ContactOut"}


def test_a_contact_embeds_its_whole_company_wherever_it_is_shown(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com", metadata={"tier": 1})
    frozen_clock.advance(minutes=1)
    api.ok("patch", f"/brands/{brand['id']}/companies/{company['id']}", json={"name": "Initrode"})
    created = make_contact(api, brand, "peter@initech.com")
    expected = company_object(api, brand, company)

    updated = api.ok("patch", contact_path(brand, created), json={"name": "Peter"})

    assert set(expected) == COMPANY_KEYS
    assert expected["updatedAt"] != expected["createdAt"]
    assert expected["_count"] == {"customers": 1}
    assert created["company"] == updated["company"] == expected
    assert get_contact(api, brand, created)["company"] == expected
    assert api.ok("get", contacts_path(brand))["data"][0]["company"] == expected


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_email_is_unique_per_brand_ignoring_case(
    api: Api, brand: Json, session: Session, collection: str
) -> None:
    make_contact(api, brand, "jane@example.com")
    before = state_of(session, brand["id"])

    response = api.post(
        contacts_path(brand, collection=collection), json={"email": "JANE@Example.com"}
    )

    assert_problem(response, 409, "contact_exists")
    assert state_of(session, brand["id"]) == before


def test_the_same_email_may_be_a_contact_of_two_brands(api: Api, brand: Json) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})

    first = make_contact(api, brand, "jane@example.com")
    other = make_contact(api, second, "jane@example.com")

    assert first["id"] != other["id"]


def test_a_deleted_contacts_email_can_be_used_again(api: Api, brand: Json) -> None:
    old = make_contact(api, brand, "jane@example.com")
    api.ok("delete", contact_path(brand, old))

    new = make_contact(api, brand, "jane@example.com")

    assert new["id"] != old["id"]
    assert api.ok("get", contacts_path(brand))["data"] == [new]


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_patch_changes_the_given_fields_and_keeps_the_others(
    api: Api, brand: Json, collection: str, frozen_clock: Any
) -> None:
    contact = make_contact(api, brand, "jane@example.com", name="Jane", notifyEmail=True)
    frozen_clock.advance(minutes=5)

    updated = api.ok(
        "patch",
        contact_path(brand, contact, collection=collection),
        json={"name": "Jane Roe", "notifyEmail": False, "avatarUrl": "http://x.example/a.png"},
    )

    assert updated["name"] == "Jane Roe"
    assert updated["notifyEmail"] is False
    assert updated["avatarUrl"] == "http://x.example/a.png"
    assert updated["email"] == "jane@example.com"
    assert updated["createdAt"] == contact["createdAt"]
    assert updated["updatedAt"] > contact["updatedAt"]
    assert get_contact(api, brand, contact) == updated


def test_patch_changes_the_email_stored_lowercase(api: Api, brand: Json) -> None:
    contact = make_contact(api, brand, "jane@example.com")

    updated = api.ok("patch", contact_path(brand, contact), json={"email": "Jane@NewCo.com"})

    assert updated["email"] == "jane@newco.com"


def test_patch_to_another_contacts_email_is_a_conflict_and_changes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    make_contact(api, brand, "jane@example.com")
    bob = make_contact(api, brand, "bob@example.com")
    before = state_of(session, brand["id"])

    response = api.patch(contact_path(brand, bob), json={"email": "JANE@example.com"})

    assert_problem(response, 409, "contact_exists")
    assert state_of(session, brand["id"]) == before


def test_patch_to_the_contacts_own_email_in_other_case_is_no_change(api: Api, brand: Json) -> None:
    contact = make_contact(api, brand, "jane@example.com")

    updated = api.ok("patch", contact_path(brand, contact), json={"email": "JANE@example.com"})

    assert updated == contact


def test_metadata_and_custom_fields_merge_and_null_removes_a_key(api: Api, brand: Json) -> None:
    contact = make_contact(
        api,
        brand,
        metadata={"plan": "pro", "seats": 3},
        customFields={"tier": "gold", "region": "eu"},
    )

    updated = api.ok(
        "patch",
        contact_path(brand, contact),
        json={"metadata": {"seats": None, "source": "crm"}, "customFields": {"tier": "silver"}},
    )

    assert updated["metadata"] == {"plan": "pro", "source": "crm"}
    assert updated["customFields"] == {"tier": "silver", "region": "eu"}


def test_metadata_null_clears_the_map(api: Api, brand: Json) -> None:
    contact = make_contact(api, brand, metadata={"plan": "pro"})

    updated = api.ok("patch", contact_path(brand, contact), json={"metadata": None})

    assert updated["metadata"] == {}


def test_patch_links_and_unlinks_a_company(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech")
    contact = make_contact(api, brand, "peter@example.com")

    linked = api.ok("patch", contact_path(brand, contact), json={"companyId": company["id"]})
    linked_company = company_object(api, brand, company)
    unlinked = api.ok("patch", contact_path(brand, contact), json={"companyId": None})

    assert linked["companyId"] == company["id"]
    assert linked["company"] == linked_company
    assert unlinked["companyId"] is None
    assert unlinked["company"] is None


def test_patch_name_null_clears_the_name(api: Api, brand: Json) -> None:
    contact = make_contact(api, brand, name="Jane")

    updated = api.ok("patch", contact_path(brand, contact), json={"name": None})

    assert updated["name"] is None


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_deleting_a_contact_hides_it_everywhere_and_returns_it(
    api: Api, brand: Json, collection: str
) -> None:
    contact = make_contact(api, brand, "jane@example.com")
    kept = make_contact(api, brand, "bob@example.com")

    response = api.delete(contact_path(brand, contact, collection=collection))

    assert response.status_code == 200
    assert response.json() == {**contact, "updatedAt": response.json()["updatedAt"]}
    assert_problem(api.get(contact_path(brand, contact)), 404, "contact_not_found")
    assert_problem(api.delete(contact_path(brand, contact)), 404, "contact_not_found")
    assert_problem(
        api.patch(contact_path(brand, contact), json={"name": "x"}), 404, "contact_not_found"
    )
    assert [c["id"] for c in api.ok("get", contacts_path(brand))["data"]] == [kept["id"]]
    assert api.ok("get", contacts_path(brand, "/search"), params={"q": "jane"}) == []


def test_unknown_contact_id_is_404(api: Api, brand: Json) -> None:
    assert_problem(api.get(contact_path(brand, "cus_missing")), 404, "contact_not_found")
