"""The companies screen: the list (search, pages, contact counts), a new company, a
company's page (edit name, domain and custom fields; its contacts and their tickets),
deleting; refused forms come back by their fields with nothing changed; other accounts'
and unreachable brands' ids are not found."""

from __future__ import annotations

import html
import re
from typing import Any

from dispatch.core.db import Database
from tests.conftest import Api, make_ticket
from tests.web.conftest import Browser, add_member
from tests.web.test_contacts_screen import make_company, make_contact, next_link

Json = dict[str, Any]
COMPANY_ROW = re.compile(r'<tr data-company-id="([^"]+)"')
TICKET_ROW = re.compile(r'<tr data-ticket-id="([^"]+)"')


def companies_url(brand: Json, tail: str = "") -> str:
    return f"/brands/{brand['id']}/companies{tail}"


def listed(page: Any) -> list[str]:
    assert page.status_code == 200, page.text[:500]
    return COMPANY_ROW.findall(page.text)


def api_company(api: Api, brand: Json, company: Json) -> Json:
    return api.ok("get", f"/brands/{brand['id']}/companies/{company['id']}")  # type: ignore[no-any-return]


def test_the_list_shows_companies_by_name_with_contact_counts_and_searches(
    web: Browser, api: Api, brand: Json
) -> None:
    zeta = make_company(api, brand, "Zeta Ltd", "zeta.test")
    acme = make_company(api, brand, "Acme Corp", "acme.test")
    make_contact(api, brand, "ann@acme.test")
    make_contact(api, brand, "bob@acme.test")

    page = web.get(companies_url(brand))

    assert listed(page) == [acme["id"], zeta["id"]]
    assert f'/contacts?company={acme["id"]}" aria-label="2 contacts of Acme Corp"' in page.text
    assert listed(web.get(companies_url(brand), params={"q": "zeta.t"})) == [zeta["id"]]
    assert "No companies match." in web.get(companies_url(brand), params={"q": "nope"}).text


def test_pages_follow_the_cursor(web: Browser, api: Api, brand: Json) -> None:
    made = [make_company(api, brand, f"Company {n:02}")["id"] for n in range(26)]

    first = web.get(companies_url(brand))
    following = next_link(first)
    assert following is not None

    assert listed(first) + listed(web.get(following)) == made


def test_a_new_company_is_created_and_links_contacts_at_its_domain(
    web: Browser, api: Api, brand: Json
) -> None:
    ann = make_contact(api, brand, "ann@acme.test")
    web.get(companies_url(brand))

    created = web.post(companies_url(brand), {"name": "Acme Corp", "domain": "ACME.test"})

    assert created.status_code == 303
    company_id = created.headers["location"].split("/")[-1].split("?")[0]
    opened = web.get(created.headers["location"])
    assert "Company created" in opened.text
    assert f'/contacts/{ann["id"]}">' in opened.text
    stored = api.ok("get", f"/brands/{brand['id']}/companies/{company_id}")
    assert (stored["name"], stored["domain"], stored["_count"]["customers"]) == (
        "Acme Corp",
        "acme.test",
        1,
    )


def test_a_bad_taken_or_free_mail_domain_comes_back_by_its_field(
    web: Browser, api: Api, brand: Json
) -> None:
    make_company(api, brand, "Acme Corp", "acme.test")
    web.get(companies_url(brand))

    for domain, message in (
        ("acme.test", "already has the domain"),
        ("gmail.com", "free email provider"),
        ("https://x", "domain must be a hostname"),
    ):
        refused = web.post(companies_url(brand), {"name": "Other", "domain": domain})
        assert refused.status_code == 422, domain
        assert 'id="company-domain-error"' in refused.text
        assert message in html.unescape(refused.text)
        assert 'value="Other"' in refused.text

    nameless = web.post(companies_url(brand), {"name": "", "domain": "other.test"})
    assert nameless.status_code == 422
    assert 'id="new-company-name-error"' in nameless.text
    assert len(api.ok("get", f"/brands/{brand['id']}/companies")["data"]) == 1


def test_the_page_edits_name_domain_and_custom_fields_and_lists_its_tickets(
    web: Browser, api: Api, brand: Json
) -> None:
    acme = make_company(api, brand, "Acme", "acme.test")
    api.ok(
        "post",
        f"/brands/{brand['id']}/fields/company",
        201,
        json={"key": "tier", "label": "Tier", "type": "text"},
    )
    ann = make_contact(api, brand, "ann@acme.test")
    later = make_contact(api, brand, "cleo@acme-group.test")
    theirs = make_ticket(api, brand, customerEmail=ann["email"])
    make_ticket(api, brand, customerEmail="someone@else.test")
    url = companies_url(brand, f"/{acme['id']}")

    page = web.get(url)
    assert TICKET_ROW.findall(page.text) == [theirs["id"]]
    assert 'name="cf.tier"' in page.text

    saved = web.post(url, {"name": "Acme Group", "domain": "acme-group.test", "cf.tier": "gold"})

    assert saved.status_code == 303
    stored = api_company(api, brand, acme)
    assert (stored["name"], stored["domain"], stored["customFields"]) == (
        "Acme Group",
        "acme-group.test",
        {"tier": "gold"},
    )
    # The new domain brought in the company-less contact at it.
    assert {c["id"] for c in stored["customers"]} == {ann["id"], later["id"]}

    refused = web.post(url, {"name": "Acme Group", "domain": "gmail.com"})
    assert refused.status_code == 422
    assert 'id="company-domain-error"' in refused.text
    assert api_company(api, brand, acme)["domain"] == "acme-group.test"


def test_deleting_keeps_its_contacts_without_a_company(web: Browser, api: Api, brand: Json) -> None:
    acme = make_company(api, brand, "Acme Corp", "acme.test")
    ann = make_contact(api, brand, "ann@acme.test")
    url = companies_url(brand, f"/{acme['id']}")

    confirm = web.get(f"{url}/delete")
    assert "Its 1 contact stay, without a company" in confirm.text

    deleted = web.post(f"{url}/delete")

    assert deleted.status_code == 303
    assert "Deleted Acme Corp" in web.get(deleted.headers["location"]).text
    assert api.get(f"/brands/{brand['id']}/companies/{acme['id']}").status_code == 404
    contact = api.ok("get", f"/brands/{brand['id']}/contacts/{ann['id']}")
    assert contact["companyId"] is None


def test_other_accounts_and_brands_outside_access_are_not_found(
    web: Browser,
    browsers: Any,
    api: Api,
    other_api: Api,
    brand: Json,
    other_brand: Json,
    database: Database,
) -> None:
    theirs = make_company(other_api, other_brand, "Globex")
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    member: Browser = browsers()
    assert member.sign_in(person.email).status_code == 303

    assert web.get(companies_url(other_brand)).status_code == 404
    assert web.get(companies_url(brand, f"/{theirs['id']}")).status_code == 404
    web.get(companies_url(brand))
    assert web.post(companies_url(brand, f"/{theirs['id']}/delete")).status_code == 404
    assert web.post(companies_url(brand, f"/{theirs['id']}"), {"name": "X"}).status_code == 404
    assert other_api.ok("get", f"/brands/{other_brand['id']}/companies/{theirs['id']}")

    assert member.get(companies_url(brand)).status_code == 200
    assert member.get(companies_url(second)).status_code == 404
