"""Account → Brands in the dashboard: the list, creating a brand (with its system
statuses), bad input by its field; deleting with the preview of what goes with it and
the brand's name typed; members are refused; another account's brand is not found."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api, make_ticket
from tests.contacts.helpers import make_company, make_contact
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]


def brand_names(api: Api) -> list[str]:
    return sorted(b["name"] for b in api.ok("get", "/brands"))


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    browser.get("/inbox")
    return browser


def test_the_list_shows_the_brands(web: Browser, brand: Json) -> None:
    page = web.get("/account/brands")
    assert page.status_code == 200
    assert f'data-brand-id="{brand["id"]}"' in page.text
    assert f"{brand['ticketPrefix']}-{brand['nextTicketNumber']}" in page.text
    assert f'href="/account/brands/{brand["id"]}/delete"' in page.text


def test_creating_a_brand(web: Browser, api: Api) -> None:
    web.get("/account/brands")
    done = web.post("/account/brands", {"name": "Acme Outlet", "ticket_prefix": "out"})
    assert done.status_code == 303
    made = next(b for b in api.ok("get", "/brands") if b["name"] == "Acme Outlet")
    assert made["ticketPrefix"] == "OUT"
    assert len(api.ok("get", f"/brands/{made['id']}/statuses")) == 4
    assert "Created Acme Outlet" in web.get(done.headers["location"]).text
    # The prefix is optional: from the name's initials.
    assert web.post("/account/brands", {"name": "Acme Wholesale Group"}).status_code == 303
    made = next(b for b in api.ok("get", "/brands") if b["name"] == "Acme Wholesale Group")
    assert made["ticketPrefix"] == "AWG"


@pytest.mark.parametrize(
    ("form", "field_id"),
    [
        ({"name": ""}, "brand-name-error"),
        ({"name": "Outlet", "ticket_prefix": "no spaces!"}, "brand-prefix-error"),
    ],
)
def test_bad_input_shows_the_form_and_makes_nothing(
    web: Browser, api: Api, brand: Json, form: dict[str, str], field_id: str
) -> None:
    web.get("/account/brands")
    refused = web.post("/account/brands", form)
    assert refused.status_code == 422
    assert f'id="{field_id}"' in refused.text
    assert brand_names(api) == ["Acme Store"]


def test_the_delete_page_previews_what_goes(web: Browser, api: Api, brand: Json) -> None:
    make_ticket(api, brand)
    make_ticket(api, brand)
    make_contact(api, brand, email="ann@customer.test")
    make_company(api, brand)
    page = web.get(f"/account/brands/{brand['id']}/delete")
    assert page.status_code == 200
    preview = page.text.split("data-preview>")[1].split("</ul>")[0]
    assert "<strong>2</strong> tickets" in preview
    assert "<strong>1</strong> company" in preview
    # The same counts as the API's preview (the tickets' customers and the contact above).
    counted = api.ok("delete", f"/brands/{brand['id']}")
    assert counted["contactCount"] >= 1
    contacts = counted["contactCount"]
    assert f"<strong>{contacts}</strong> contact{'' if contacts == 1 else 's'}<" in preview


def test_deleting_needs_the_name_typed(web: Browser, api: Api, brand: Json) -> None:
    web.get(f"/account/brands/{brand['id']}/delete")
    refused = web.post(f"/account/brands/{brand['id']}/delete", {"confirm_name": "acme store"})
    assert refused.status_code == 422
    assert 'id="confirm-name-error"' in refused.text
    assert brand_names(api) == ["Acme Store"]
    done = web.post(f"/account/brands/{brand['id']}/delete", {"confirm_name": "Acme Store"})
    assert done.status_code == 303
    assert brand_names(api) == []
    assert api.get(f"/brands/{brand['id']}").status_code == 404
    assert "Deleted Acme Store" in web.get(done.headers["location"]).text


def test_members_see_the_list_but_neither_create_nor_delete(
    member: Browser, api: Api, brand: Json
) -> None:
    page = member.get("/account/brands")
    assert page.status_code == 200
    assert "Create a brand" not in page.text
    assert member.post("/account/brands", {"name": "Mine"}).status_code == 403
    assert member.get(f"/account/brands/{brand['id']}/delete").status_code == 403
    confirmed = {"confirm_name": "Acme Store"}
    assert member.post(f"/account/brands/{brand['id']}/delete", confirmed).status_code == 403
    assert brand_names(api) == ["Acme Store"]


def test_another_accounts_brand_is_not_found(
    web: Browser, other_api: Api, other_brand: Json
) -> None:
    web.get("/account/brands")
    assert web.get(f"/account/brands/{other_brand['id']}/delete").status_code == 404
    confirmed = {"confirm_name": other_brand["name"]}
    assert web.post(f"/account/brands/{other_brand['id']}/delete", confirmed).status_code == 404
    assert brand_names(other_api) == ["Globex Support"]
