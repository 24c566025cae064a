"""The hosted customer portal in a real browser: a customer asks for a sign-in link, takes
it from the mail the server relayed, opens a ticket with a file, reads the agent's reply
sent from the dashboard, answers the then-resolved ticket and sees it reopen, as the
agent sees it reopened in their inbox. Every portal page passes axe-core, at laptop and
phone width."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import LiveServer, MailSink, axe_check, screenshot, sign_in_new_member

CUSTOMER = "pat@example.com"
PORTAL_LINK = re.compile(r"http://\S+/support/[a-z0-9-]+/signin\?token=[\w-]+")


def _portal_brand(live_server: LiveServer) -> dict[str, Any]:
    with live_server.api() as api:
        brand: dict[str, Any] = api.post("/brands", json={"name": "Acme Store"}).json()
        b = brand["id"]
        api.patch(f"/brands/{b}", json={"portalCategories": True})
        for name in ("Orders", "Billing"):
            api.post(f"/brands/{b}/categories", json={"name": name})
        api.post(f"/brands/{b}/fields/ticket", json={
            "key": "order_number", "label": "Order number", "type": "text",
            "portalVisible": True, "placeholder": "A-1234",
        })  # fmt: skip
        api.post(f"/brands/{b}/tickets", json={
            "title": "Missing invoice for March", "customerEmail": CUSTOMER, "status": "resolved",
        })  # fmt: skip
    return brand


def _sign_in(page: Page, live_server: LiveServer, mail_sink: MailSink, brand: dict[str, Any],
             *, shots: str = "") -> None:  # fmt: skip
    """Ask for a link on the sign-in page, open the newest one mailed, press Sign in."""
    earlier = mail_sink.received()
    page.goto(f"{live_server.base_url}/support/{brand['slug']}")
    expect(page.get_by_role("heading", name="Sign in to Acme Store support")).to_be_visible()
    if shots:
        axe_check(page)
        screenshot(page, f"portal/signin-{shots}")
    page.get_by_label("Email address").fill(CUSTOMER)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    if shots:
        axe_check(page)
        screenshot(page, f"portal/link-sent-{shots}")
    mail = mail_sink.wait_for_mail(
        lambda m: m not in earlier and PORTAL_LINK.search(m.text) is not None
    )
    link = PORTAL_LINK.search(mail.text)
    assert link, mail.text
    page.goto(link.group(0))
    if shots:
        axe_check(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My tickets")).to_be_visible()


def test_a_customer_opens_a_ticket_reads_the_reply_and_reopens_it(
    live_server: LiveServer, mail_sink: MailSink, page: Page, browser: Browser
) -> None:
    brand = _portal_brand(live_server)
    _sign_in(page, live_server, mail_sink, brand, shots="laptop")
    expect(page.get_by_text("You have no open tickets")).to_be_visible()
    page.get_by_role("link", name="Resolved and closed").click()
    expect(page.get_by_role("link", name=re.compile("Missing invoice for March"))).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill("Where is my parcel?")
    page.get_by_label("How can we help?").fill("I ordered a lamp last week.\nNo tracking yet.")
    page.get_by_label("Category").select_option(label="Orders")
    page.get_by_label("Order number").fill("A-1001")
    page.get_by_label(re.compile("Attachments")).set_input_files(
        files=[{"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"Paid 49.90"}]
    )
    axe_check(page)
    screenshot(page, "portal/new-ticket-laptop")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("is open")
    expect(page.get_by_role("link", name="receipt.txt")).to_be_visible()
    expect(page.locator(".portal-fields")).to_contain_text("A-1001")
    ticket_url = page.url.split("?")[0]
    ticket_id = ticket_url.rsplit("/", 1)[1]

    # The agent answers from the dashboard and resolves the ticket.
    agent_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        agent = agent_context.new_page()
        sign_in_new_member(live_server, agent, email="ada@acme.test", password="agent pass 12")
        agent.goto(f"{live_server.base_url}/brands/{brand['id']}/tickets/{ticket_id}")
        agent.locator("#reply-body").fill("Found it: your lamp arrives tomorrow.")
        agent.locator("#set-status").select_option("resolved")
        agent.locator("#send-and-set").click()
        expect(agent.locator("#status-badge")).to_have_text("Resolved")

        page.goto(ticket_url)
        expect(page.locator(".portal-from-staff")).to_contain_text("your lamp arrives tomorrow")
        expect(page.locator(".portal-ticket-head .portal-badge")).to_have_text("Resolved")
        expect(page.get_by_text("Replying reopens it")).to_be_visible()
        axe_check(page)
        screenshot(page, "portal/ticket-laptop")

        page.get_by_label("Your reply").fill("It did not arrive after all.")
        page.get_by_role("button", name="Send reply").click()
        expect(page.get_by_role("status")).to_contain_text("reopened this ticket")
        expect(page.locator(".portal-ticket-head .portal-badge")).to_have_text("Open")
        axe_check(page)
        screenshot(page, "portal/ticket-reopened-laptop")

        # In the agent's inbox (Active by default) it is open again.
        agent.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
        row = agent.locator(f'[data-ticket-id="{ticket_id}"]')
        expect(row).to_be_visible()
        expect(row).to_contain_text("Open")

        agent.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/portal")
        expect(agent.locator("#portal-url")).to_have_value(
            f"{live_server.base_url}/support/{brand['slug']}"
        )
        axe_check(agent)
        screenshot(agent, "portal/settings-laptop")
    finally:
        agent_context.close()

    page.get_by_role("link", name="My tickets").first.click()
    expect(page.get_by_role("link", name=re.compile("Where is my parcel?"))).to_be_visible()
    axe_check(page)
    screenshot(page, "portal/tickets-laptop")
    page.get_by_role("button", name=re.compile("Sign out")).click()
    expect(page.get_by_role("status")).to_contain_text("signed out")
    page.goto(ticket_url)
    expect(page.get_by_role("heading", name="Sign in to Acme Store support")).to_be_visible()


def test_the_portal_on_a_phone(
    live_server: LiveServer, mail_sink: MailSink, phone_page: Page
) -> None:
    brand = _portal_brand(live_server)
    with live_server.api() as api:
        ticket = api.post(f"/brands/{brand['id']}/tickets", json={
            "title": "The lamp flickers", "body": "Since Monday it flickers at night.",
            "customerEmail": CUSTOMER,
        }).json()  # fmt: skip
        api.post(f"/brands/{brand['id']}/tickets/{ticket['id']}/comments", json={
            "body": "Sorry to hear that! Could you send a short video?", "authorType": "AGENT",
        })  # fmt: skip
    page = phone_page
    _sign_in(page, live_server, mail_sink, brand, shots="phone")
    expect(page.get_by_role("link", name=re.compile("The lamp flickers"))).to_be_visible()
    axe_check(page)
    screenshot(page, "portal/tickets-phone")
    page.get_by_role("link", name=re.compile("The lamp flickers")).click()
    expect(page.locator(".portal-from-staff")).to_contain_text("short video")
    axe_check(page)
    screenshot(page, "portal/ticket-phone")
    page.get_by_role("link", name="New ticket").click()
    axe_check(page)
    screenshot(page, "portal/new-ticket-phone")
    page.goto(f"{live_server.base_url}/support/no-such-brand")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    axe_check(page)
