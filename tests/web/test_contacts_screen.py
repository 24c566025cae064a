"""The contacts screen: the list (search, company filter, pages, kept ticket counts), a
new contact, a contact's page (edit, custom fields, their tickets with bulk actions, a new
ticket for them), merging a duplicate, deleting; refused forms come back by their fields
with nothing changed; other accounts' and unreachable brands' ids are not found."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api, make_ticket
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]
HTMX_TICKETS = {"HX-Request": "true", "HX-Target": "inbox-results"}
CONTACT_ROW = re.compile(r'<tr data-contact-id="([^"]+)"')
TICKET_ROW = re.compile(r'<tr data-ticket-id="([^"]+)"')


def contacts_url(brand: Json, tail: str = "") -> str:
    return f"/brands/{brand['id']}/contacts{tail}"


def make_contact(api: Api, brand: Json, email: str, **fields: Any) -> Json:
    body = {"email": email, **fields}
    return api.ok("post", f"/brands/{brand['id']}/contacts", 201, json=body)  # type: ignore[no-any-return]


def make_company(api: Api, brand: Json, name: str, domain: str | None = None) -> Json:
    body = {"name": name, **({"domain": domain} if domain else {})}
    return api.ok("post", f"/brands/{brand['id']}/companies", 201, json=body)  # type: ignore[no-any-return]


def api_contact(api: Api, brand: Json, contact: Json) -> Json:
    return api.ok("get", f"/brands/{brand['id']}/contacts/{contact['id']}")  # type: ignore[no-any-return]


def listed(page: Any) -> list[str]:
    assert page.status_code == 200, page.text[:500]
    return CONTACT_ROW.findall(page.text)


def next_link(page: Any) -> str | None:
    found = re.search(r'href="([^"]*)"[^>]*data-pager="next"', page.text)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def ann(api: Api, brand: Json) -> Json:
    return make_contact(api, brand, "ann@example.com", name="Ann Archer")


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    """A signed-in member with access to `brand` only."""
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    return browser


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_each_contact_with_company_and_kept_ticket_count(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    acme = make_company(api, brand, "Acme Corp", "acme.test")
    bob = make_contact(api, brand, "bob@acme.test", name="Bob Baker")
    for _ in range(2):
        make_ticket(api, brand, customerEmail="bob@acme.test")

    page = web.get(contacts_url(brand))

    assert listed(page) == [bob["id"], ann["id"]]  # newest first
    row = page.text[page.text.index(f'data-contact-id="{bob["id"]}"') :].split("</tr>")[0]
    assert "Bob Baker" in row
    assert f'/companies/{acme["id"]}">Acme Corp</a>' in row
    assert '<td data-label="Tickets" class="col-count">2</td>' in row
    assert f'href="/brands/{brand["id"]}/contacts" aria-current="page">Contacts</a>' in page.text


def test_search_matches_name_or_email_and_the_company_filter_narrows(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    acme = make_company(api, brand, "Acme Corp", "acme.test")
    bob = make_contact(api, brand, "bob@acme.test", name="Bob Baker")

    assert listed(web.get(contacts_url(brand), params={"q": "archer"})) == [ann["id"]]
    assert listed(web.get(contacts_url(brand), params={"q": "acme.test"})) == [bob["id"]]
    assert listed(web.get(contacts_url(brand), params={"company": acme["id"]})) == [bob["id"]]
    assert listed(web.get(contacts_url(brand), params={"company": "null"})) == [ann["id"]]
    empty = web.get(contacts_url(brand), params={"q": "nobody"})
    assert listed(empty) == []
    assert "No contacts match." in empty.text

    partial = web.get(
        contacts_url(brand),
        params={"q": "bob"},
        headers={"HX-Request": "true", "HX-Target": "contacts-results"},
    )
    assert listed(partial) == [bob["id"]]
    assert "<html" not in partial.text


def test_pages_follow_the_cursor_to_the_last_contact(web: Browser, api: Api, brand: Json) -> None:
    made = [make_contact(api, brand, f"c{n:02}@example.com")["id"] for n in range(27)]

    first = web.get(contacts_url(brand))
    following = next_link(first)
    assert following is not None
    second = web.get(following)

    assert len(listed(first)) == 25
    assert listed(first) + listed(second) == list(reversed(made))
    assert next_link(second) is None


# --- creating -----------------------------------------------------------------------------


def test_a_new_contact_is_created_and_opened(web: Browser, api: Api, brand: Json) -> None:
    acme = make_company(api, brand, "Acme Corp")
    web.get(contacts_url(brand))

    created = web.post(
        contacts_url(brand),
        {"email": "Cleo@Example.com", "name": "Cleo", "company_id": acme["id"]},
    )

    assert created.status_code == 303
    contact_id = created.headers["location"].split("/")[-1].split("?")[0]
    stored = api.ok("get", f"/brands/{brand['id']}/contacts/{contact_id}")
    assert (stored["email"], stored["name"], stored["companyId"]) == (
        "cleo@example.com",
        "Cleo",
        acme["id"],
    )
    opened = web.get(created.headers["location"])
    assert "Contact created" in opened.text


def test_a_taken_or_invalid_email_comes_back_by_its_field_and_nothing_is_created(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    web.get(contacts_url(brand))

    taken = web.post(contacts_url(brand), {"email": "ANN@example.com", "name": "Other Ann"})
    assert taken.status_code == 422
    assert 'id="new-email-error"' in taken.text
    assert "already has a contact with email" in taken.text
    assert 'value="Other Ann"' in taken.text  # what was typed stays

    invalid = web.post(contacts_url(brand), {"email": "not an address"})
    assert invalid.status_code == 422
    assert 'id="new-email-error"' in invalid.text

    unknown = web.post(contacts_url(brand), {"email": "x@example.com", "company_id": "com_nope"})
    assert unknown.status_code == 422
    assert 'id="new-company-error"' in unknown.text

    assert [c["id"] for c in api.ok("get", f"/brands/{brand['id']}/contacts")["data"]] == [
        ann["id"]
    ]


# --- one contact --------------------------------------------------------------------------


def test_editing_changes_name_email_company_notifications_and_custom_fields(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    acme = make_company(api, brand, "Acme Corp")
    api.ok(
        "post",
        f"/brands/{brand['id']}/fields/contact",
        201,
        json={"key": "plan", "label": "Plan", "type": "select", "options": ["free", "pro"]},
    )
    page = web.get(contacts_url(brand, f"/{ann['id']}"))
    assert 'name="cf.plan"' in page.text
    assert "checked> Email this contact" in page.text

    saved = web.post(
        contacts_url(brand, f"/{ann['id']}"),
        {
            "name": "Ann B. Archer",
            "email": "ann@acme.test",
            "company_id": acme["id"],
            "cf.plan": "pro",
        },  # notify_email unchecked
    )

    assert saved.status_code == 303
    stored = api_contact(api, brand, ann)
    assert stored["name"] == "Ann B. Archer"
    assert stored["email"] == "ann@acme.test"
    assert stored["companyId"] == acme["id"]
    assert stored["notifyEmail"] is False
    assert stored["customFields"] == {"plan": "pro"}
    assert "Saved" in web.get(saved.headers["location"]).text


def test_a_refused_edit_shows_the_field_error_and_changes_nothing(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    make_contact(api, brand, "bob@example.com")
    api.ok(
        "post",
        f"/brands/{brand['id']}/fields/contact",
        201,
        json={"key": "seats", "label": "Seats", "type": "number"},
    )
    url = contacts_url(brand, f"/{ann['id']}")
    web.get(url)

    taken = web.post(url, {"name": "Renamed", "email": "bob@example.com", "notify_email": "on"})
    assert taken.status_code == 422
    assert 'id="contact-email-error"' in taken.text
    assert 'value="Renamed"' in taken.text

    not_a_number = web.post(url, {"email": "ann@example.com", "cf.seats": "many"})
    assert not_a_number.status_code == 422
    assert 'id="cf-seats-error"' in not_a_number.text

    stored = api_contact(api, brand, ann)
    assert (stored["name"], stored["email"], stored["customFields"]) == (
        "Ann Archer",
        "ann@example.com",
        {},
    )


def test_the_page_lists_their_tickets_and_bulk_actions_apply_to_them(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    first = make_ticket(api, brand, customerEmail=ann["email"], title="First")
    second = make_ticket(api, brand, customerEmail=ann["email"], title="Second")
    make_ticket(api, brand, customerEmail="someone@example.com", title="Not theirs")
    url = contacts_url(brand, f"/{ann['id']}")

    page = web.get(url)
    assert TICKET_ROW.findall(page.text) == [second["id"], first["id"]]
    assert 'class="badge"' in page.text
    assert ">Open</span>" in page.text
    assert f'action="{url}/bulk"' in page.text

    done = web.post(
        f"{url}/bulk",
        {
            "action": "setStatus",
            "status": "pending",
            "ticket_ids": [f"{brand['id']}:{first['id']}"],
        },
        headers=HTMX_TICKETS,
    )
    assert done.status_code == 200
    assert "1 updated" in done.text
    assert "<html" not in done.text
    got = api.ok("get", f"/brands/{brand['id']}/tickets/{first['id']}")
    assert got["status"] == "pending"

    both = [f"{brand['id']}:{t['id']}" for t in (first, second)]
    choose = web.post(f"{url}/bulk", {"action": "merge", "ticket_ids": both}, headers=HTMX_TICKETS)
    assert "keep which one?" in choose.text
    assert f'action="{url}/bulk"' in choose.text
    merged = web.post(
        f"{url}/bulk",
        {"action": "merge", "ticket_ids": both, "target": both[1]},
        headers=HTMX_TICKETS,
    )
    assert "1 merged into" in merged.text
    assert TICKET_ROW.findall(merged.text) == [second["id"]]


def test_a_new_ticket_for_the_contact_opens_with_them_as_requester(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    url = contacts_url(brand, f"/{ann['id']}")
    web.get(url)

    created = web.post(
        f"{url}/tickets", {"title": "Refund for order 42", "body": "Called in.", "priority": "high"}
    )

    assert created.status_code == 303
    ticket_id = created.headers["location"].rsplit("/", 1)[-1]
    assert created.headers["location"] == f"/brands/{brand['id']}/tickets/{ticket_id}"
    ticket = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket_id}")
    assert ticket["customerId"] == ann["id"]
    assert (ticket["title"], ticket["priority"], ticket["source"]) == (
        "Refund for order 42",
        "high",
        "web",
    )
    assert api_contact(api, brand, ann)["_count"]["tickets"] == 1

    refused = web.post(f"{url}/tickets", {"title": "", "body": "no subject"})
    assert refused.status_code == 422
    assert 'id="ticket-title-error"' in refused.text
    assert api_contact(api, brand, ann)["_count"]["tickets"] == 1


# --- merging and deleting -----------------------------------------------------------------


def test_merging_moves_the_duplicates_tickets_and_deletes_it(
    web: Browser, api: Api, brand: Json
) -> None:
    acme = make_company(api, brand, "Acme Corp")
    kept = make_contact(api, brand, "ann@example.com")
    duplicate = make_contact(
        api, brand, "ann.archer@work.test", name="Ann Archer", companyId=acme["id"]
    )
    moved = [make_ticket(api, brand, customerEmail=duplicate["email"]) for _ in range(2)]
    url = contacts_url(brand, f"/{kept['id']}")

    found = web.get(f"{url}/merge", params={"q": "archer"})
    assert found.status_code == 200
    assert f"duplicate={duplicate['id']}" in html.unescape(found.text)
    assert "merge?q=archer&amp;duplicate=" + kept["id"] not in found.text  # never itself

    preview = web.get(f"{url}/merge", params={"q": "archer", "duplicate": duplicate["id"]})
    text = html.unescape(preview.text)
    assert "2 tickets of ann.archer@work.test move to ann@example.com" in text
    assert "name “Ann Archer”, company Acme Corp" in text
    assert "Ann Archer is deleted" in text

    done = web.post(f"{url}/merge", {"duplicate_id": duplicate["id"]})

    assert done.status_code == 303
    assert "2 tickets moved" in html.unescape(web.get(done.headers["location"]).text)
    stored = api_contact(api, brand, kept)
    assert (stored["name"], stored["companyId"], stored["_count"]["tickets"]) == (
        "Ann Archer",
        acme["id"],
        2,
    )
    for ticket in moved:
        got = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
        assert (got["customerId"], got["customerEmail"]) == (kept["id"], "ann@example.com")
    assert api.get(f"/brands/{brand['id']}/contacts/{duplicate['id']}").status_code == 404


def test_a_contact_cannot_be_merged_into_itself(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    url = contacts_url(brand, f"/{ann['id']}")
    web.get(url)

    refused = web.post(f"{url}/merge", {"duplicate_id": ann["id"]})

    assert refused.status_code == 422
    assert "cannot be merged into itself" in refused.text
    assert api_contact(api, brand, ann)["id"] == ann["id"]


def test_deleting_says_what_happens_to_their_tickets_and_keeps_them(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    ticket = make_ticket(api, brand, customerEmail=ann["email"])
    url = contacts_url(brand, f"/{ann['id']}")

    confirm = web.get(f"{url}/delete")
    assert "Their 1 ticket stay, showing ann@example.com as the requester" in confirm.text

    deleted = web.post(f"{url}/delete")

    assert deleted.status_code == 303
    assert "Deleted ann@example.com" in html.unescape(web.get(deleted.headers["location"]).text)
    assert api.get(f"/brands/{brand['id']}/contacts/{ann['id']}").status_code == 404
    kept = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert kept["customerEmail"] == "ann@example.com"


# --- reach --------------------------------------------------------------------------------


def test_other_accounts_and_brands_outside_access_are_not_found(
    web: Browser,
    member: Browser,
    api: Api,
    other_api: Api,
    brand: Json,
    other_brand: Json,
    ann: Json,
) -> None:
    theirs = make_contact(other_api, other_brand, "them@globex.test")
    second = api.ok("post", "/brands", 201, json={"name": "Second Brand"})

    assert web.get(contacts_url(other_brand)).status_code == 404
    assert web.get(contacts_url(other_brand, f"/{theirs['id']}")).status_code == 404
    # Another brand's contact under this brand's path.
    assert web.get(contacts_url(brand, f"/{theirs['id']}")).status_code == 404
    web.get(contacts_url(brand))
    assert web.post(contacts_url(brand, f"/{theirs['id']}/delete")).status_code == 404
    merged = web.post(contacts_url(brand, f"/{ann['id']}/merge"), {"duplicate_id": theirs["id"]})
    assert merged.status_code == 404
    assert other_api.ok("get", f"/brands/{other_brand['id']}/contacts/{theirs['id']}")

    assert member.get(contacts_url(brand)).status_code == 200
    assert member.get(contacts_url(second)).status_code == 404
    assert member.post(contacts_url(second), {"email": "x@example.com"}).status_code == 404


def test_a_change_without_the_csrf_token_is_refused(
    web: Browser, api: Api, brand: Json, ann: Json
) -> None:
    refused = web.post(contacts_url(brand, f"/{ann['id']}/delete"), {"csrf_token": ""})

    assert refused.status_code == 403
    assert api_contact(api, brand, ann)["id"] == ann["id"]
