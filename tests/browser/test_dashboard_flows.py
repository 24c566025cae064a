"""An agent's day in a real browser: the Active inbox, a ticket's status and reply, a
customer's emailed reply reopening it, the statuses screen (drag, keyboard, delete with a
replacement) and two agents editing one ticket."""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    LiveServer,
    MailSink,
    axe_check,
    screenshot,
    sign_in_new_member,
)

PASSWORD = "agent password 1"


def _signed_in(live_server: LiveServer, page: Page) -> None:
    sign_in_new_member(live_server, page, email="agent@shop.test", password=PASSWORD)


def _brand_with_tickets(
    live_server: LiveServer,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    with live_server.api() as api:
        brand = api.post("/brands", json={"name": "Shop"}).json()
        b = brand["id"]
        api.post(
            f"/brands/{b}/statuses",
            json={"name": "In Progress", "key": "in_progress", "color": "#7c3aed"},
        )
        waiting = api.post(
            f"/brands/{b}/tickets",
            json={
                "title": "Where is my parcel?",
                "customerEmail": "pat@example.com",
                "customerName": "Pat",
            },
        ).json()
        done = api.post(f"/brands/{b}/tickets", json={"title": "Refund arrived, thanks"}).json()
        api.patch(f"/brands/{b}/tickets/{done['id']}", json={"status": "resolved"})
    return brand, waiting, done


def test_an_agent_works_a_ticket_and_the_customers_email_reopens_it(
    live_server: LiveServer, mail_sink: MailSink, page: Page
) -> None:
    brand, waiting, _done = _brand_with_tickets(live_server)
    _signed_in(live_server, page)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    rows = page.locator("[data-ticket-id]")
    expect(rows.filter(has_text="Where is my parcel?")).to_be_visible()  # Active by default
    expect(rows.filter(has_text="Refund arrived")).to_have_count(0)
    axe_check(page)
    screenshot(page, "dashboard/inbox")
    page.locator('[data-filter="status:resolved"]').first.click()
    expect(rows.filter(has_text="Refund arrived")).to_be_visible()
    expect(rows.filter(has_text="Where is my parcel?")).to_have_count(0)

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/tickets/{waiting['id']}")
    options = page.locator("#status-select option")
    expect(options).to_have_count(5)
    page.locator("#status-select").select_option("in_progress")
    expect(page.locator("#status-badge")).to_have_text("In Progress")
    expect(page.locator('.conversation [data-kind="system"]').last).to_contain_text("In Progress")
    page.locator("#history-tab").click()
    expect(page.locator(".history-entry").first).to_be_visible()
    page.locator("#reply-body").fill("We found your parcel; it arrives tomorrow.")
    page.locator("#set-status").select_option("pending")
    page.locator("#send-and-set").click()
    expect(page.locator("#status-badge")).to_have_text("Pending")
    expect(page.locator(".conversation")).to_contain_text("it arrives tomorrow")
    axe_check(page)
    screenshot(page, "dashboard/ticket")
    expect(page.locator("#title-form")).to_be_hidden()  # the title edits on demand only
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # as a phone loads it (not mid-transition from the laptop layout)
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    screenshot(page, "dashboard/ticket-phone")
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    axe_check(page)
    screenshot(page, "dashboard/inbox-phone")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/tickets/{waiting['id']}")

    sent = mail_sink.wait_for_mail(lambda m: "it arrives tomorrow" in m.text)
    reply_to = sent.message["Reply-To"]
    assert reply_to, sent.message
    answer = EmailMessage()
    answer["From"] = "Pat <pat@example.com>"
    answer["To"] = reply_to
    answer["Subject"] = "Re: " + str(sent.message["Subject"])
    answer["In-Reply-To"] = sent.message["Message-ID"]
    answer.set_content("Thanks, but it still has not arrived.")
    page.locator("#reply-body").fill("A draft in progress")
    page.evaluate("window.notReloaded = true")
    with smtplib.SMTP("127.0.0.1", live_server.smtp_port, timeout=10) as smtp:
        smtp.send_message(answer)
    # The worker turns the stored mail into a comment; the open page shows it live.
    arrived = page.locator('.conversation .entry-new[data-kind="public"]')
    expect(arrived).to_contain_text("still has not arrived", timeout=20_000)
    expect(page.locator("#status-badge")).to_have_text("Open")
    expect(page.get_by_test_id("arrived")).to_contain_text("Pat replied just now")
    expect(page.locator("#reply-body")).to_have_value("A draft in progress")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "dashboard/ticket-live-reply")


