"""Contacts in a real browser: search the list, open a contact, edit them, open a ticket
for them, merge a duplicate into them; the pages on a laptop and on a phone."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, axe_check, screenshot

PASSWORD = "agent password 1"


def _sign_in(live_server: LiveServer, page: Page) -> None:
    page.goto(f"{live_server.base_url}/signin")
    page.get_by_label("Email").fill("agent@shop.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/inbox"))


def _brand_with_contacts(live_server: LiveServer) -> dict[str, Any]:
    live_server.cli(
        "users", "create", "--account", live_server.account_id, "--email", "agent@shop.test",
        "--name", "Ada Agent", "--role", "owner", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    with live_server.api() as api:
        brand: dict[str, Any] = api.post("/brands", json={"name": "Shop"}).json()
        b = brand["id"]
        api.post(f"/brands/{b}/companies", json={"name": "Parcel Co", "domain": "parcel.test"})
        api.post(f"/brands/{b}/contacts", json={"email": "pat@parcel.test", "name": "Pat Parcel"})
        api.post(f"/brands/{b}/contacts", json={"email": "sam@example.com", "name": "Sam Stone"})
        api.post(f"/brands/{b}/contacts", json={"email": "pat.home@example.com"})
        api.post(
            f"/brands/{b}/tickets",
            json={"title": "Where is my parcel?", "customerEmail": "pat.home@example.com"},
        )
    return brand


def test_an_agent_finds_edits_and_merges_a_contact_and_opens_a_ticket_for_them(
    live_server: LiveServer, page: Page
) -> None:
    brand = _brand_with_contacts(live_server)
    _sign_in(live_server, page)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    page.get_by_role("link", name="Contacts").click()
    rows = page.locator("[data-contact-id]")
    expect(rows).to_have_count(3)
    axe_check(page)
    screenshot(page, "dashboard/contacts")

    page.get_by_label("Search contacts").fill("stone")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=stone"))
    page.get_by_label("Search contacts").fill("pat")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Pat Parcel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pat Parcel")
    expect(page.get_by_label("Company")).to_have_value(re.compile(r"^com_"))

    page.get_by_label("Name", exact=True).fill("Pat P. Parcel")
    page.get_by_label("Email this contact about their tickets").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-ok")).to_have_text("Saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pat P. Parcel")
    expect(page.get_by_label("Email this contact about their tickets")).not_to_be_checked()

    page.get_by_role("link", name="Merge a duplicate…").click()
    page.get_by_label("Find the duplicate").fill("pat.home")
    page.get_by_role("button", name="Search").click()
    page.locator(".merge-candidate", has_text="pat.home@example.com").click()
    preview = page.locator(".merge-preview")
    expect(preview).to_contain_text("1 ticket of pat.home@example.com move to Pat P. Parcel")
    axe_check(page)
    screenshot(page, "dashboard/contact-merge")
    preview.get_by_role("button", name="Merge into Pat P. Parcel").click()
    expect(page.locator(".alert-ok")).to_contain_text("1 ticket moved")
    tickets = page.locator("[data-inbox-table] [data-ticket-id]")
    expect(tickets).to_have_count(1)
    expect(tickets.first).to_contain_text("Where is my parcel?")
    expect(tickets.first.locator(".badge")).to_have_text("Open")
    axe_check(page)
    screenshot(page, "dashboard/contact")

    page.get_by_label("Subject").fill("Second parcel is missing too")
    page.get_by_label("Description (Markdown)").fill("Called in about a second parcel.")
    page.get_by_role("button", name="Create ticket").click()
    expect(page).to_have_url(re.compile(r"/tickets/tkt_"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Second parcel is missing too")
    expect(page.locator(".ticket-side")).to_contain_text("Pat P. Parcel")

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/contacts")
    expect(page.locator("[data-contact-id]")).to_have_count(2)
    pat = page.locator("[data-contact-id]", has_text="Pat P. Parcel")
    expect(pat.locator(".col-count")).to_have_text("2")


def test_the_contact_pages_work_on_a_phone(live_server: LiveServer, phone_page: Page) -> None:
    brand = _brand_with_contacts(live_server)
    page = phone_page
    _sign_in(live_server, page)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/contacts")
    expect(page.locator("[data-contact-id]")).to_have_count(3)
    axe_check(page)
    screenshot(page, "dashboard/contacts-phone")

    page.locator("[data-contact-id]", has_text="pat.home@example.com").get_by_role("link").click()
    expect(page.locator("[data-inbox-table] [data-ticket-id]")).to_have_count(1)
    axe_check(page)
    screenshot(page, "dashboard/contact-phone")

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/companies")
    expect(page.locator("[data-company-id]")).to_have_count(1)
    page.get_by_role("link", name="Parcel Co", exact=True).click()
    expect(page.locator(".company-contacts li")).to_have_count(1)
    axe_check(page)
    screenshot(page, "dashboard/company-phone")
