"""Contacts are linked to the company whose domain their email address is at."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.contacts.helpers import (
    Json,
    brand_events,
    company_object,
    company_path,
    contact_path,
    get_company,
    get_contact,
    make_company,
    make_contact,
)


def test_a_new_contact_at_a_company_domain_is_linked_to_it(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")

    contact = make_contact(api, brand, "Peter@INITECH.com")

    assert contact["companyId"] == company["id"]
    assert contact["company"] == company_object(api, brand, company)
    assert get_company(api, brand, company)["_count"] == {"customers": 1}


def test_an_explicit_company_wins_over_the_email_domain(api: Api, brand: Json) -> None:
    make_company(api, brand, "Initech", domain="initech.com")
    chosen = make_company(api, brand, "Initrode")

    contact = make_contact(api, brand, "peter@initech.com", companyId=chosen["id"])

    assert contact["companyId"] == chosen["id"]


def test_a_subdomain_or_lookalike_domain_is_not_linked(api: Api, brand: Json) -> None:
    make_company(api, brand, "Initech", domain="initech.com")

    sub = make_contact(api, brand, "peter@eu.initech.com")
    lookalike = make_contact(api, brand, "peter@notinitech.com")

    assert sub["companyId"] is None
    assert lookalike["companyId"] is None


def test_a_company_of_another_brand_does_not_link(api: Api, brand: Json) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    make_company(api, second, "Initech", domain="initech.com")

    contact = make_contact(api, brand, "peter@initech.com")

    assert contact["companyId"] is None


def test_a_deleted_company_does_not_link_new_contacts(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    api.ok("delete", company_path(brand, company), 204)

    contact = make_contact(api, brand, "peter@initech.com")

    assert contact["companyId"] is None


def test_creating_a_company_links_existing_contacts_at_its_domain(
    api: Api, brand: Json, session: Session
) -> None:
    peter = make_contact(api, brand, "peter@initech.com")
    milton = make_contact(api, brand, "milton@initech.com")
    elsewhere = make_contact(api, brand, "bob@initrode.com")
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    other_brand_contact = make_contact(api, second, "samir@initech.com")

    company = make_company(api, brand, "Initech", domain="initech.com")

    assert company["_count"] == {"customers": 2}
    assert get_contact(api, brand, peter)["companyId"] == company["id"]
    assert get_contact(api, brand, milton)["companyId"] == company["id"]
    assert get_contact(api, brand, elsewhere)["companyId"] is None
    assert get_contact(api, second, other_brand_contact)["companyId"] is None
    linked = brand_events(session, brand["id"], "contact.updated")
    assert {e.data["id"] for e in linked} == {peter["id"], milton["id"]}
    assert all(e.data["changes"] == ["companyId"] for e in linked)
    assert all(e.data["previous"] == {"companyId": None} for e in linked)
    assert all(e.data["companyId"] == company["id"] for e in linked)
    assert all(e.data["trigger"] == "company_domain" for e in linked)


def test_creating_a_company_keeps_contacts_already_at_another_company(
    api: Api, brand: Json
) -> None:
    other = make_company(api, brand, "Initrode")
    peter = make_contact(api, brand, "peter@initech.com", companyId=other["id"])

    make_company(api, brand, "Initech", domain="initech.com")

    assert get_contact(api, brand, peter)["companyId"] == other["id"]


def test_giving_a_company_a_domain_links_existing_contacts(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech")
    peter = make_contact(api, brand, "peter@initech.com")
    assert peter["companyId"] is None

    updated = api.ok("patch", company_path(brand, company), json={"domain": "initech.com"})

    assert updated["_count"] == {"customers": 1}
    assert get_contact(api, brand, peter)["companyId"] == company["id"]


def test_changing_a_company_domain_links_contacts_at_the_new_domain(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    old = make_contact(api, brand, "peter@initech.com")
    new = make_contact(api, brand, "peter@initech.io")

    api.ok("patch", company_path(brand, company), json={"domain": "initech.io"})

    assert get_contact(api, brand, new)["companyId"] == company["id"]
    # Links made earlier stay: the domain only decides new links.
    assert get_contact(api, brand, old)["companyId"] == company["id"]
    assert get_company(api, brand, company)["_count"] == {"customers": 2}


def test_deleted_contacts_are_not_linked_by_a_new_company(api: Api, brand: Json) -> None:
    gone = make_contact(api, brand, "peter@initech.com")
    api.ok("delete", contact_path(brand, gone))

    company = make_company(api, brand, "Initech", domain="initech.com")

    assert company["_count"] == {"customers": 0}


def test_free_mail_contacts_are_never_linked(api: Api, brand: Json) -> None:
    make_company(api, brand, "Initech", domain="initech.com")

    contact = make_contact(api, brand, "peter@gmail.com")

    assert contact["companyId"] is None
