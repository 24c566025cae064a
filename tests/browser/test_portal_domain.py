"""The hosted portal at a brand's own domain in a real browser: the brand points
help.acme.localhost at the server (chromium resolves *.localhost to this machine), a
customer signs in there with the mailed link, opens a ticket and replies, every page and
link staying at the domain's root; the dashboard is not there."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, MailSink, axe_check, screenshot

CUSTOMER = "pat@example.com"
DOMAIN = "help.acme.localhost"


def test_a_customer_uses_the_portal_at_the_brand_s_own_domain(
    live_server: LiveServer, mail_sink: MailSink, page: Page
) -> None:
    with live_server.api() as api:
        brand = api.post("/brands", json={"name": "Acme Store"}).json()
        answer = api.patch(f"/brands/{brand['id']}", json={"portalDomain": DOMAIN})
        assert answer.status_code == 200, answer.text
    site = f"http://{DOMAIN}:{live_server.port}"

    page.goto(f"{site}/")
    assert page.url == f"{site}/signin"
    expect(page.get_by_role("heading", name="Sign in to Acme Store support")).to_be_visible()
    axe_check(page)
    page.get_by_label("Email address").fill(CUSTOMER)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    link = re.compile(re.escape(site) + r"/signin\?token=[\w-]+")
    mail = mail_sink.wait_for_mail(lambda m: link.search(m.text) is not None)
    found = link.search(mail.text)
    assert found, mail.text
    page.goto(found.group(0))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()
    assert page.url == f"{site}/tickets"

    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Where is my parcel?")
    page.get_by_label("How can we help?").fill("I ordered a lamp last week.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("is open")
    assert re.fullmatch(re.escape(site) + r"/tickets/tkt_[\w-]+\?created=1", page.url), page.url
    page.get_by_label("Your reply").fill("Any news?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Any news?")).to_be_visible()
    axe_check(page)
    screenshot(page, "portal/own-domain-ticket-laptop")

    page.get_by_role("link", name="My tickets").first.click()
    expect(page.get_by_role("link", name=re.compile("Where is my parcel?"))).to_be_visible()
    assert page.url == f"{site}/tickets"

    # The agent's dashboard is not on the customer's domain.
    assert page.goto(f"{site}/inbox").status == 404  # type: ignore[union-attr]
    assert page.goto(f"{site}/support/{brand['slug']}").status == 404  # type: ignore[union-attr]
