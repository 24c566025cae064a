"""A web form end to end in a real browser: an owner creates it in Settings → Brand → Web
forms, copies its HTML snippet into a page of "their site" (a static page served on
another loopback port, listed as the form's allowed origin), a visitor fills it in and
sends it, lands on the brand's thank-you page, and the ticket is in the inbox."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, axe_check, screenshot, sign_in_new_member

SITE_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lamps &amp; Co: contact</title></head>
<body><main><h1>Contact Lamps &amp; Co</h1>
{snippet}
</main></body></html>
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on loopback: (its origin, the folder it serves)."""
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_a_form_made_in_the_dashboard_opens_a_ticket_from_another_site(
    live_server: LiveServer, page: Page, site: tuple[str, Path]
) -> None:
    origin, root = site
    with live_server.api() as api:
        brand = api.post("/brands", json={"name": "Lamps & Co"}).json()
    sign_in_new_member(live_server, page, email="owner@lamps.test", password="owner password 1")

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/forms")
    page.get_by_text("New web form", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Contact us")
    page.get_by_label("Thank-you message").fill("Thanks! A lamp expert answers within a day.")
    page.get_by_label("Allowed origins").fill(origin)
    page.get_by_label("Honeypot field").fill("website")
    page.get_by_role("button", name="Create web form").click()
    expect(page.get_by_role("heading", name="Contact us")).to_be_visible()
    expect(page.locator("#flash, [role=status]").first).to_contain_text("Created Contact us")
    axe_check(page)
    screenshot(page, "dashboard/settings-web-form")

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy HTML").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    snippet = page.evaluate("() => navigator.clipboard.readText()")
    assert snippet == page.locator("#webform-snippet").input_value()
    assert f"{live_server.base_url}/forms/ft_" in snippet
    (root / "contact.html").write_text(SITE_PAGE.format(snippet=snippet))

    visitor = page.context.browser.new_page()  # type: ignore[union-attr]
    visitor.goto(f"{origin}/contact.html")
    axe_check(visitor)  # the pasted HTML is accessible as it is
    screenshot(visitor, "web-forms/site-with-the-snippet")
    visitor.get_by_label("Your name").fill("Grace Hopper")
    visitor.get_by_label("Email").fill("grace@example.com")
    visitor.get_by_label("Subject").fill("My desk lamp flickers")
    visitor.get_by_label("Message").fill("Since Monday it flickers every few minutes.")
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(visitor.get_by_role("status")).to_have_text(
        "Thanks! A lamp expert answers within a day."
    )
    expect(visitor.locator("body")).to_contain_text("Lamps & Co")
    axe_check(visitor)
    screenshot(visitor, "web-forms/thank-you")
    visitor.close()

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    row = page.locator("tr", has_text="My desk lamp flickers")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Grace Hopper")
    screenshot(page, "web-forms/inbox-with-the-ticket")

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/forms")
    form_row = page.locator("tr[data-form-id]", has_text="Contact us")
    expect(form_row.locator(".status-count")).to_have_text("1")
    axe_check(page)
    screenshot(page, "dashboard/settings-web-forms")


def test_the_web_forms_screens_read_well_on_a_phone(
    live_server: LiveServer, phone_page: Page
) -> None:
    with live_server.api() as api:
        brand = api.post("/brands", json={"name": "Lamps & Co"}).json()
        form = api.post(
            f"/brands/{brand['id']}/forms",
            json={"name": "Returns", "fieldMapping": {"order": "customFields.orderId"}},
        ).json()
    sign_in_new_member(live_server, phone_page, email="owner@lamps.test", password="pw for phone 1")
    for path, name in (
        ("", "settings-web-forms-phone"),
        (f"/{form['id']}", "settings-web-form-phone"),
    ):
        phone_page.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/forms{path}")
        axe_check(phone_page)
        screenshot(phone_page, f"dashboard/{name}")