def test_the_inbox_shows_new_and_changed_tickets_without_reloading(
    live_server: LiveServer, page: Page
) -> None:
    brand, waiting, _done = _brand_with_tickets(live_server)
    _signed_in(live_server, page)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    rows = page.locator("[data-ticket-id]")
    expect(rows.filter(has_text="Where is my parcel?")).to_be_visible()
    active = page.locator('[data-filter="status:active"]')
    before = int(active.get_attribute("data-count") or "0")
    rows.filter(has_text="Where is my parcel?").locator("[data-select]").check()
    page.evaluate("window.notReloaded = true")

    with live_server.api() as api:
        created = api.post(
            f"/brands/{brand['id']}/tickets",
            json={"title": "Printer on fire", "customerEmail": "sam@example.com"},
        )
        assert created.status_code == 201, created.text
        changed = api.patch(
            f"/brands/{brand['id']}/tickets/{waiting['id']}", json={"priority": "urgent"}
        )
        assert changed.status_code == 200, changed.text

    fresh = rows.filter(has_text="Printer on fire")
    expect(fresh).to_have_class(re.compile(r"\brow-new\b"), timeout=20_000)
    expect(active).to_have_attribute("data-count", str(before + 1))
    parcel = rows.filter(has_text="Where is my parcel?")
    expect(parcel.locator(".priority")).to_have_text("Urgent")
    expect(parcel.locator("[data-select]")).to_be_checked()  # the selection survives
    expect(page.get_by_test_id("live-status")).to_have_text("1 new ticket")
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "dashboard/inbox-live")


def test_statuses_are_reordered_by_drag_and_keyboard_and_deleted_with_a_replacement(
    live_server: LiveServer, page: Page
) -> None:
    brand, waiting, _ = _brand_with_tickets(live_server)
    with live_server.api() as api:
        api.post(f"/brands/{brand['id']}/statuses", json={"name": "On Hold", "key": "on_hold"})
        api.patch(f"/brands/{brand['id']}/tickets/{waiting['id']}", json={"status": "in_progress"})
    _signed_in(live_server, page)
    settings_url = f"{live_server.base_url}/brands/{brand['id']}/settings/statuses"
    page.goto(settings_url)
    axe_check(page)
    screenshot(page, "dashboard/statuses")

    def order() -> list[str]:
        return page.locator("tr[data-status-id]").evaluate_all(
            "rows => rows.map(r => r.dataset.statusName)"
        )

    assert order().index("In Progress") < order().index("On Hold")
    on_hold = page.locator('tr[data-status-name="On Hold"] .drag-handle')
    in_progress = page.locator('tr[data-status-name="In Progress"]')
    start, target = on_hold.bounding_box(), in_progress.bounding_box()
    assert start
    assert target
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):  # SortableJS follows the pointer's moves, not a jump
        page.mouse.move(
            start["x"] + start["width"] / 2,
            start["y"] + (target["y"] + 2 - start["y"]) * step / 10,
        )
        page.wait_for_timeout(30)
    page.mouse.up()
    expect(page.locator("#reorder-announcer")).not_to_be_empty()
    page.wait_for_timeout(800)  # the save is debounced
    page.reload()
    assert order().index("On Hold") < order().index("In Progress")
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/tickets/{waiting['id']}")
    labels = page.locator("#status-select option").all_inner_texts()
    assert [label.split(" · ")[0] for label in labels].index("On Hold") < [
        label.split(" · ")[0] for label in labels
    ].index("In Progress")

    page.goto(settings_url)
    handle = page.locator('tr[data-status-name="On Hold"] .drag-handle')
    handle.focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#reorder-announcer")).to_contain_text("On Hold")
    page.wait_for_timeout(800)
    page.reload()
    assert order().index("In Progress") < order().index("On Hold")

    page.locator('tr[data-status-name="In Progress"] a', has_text="Delete").click()
    dialog = page.locator("#status-dialog")
    expect(dialog).to_contain_text("1 ticket")
    dialog.get_by_label(re.compile("move", re.I)).select_option(label="Open")
    dialog.get_by_role("button", name=re.compile("Delete")).click()
    expect(page.locator("#statuses")).to_contain_text("moved")
    with live_server.api() as api:
        moved = api.get(f"/brands/{brand['id']}/tickets/{waiting['id']}").json()
    assert moved["status"] == "open"


def test_the_later_of_two_agents_saving_a_ticket_sees_the_conflict(
    live_server: LiveServer, page: Page
) -> None:
    brand, waiting, _ = _brand_with_tickets(live_server)
    _signed_in(live_server, page)
    url = f"{live_server.base_url}/brands/{brand['id']}/tickets/{waiting['id']}"
    page.goto(url)
    other_context = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        other = other_context.new_page()
        other.goto(f"{live_server.base_url}/signin")
        other.get_by_label("Email").fill("agent@shop.test")
        other.get_by_label("Password").fill(PASSWORD)
        other.get_by_role("button", name="Sign in").click()
        other.goto(url)
        other.locator("#status-select").select_option("pending")
        expect(other.locator("#status-badge")).to_have_text("Pending")
        page.locator("#priority-select").select_option("urgent")
        expect(page.locator("#conflict")).to_be_visible()
        expect(page.locator("#status-badge")).to_have_text("Pending")  # the current values
        screenshot(page, "dashboard/conflict")
    finally:
        other_context.close()
