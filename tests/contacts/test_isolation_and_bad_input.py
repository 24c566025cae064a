"""Contacts and companies of other brands and accounts are 404; bad input is a clear 4xx
and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.contacts.helpers import (
    CONTACT_COLLECTIONS,
    Json,
    assert_problem,
    companies_path,
    company_path,
    contact_path,
    contacts_path,
    error_fields,
    get_company,
    get_contact,
    make_company,
    make_contact,
    state_of,
)

CONTACT_ACCESSES = [("get", None), ("patch", {"name": "hijacked"}), ("delete", None)]
COMPANY_ACCESSES = [("get", None), ("patch", {"name": "hijacked"}), ("delete", None)]


def _call(api: Api, method: str, path: str, body: Json | None) -> Any:
    return getattr(api, method)(path, json=body) if body is not None else getattr(api, method)(path)


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
@pytest.mark.parametrize(("method", "body"), CONTACT_ACCESSES)
def test_another_account_gets_404_for_a_contact(
    api: Api,
    brand: Json,
    other_api: Api,
    other_brand: Json,
    session: Session,
    collection: str,
    method: str,
    body: Json | None,
) -> None:
    contact = make_contact(api, brand, "jane@example.com")
    before = state_of(session, brand["id"])

    foreign_brand = contact_path(brand, contact, collection=collection)
    own_brand = contact_path(other_brand, contact, collection=collection)
    assert_problem(_call(other_api, method, foreign_brand, body), 404, "brand_not_found")
    assert_problem(_call(other_api, method, own_brand, body), 404, "contact_not_found")

    assert state_of(session, brand["id"]) == before
    assert get_contact(api, brand, contact) == contact


@pytest.mark.parametrize(("method", "body"), CONTACT_ACCESSES)
def test_a_contact_of_another_brand_of_the_same_account_is_404(
    api: Api, brand: Json, session: Session, method: str, body: Json | None
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    contact = make_contact(api, second, "jane@example.com")
    before = state_of(session, second["id"])

    response = _call(api, method, contact_path(brand, contact), body)

    assert_problem(response, 404, "contact_not_found")
    assert state_of(session, second["id"]) == before


@pytest.mark.parametrize(("method", "body"), COMPANY_ACCESSES)
def test_a_company_of_another_account_or_brand_is_404(
    api: Api,
    brand: Json,
    other_api: Api,
    other_brand: Json,
    session: Session,
    method: str,
    body: Json | None,
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    before = state_of(session, brand["id"])

    assert_problem(
        _call(other_api, method, company_path(brand, company), body), 404, "brand_not_found"
    )
    assert_problem(
        _call(other_api, method, company_path(other_brand, company), body),
        404,
        "company_not_found",
    )
    assert_problem(
        _call(api, method, company_path(second, company), body), 404, "company_not_found"
    )

    assert state_of(session, brand["id"]) == before
    assert get_company(api, brand, company)["name"] == "Initech"


def test_lists_and_search_show_only_the_brands_own_contacts_and_companies(
    api: Api, brand: Json, other_api: Api, other_brand: Json
) -> None:
    make_contact(api, brand, "jane@example.com")
    make_company(api, brand, "Initech")
    mine = make_contact(other_api, other_brand, "bob@example.com")

    contacts = other_api.ok("get", contacts_path(other_brand))["data"]
    found = other_api.ok("get", contacts_path(other_brand, "/search"), params={"q": "example"})
    companies = other_api.ok("get", companies_path(other_brand))["data"]

    assert [c["id"] for c in contacts] == [mine["id"]]
    assert [c["id"] for c in found] == [mine["id"]]
    assert companies == []
    assert_problem(other_api.get(contacts_path(brand)), 404, "brand_not_found")
    assert_problem(other_api.get(companies_path(brand)), 404, "brand_not_found")


def test_another_account_cannot_create_in_a_brand(
    api: Api, brand: Json, other_api: Api, session: Session
) -> None:
    before = state_of(session, brand["id"])

    assert_problem(
        other_api.post(contacts_path(brand), json={"email": "x@example.com"}),
        404,
        "brand_not_found",
    )
    assert_problem(
        other_api.post(companies_path(brand), json={"name": "X"}), 404, "brand_not_found"
    )
    assert state_of(session, brand["id"]) == before


@pytest.mark.parametrize("via", ["create", "patch", "filter"])
def test_a_company_of_another_brand_cannot_be_linked_or_filtered_by(
    api: Api, brand: Json, session: Session, via: str
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    foreign = make_company(api, second, "Initech")
    contact = make_contact(api, brand, "jane@example.com")
    before = state_of(session, brand["id"])

    if via == "create":
        response = api.post(
            contacts_path(brand), json={"email": "bob@example.com", "companyId": foreign["id"]}
        )
    elif via == "patch":
        response = api.patch(contact_path(brand, contact), json={"companyId": foreign["id"]})
    else:
        response = api.get(contacts_path(brand), params={"companyId": foreign["id"]})

    body = assert_problem(response, 422, "unknown_company")
    assert error_fields(body) == {"companyId"}
    assert state_of(session, brand["id"]) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "jane@"}, "email"),
        ({"email": None}, "email"),
        ({"email": 42}, "email"),
        ({"email": "j" * 310 + "@example.com"}, "email"),
        ({"email": "jane@example.com", "name": "x" * 201}, "name"),
        ({"email": "jane@example.com", "avatarUrl": "javascript:alert(1)"}, "avatarUrl"),
        ({"email": "jane@example.com", "avatarUrl": "https://x/" + "a" * 2050}, "avatarUrl"),
        ({"email": "jane@example.com", "companyId": "c" * 65}, "companyId"),
        ({"email": "jane@example.com", "metadata": ["a"]}, "metadata"),
        ({"email": "jane@example.com", "metadata": {"n": "x" * 70_000}}, "metadata"),
        ({"email": "jane@example.com", "customFields": "gold"}, "customFields"),
        ({"email": "jane@example.com", "notifyEmail": "sometimes"}, "notifyEmail"),
        ({"email": "jane@example.com", "phone": "555"}, "phone"),
        ({"email": "jane@example.com", "brand_id": "br_x"}, "brand_id"),
        ({"email": "jane@example.com", "avatar_url": "https://x.example/a.png"}, "avatar_url"),
    ],
)
@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_bad_contact_input_is_a_422_naming_the_field_and_changes_nothing(
    api: Api, brand: Json, session: Session, collection: str, body: Json, field: str
) -> None:
    before = state_of(session, brand["id"])

    response = api.post(contacts_path(brand, collection=collection), json=body)

    problem = assert_problem(response, 422, "validation_error")
    assert field in error_fields(problem)
    assert state_of(session, brand["id"]) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"email": None}, "email"),
        ({"email": "nope"}, "email"),
        ({"notifyEmail": None}, "notifyEmail"),
        ({"name": "x" * 201}, "name"),
        ({"emailUndeliverable": False}, "emailUndeliverable"),
        ({"id": "cus_other"}, "id"),
        ({"metadata": {"n": "x" * 70_000}}, "metadata"),
    ],
)
def test_bad_contact_patch_is_a_422_and_changes_nothing(
    api: Api, brand: Json, session: Session, body: Json, field: str
) -> None:
    contact = make_contact(api, brand, "jane@example.com", name="Jane")
    before = state_of(session, brand["id"])

    response = api.patch(contact_path(brand, contact), json=body)

    problem = assert_problem(response, 422, "validation_error")
    assert error_fields(problem) == {field}
    assert state_of(session, brand["id"]) == before
    assert get_contact(api, brand, contact) == contact


def test_a_body_that_is_not_json_is_a_400_and_changes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    before = state_of(session, brand["id"])

    response = api.post(
        contacts_path(brand), content=b"{email:", headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400, "invalid_json")
    assert state_of(session, brand["id"]) == before
