"""Companies through the API: create, read (with contacts), update, delete, list."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.contacts.helpers import (
    COMPANY_KEYS,
    CONTACT_KEYS,
    Json,
    all_pages,
    assert_problem,
    companies_path,
    company_object,
    company_path,
    contact_path,
    error_fields,
    get_company,
    get_contact,
    make_company,
    make_contact,
    state_of,
)


def test_creating_a_company_returns_the_whole_wire_object(api: Api, brand: Json) -> None:
    created = make_company(
        api,
        brand,
        "Initech",
        domain="Initech.COM",
        metadata={"notes": "Key account"},
        customFields={"industry": "software"},
    )

    assert set(created) == COMPANY_KEYS
    assert created["id"].startswith("com_")
    assert created["brandId"] == brand["id"]
    assert created["name"] == "Initech"
    assert created["domain"] == "initech.com"
    assert created["metadata"] == {"notes": "Key account"}
    assert created["customFields"] == {"industry": "software"}
    assert created["createdAt"] == created["updatedAt"]
    assert created["_count"] == {"customers": 0}


def test_a_company_without_a_domain_is_allowed(api: Api, brand: Json) -> None:
    first = make_company(api, brand, "Local Bakery")
    second = make_company(api, brand, "Corner Shop")

    assert first["domain"] is None
    assert second["domain"] is None


def test_getting_a_company_embeds_its_contacts_newest_first(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    company = make_company(api, brand, "Initech")
    older = make_contact(api, brand, "peter@example.com", companyId=company["id"])
    frozen_clock.advance(minutes=1)
    newer = make_contact(api, brand, "milton@example.com", companyId=company["id"])
    make_contact(api, brand, "outsider@example.com")

    got = get_company(api, brand, company)

    assert set(got) == COMPANY_KEYS | {"customers"}
    assert [c["id"] for c in got["customers"]] == [newer["id"], older["id"]]
    assert all(set(c) == CONTACT_KEYS for c in got["customers"])
    assert got["customers"][0]["company"] == company_object(api, brand, company)
    assert got["_count"] == {"customers": 2}


def test_company_contact_count_leaves_out_deleted_contacts(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech")
    kept = make_contact(api, brand, "peter@example.com", companyId=company["id"])
    gone = make_contact(api, brand, "milton@example.com", companyId=company["id"])
    api.ok("delete", contact_path(brand, gone))

    got = get_company(api, brand, company)
    listed = api.ok("get", companies_path(brand))["data"]

    assert got["_count"] == {"customers": 1}
    assert [c["id"] for c in got["customers"]] == [kept["id"]]
    assert listed[0]["_count"] == {"customers": 1}


def test_patch_renames_and_merges_metadata_notes(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech", metadata={"notes": "old", "owner": "dana"})

    updated = api.ok(
        "patch",
        company_path(brand, company),
        json={"name": "Initrode", "metadata": {"notes": "Renewal in May", "owner": None}},
    )

    assert updated["name"] == "Initrode"
    assert updated["metadata"] == {"notes": "Renewal in May"}
    assert get_company(api, brand, company)["name"] == "Initrode"


def test_patch_domain_null_clears_the_domain_and_keeps_linked_contacts(
    api: Api, brand: Json
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    contact = make_contact(api, brand, "peter@initech.com")

    updated = api.ok("patch", company_path(brand, company), json={"domain": None})

    assert updated["domain"] is None
    assert get_contact(api, brand, contact)["companyId"] == company["id"]


def test_company_domain_is_unique_per_brand_among_live_companies(
    api: Api, brand: Json, session: Session
) -> None:
    make_company(api, brand, "Initech", domain="initech.com")
    before = state_of(session, brand["id"])

    response = api.post(companies_path(brand), json={"name": "Copy", "domain": "INITECH.com"})

    assert_problem(response, 409, "company_domain_taken")
    assert state_of(session, brand["id"]) == before


def test_patching_to_a_taken_domain_is_a_conflict_and_changes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    make_company(api, brand, "Initech", domain="initech.com")
    other = make_company(api, brand, "Initrode", domain="initrode.com")
    before = state_of(session, brand["id"])

    response = api.patch(company_path(brand, other), json={"domain": "initech.com"})

    assert_problem(response, 409, "company_domain_taken")
    assert state_of(session, brand["id"]) == before


def test_a_deleted_companys_domain_can_be_used_again(api: Api, brand: Json) -> None:
    old = make_company(api, brand, "Initech", domain="initech.com")
    api.ok("delete", company_path(brand, old), 204)

    new = make_company(api, brand, "Initech Reborn", domain="initech.com")

    assert new["domain"] == "initech.com"


def test_two_brands_may_have_a_company_with_the_same_domain(api: Api, brand: Json) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second"})

    make_company(api, brand, "Initech", domain="initech.com")
    other = make_company(api, second, "Initech", domain="initech.com")

    assert other["brandId"] == second["id"]


@pytest.mark.parametrize(
    "domain", ["gmail.com", "GMAIL.com", "outlook.com", "proton.me", "163.com"]
)
def test_a_free_mail_domain_is_refused_as_company_domain(
    api: Api, brand: Json, session: Session, domain: str
) -> None:
    before = state_of(session, brand["id"])

    body = assert_problem(
        api.post(companies_path(brand), json={"name": "Consumers", "domain": domain}),
        422,
        "free_mail_domain",
    )

    assert error_fields(body) == {"domain"}
    assert state_of(session, brand["id"]) == before


def test_a_free_mail_domain_is_refused_on_patch_too(
    api: Api, brand: Json, session: Session
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    before = state_of(session, brand["id"])

    response = api.patch(company_path(brand, company), json={"domain": "hotmail.com"})

    assert_problem(response, 422, "free_mail_domain")
    assert state_of(session, brand["id"]) == before


@pytest.mark.parametrize(
    "domain",
    [
        "initech",
        "https://initech.com",
        "initech.com/path",
        "peter@initech.com",
        "initech.com:443",
        "-initech.com",
        "init ech.com",
        "initech..com",
        "initech.c0m",
        "bücher.de",
        "a" * 64 + ".com",
    ],
)
def test_an_invalid_domain_is_a_422_and_nothing_changes(
    api: Api, brand: Json, session: Session, domain: str
) -> None:
    before = state_of(session, brand["id"])

    body = assert_problem(
        api.post(companies_path(brand), json={"name": "Initech", "domain": domain}),
        422,
        "validation_error",
    )

    assert error_fields(body) == {"domain"}
    assert state_of(session, brand["id"]) == before


def test_punycode_and_subdomains_are_valid_company_domains(api: Api, brand: Json) -> None:
    puny = make_company(api, brand, "Bücher", domain="xn--bcher-kva.de")
    sub = make_company(api, brand, "Initech EU", domain="eu.initech.co.uk")

    assert puny["domain"] == "xn--bcher-kva.de"
    assert sub["domain"] == "eu.initech.co.uk"


def test_deleting_a_company_unlinks_its_contacts(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    contact = make_contact(api, brand, "peter@initech.com")
    assert contact["companyId"] == company["id"]

    response = api.delete(company_path(brand, company))

    assert response.status_code == 204
    assert_problem(api.get(company_path(brand, company)), 404, "company_not_found")
    unlinked = get_contact(api, brand, contact)
    assert unlinked["companyId"] is None
    assert unlinked["company"] is None
    assert api.ok("get", companies_path(brand))["data"] == []


def test_a_deleted_company_cannot_be_patched_deleted_or_linked(api: Api, brand: Json) -> None:
    company = make_company(api, brand, "Initech")
    api.ok("delete", company_path(brand, company), 204)

    assert_problem(
        api.patch(company_path(brand, company), json={"name": "x"}), 404, "company_not_found"
    )
    assert_problem(api.delete(company_path(brand, company)), 404, "company_not_found")
    assert_problem(
        api.post(
            f"/brands/{brand['id']}/contacts",
            json={"email": "a@b.com", "companyId": company["id"]},
        ),
        422,
        "unknown_company",
    )


def test_company_list_searches_name_and_domain(api: Api, brand: Json) -> None:
    make_company(api, brand, "Initech", domain="initech.com")
    make_company(api, brand, "Umbrella", domain="umbrella-corp.com")
    make_company(api, brand, "Hooli")

    def names(search: str) -> list[str]:
        page = api.ok("get", companies_path(brand), params={"search": search})
        return [c["name"] for c in page["data"]]

    assert names("init") == ["Initech"]
    assert names("CORP") == ["Umbrella"]
    assert names("o") == ["Hooli", "Initech", "Umbrella"]
    assert names("   ") == ["Hooli", "Initech", "Umbrella"]
    assert names("%") == []


def test_company_list_is_by_name_and_pages_with_cursors(api: Api, brand: Json) -> None:
    names = [f"company {i:02d}" for i in range(7)]
    for name in reversed(names):
        make_company(api, brand, name)

    pages = all_pages(api, companies_path(brand), {"limit": 3})
    backwards = all_pages(api, companies_path(brand), {"limit": 3, "order": "desc"})

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [c["name"] for p in pages for c in p] == names
    assert [c["name"] for p in backwards for c in p] == list(reversed(names))


def test_company_list_sorts_by_creation(api: Api, brand: Json, frozen_clock: Any) -> None:
    for name in ("b", "a", "c"):
        make_company(api, brand, name)
        frozen_clock.advance(seconds=1)

    pages = all_pages(api, companies_path(brand), {"sort": "createdAt", "limit": 2})

    assert [c["name"] for p in pages for c in p] == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Initech", "color": "red"}, "color"),
        ({"name": "Initech", "metadata": "notes"}, "metadata"),
        ({"name": "Initech", "metadata": {"notes": "x" * 70_000}}, "metadata"),
        ({"name": "Initech", "customFields": [1, 2]}, "customFields"),
    ],
)
def test_bad_company_input_is_a_422_naming_the_field_and_changes_nothing(
    api: Api, brand: Json, session: Session, body: Json, field: str
) -> None:
    before = state_of(session, brand["id"])

    problem = assert_problem(api.post(companies_path(brand), json=body), 422, "validation_error")

    assert error_fields(problem) == {field}
    assert state_of(session, brand["id"]) == before


@pytest.mark.parametrize(("body", "field"), [({}, "body"), ({"name": None}, "name")])
def test_bad_company_patch_is_a_422_and_changes_nothing(
    api: Api, brand: Json, session: Session, body: Json, field: str
) -> None:
    company = make_company(api, brand, "Initech")
    before = state_of(session, brand["id"])

    problem = assert_problem(
        api.patch(company_path(brand, company), json=body), 422, "validation_error"
    )

    assert error_fields(problem) == {field}
    assert state_of(session, brand["id"]) == before
