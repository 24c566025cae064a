"""Analytics in a real browser: tickets seeded through the API (replies, status changes, a
reopen), then the page's charts drawn, a data table opened, a CSV downloaded; the page on
a laptop and a phone, and in the browser's own time zone."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import LiveServer, axe_check, screenshot, sign_in_new_member

PASSWORD = "analyst password 1"
EMAIL = "ada@shop.test"


def _seeded_brand(live_server: LiveServer) -> dict[str, Any]:
    with live_server.api() as api:
        brand: dict[str, Any] = api.post("/brands", json={"name": "Shop"}).json()
        b = brand["id"]

        def ticket(title: str, **extra: Any) -> str:
            body = {"title": title, "customerEmail": "pat@example.com", **extra}
            created = api.post(f"/brands/{b}/tickets", json=body)
            assert created.status_code == 201, created.text
            return str(created.json()["id"])

        def status(ticket_id: str, key: str) -> None:
            changed = api.patch(f"/brands/{b}/tickets/{ticket_id}", json={"status": key})
            assert changed.status_code == 200, changed.text

        def reply(ticket_id: str, author: str = "AGENT") -> None:
            sent = api.post(
                f"/brands/{b}/tickets/{ticket_id}/comments",
                json={"body": "Thanks", "authorType": author},
            )
            assert sent.status_code == 201, sent.text

        parcel = ticket("Where is my parcel?", priority="high", source="email")
        reply(parcel)
        status(parcel, "pending")
        status(parcel, "resolved")
        reply(parcel, "CUSTOMER")  # the customer's reply reopens it
        status(parcel, "resolved")
        refund = ticket("Refund please", source="portal")
        reply(refund)
        status(refund, "closed")
        ticket("Wrong size")
        ticket("Gift wrap?", priority="low")
    return brand


def test_an_agent_reads_the_charts_opens_a_table_and_downloads_a_csv(
    live_server: LiveServer, page: Page
) -> None:
    brand = _seeded_brand(live_server)
    sign_in_new_member(live_server, page, email=EMAIL, password=PASSWORD)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Analytics")

    charts = page.locator("section[data-chart]")
    expect(charts).to_have_count(7)
    for name in ("volume", "backlog", "time-in-status", "first-response", "resolution", "reopens"):
        chart = page.locator(f"section[data-chart='{name}']")
        expect(chart.locator("svg[role=img]")).to_be_visible()
        expect(chart.locator("svg rect, svg polyline").first).to_be_attached()
    volume = page.locator("section[data-chart='volume']")
    expect(volume.locator(".chart-facts")).to_contain_text("Created4")
    expect(page.locator("section[data-chart='reopens'] .chart-facts")).to_contain_text("50%")
    axe_check(page)
    screenshot(page, "dashboard/analytics")
    page.emulate_media(color_scheme="dark")
    axe_check(page)
    screenshot(page, "dashboard/analytics-dark")
    page.emulate_media(color_scheme="light")

    # The numbers, one click away.
    table = volume.locator("table")
    expect(table).to_be_hidden()
    volume.get_by_text("Data table").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").last).to_contain_text("4")

    with page.expect_download() as download:
        volume.get_by_role("link", name="CSV of created and resolved").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0] == ["Date", "Created", "Resolved"]
    assert sum(int(r[1]) for r in rows[1:]) == 4
    assert sum(int(r[2]) for r in rows[1:]) == 3  # the parcel twice, the refund once

    # A control redraws the report in place and keeps itself in the URL.
    page.get_by_label("Priority").select_option("high")
    expect(page).to_have_url(re.compile(r"priority=high"))
    expect(volume.locator(".chart-facts")).to_contain_text("Created1")
    page.get_by_label("Range").select_option("custom")
    expect(page.get_by_label("From")).to_be_focused()
    expect(page).not_to_have_url(re.compile(r"range=custom"))  # waits for its first day


def test_the_page_on_a_phone(live_server: LiveServer, phone_page: Page) -> None:
    brand = _seeded_brand(live_server)
    sign_in_new_member(live_server, phone_page, email=EMAIL, password=PASSWORD)
    phone_page.goto(f"{live_server.base_url}/brands/{brand['id']}/analytics?range=7")

    chart = phone_page.locator("section[data-chart='backlog'] svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] <= 390
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    axe_check(phone_page)
    screenshot(phone_page, "dashboard/analytics-phone")


def test_reports_follow_the_browsers_time_zone(live_server: LiveServer, browser: Browser) -> None:
    brand = _seeded_brand(live_server)
    context = browser.new_context(timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        sign_in_new_member(live_server, page, email=EMAIL, password=PASSWORD)
        page.goto(f"{live_server.base_url}/brands/{brand['id']}/analytics")
        expect(page).to_have_url(re.compile(r"timezone=Asia%2FTokyo"))
        expect(page.locator(".analytics-period")).to_contain_text("times in Asia/Tokyo")
    finally:
        context.close()
