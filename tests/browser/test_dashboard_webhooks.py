"""Webhooks in a real browser: an owner creates a webhook to a receiver on this machine,
sees a ticket's change delivered in its log, sees the attempt that failed while the
receiver answered 500, and sends it again with "Retry now" once the receiver is fixed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import LiveServer, axe_check, screenshot, sign_in_new_member
from tests.worker.receiver import Receiver, Reply

pytestmark = pytest.mark.server_env(
    # The receiver listens on loopback, which webhooks may not reach by default.
    DISPATCH_WEBHOOKS_ALLOW_PRIVATE="true",
    # A failed delivery waits an hour for its next attempt: only "Retry now" sends it sooner.
    DISPATCH_WEBHOOK_RETRY_SCHEDULE="3600",
)

PASSWORD = "owner password 1"
# The worker polls and sends within a couple of seconds; pages are reloaded at most this often.
RELOADS = 40


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _brand_with_ticket(live_server: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:
    with live_server.api() as api:
        brand = api.post("/brands", json={"name": "Shop"}).json()
        ticket = api.post(
            f"/brands/{brand['id']}/tickets", json={"title": "Where is my parcel?"}
        ).json()
    return brand, ticket


def _set_status(
    live_server: LiveServer, brand: dict[str, Any], ticket: dict[str, Any], key: str
) -> None:
    with live_server.api() as api:
        changed = api.patch(f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"status": key})
        assert changed.status_code == 200, changed.text


def _row_when_there(page: Page, selector: str) -> Locator:
    """The log's row matching `selector`, reloading the page until the worker got there."""
    row = page.locator(selector)
    for _ in range(RELOADS):
        if row.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(row.first).to_be_visible()
    return row.first


def test_a_webhook_delivers_fails_and_is_retried_from_its_log(
    live_server: LiveServer, page: Page, phone_page: Page, receiver: Receiver
) -> None:
    brand, ticket = _brand_with_ticket(live_server)
    sign_in_new_member(live_server, page, email="owner@shop.test", password=PASSWORD)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/inbox")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()

    page.get_by_role("link", name="New webhook").first.click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("Parcel tracker")
    updated = page.locator('input[value="ticket.updated"]')
    page.get_by_label("All events, including types added later").check()
    expect(updated).to_be_disabled()  # "All events" stands for every type
    page.get_by_label("All events, including types added later").uncheck()
    expect(updated).to_be_enabled()
    updated.check()
    axe_check(page)
    screenshot(page, "dashboard/webhook-new")
    page.get_by_role("button", name="Create webhook").click()

    expect(page.get_by_role("heading", name="Webhook created")).to_be_visible()
    secret = page.locator("#webhook-secret").input_value()
    assert secret.startswith("whsec_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    receiver.secrets.append(secret)  # it checks every request's signatures from now on
    axe_check(page)
    screenshot(page, "dashboard/webhook-secret")
    page.get_by_role("link", name="Go to the webhook").click()
    log_url = page.url
    expect(page.locator(".webhook-title")).to_contain_text("Enabled")

    # A ticket's change arrives at the receiver and shows as succeeded.
    _set_status(live_server, brand, ticket, "pending")
    receiver.wait_for(1)
    delivered = _row_when_there(page, 'tr[data-status="SUCCESS"]')
    expect(delivered).to_contain_text("ticket.updated")
    expect(delivered.locator(".response-code")).to_have_text("200")

    # The receiver breaks: the next change fails with its 500 and waits for a retry.
    receiver.default = Reply(500, b"parcel tracker is down")
    _set_status(live_server, brand, ticket, "open")
    receiver.wait_for(2)
    failed = _row_when_there(page, 'tr[data-status="RETRYING"]')
    expect(failed.locator(".response-code")).to_have_text("500")
    # An hour away, give or take the schedule's jitter.
    expect(failed.locator('[data-label="Next attempt"]')).to_contain_text(
        re.compile(r"in \d+ (min|h)")
    )
    axe_check(page)
    screenshot(page, "dashboard/webhook-log")
    failed.get_by_role("link").click()

    expect(page.locator("#delivery h1")).to_contain_text("Retrying")
    attempt = page.locator('[data-attempt="1"]')
    expect(attempt.locator(".response-code")).to_have_text("500")
    expect(attempt).to_contain_text("parcel tracker is down")
    expect(page.locator(".code-block").first).to_contain_text("X-Dispatch-Event: ticket.updated")
    axe_check(page)
    screenshot(page, "dashboard/webhook-delivery")
    delivery_url = page.url

    # Fixed: "Retry now" sends it at once, and the page follows it to success.
    receiver.default = Reply(200)
    page.get_by_role("button", name="Retry now").click()
    expect(page.get_by_role("status")).to_contain_text("Sending now")
    expect(page.locator("#delivery h1")).to_contain_text("Succeeded")
    expect(page.locator('[data-attempt="2"] .response-code')).to_have_text("200")
    assert len(receiver.wait_for(3)) == 3
    retried = receiver.received[2]
    assert retried.webhook_id == receiver.received[1].webhook_id  # the same delivery
    assert receiver.signature_failures() == []

    page.goto(log_url)
    expect(page.locator('tr[data-status="SUCCESS"]')).to_have_count(2)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/webhooks")
    row = page.locator("tr[data-webhook-id]")
    expect(row).to_contain_text("Parcel tracker")
    expect(row).to_contain_text("ticket.updated")
    axe_check(page)
    screenshot(page, "dashboard/webhooks")

    phone_page.context.add_cookies(page.context.cookies())
    for url, name in (
        (page.url, "webhooks"),
        (log_url, "webhook-log"),
        (delivery_url, "webhook-delivery"),
    ):
        phone_page.goto(url)
        expect(phone_page.locator("#sidebar")).not_to_be_in_viewport()
        axe_check(phone_page)
        screenshot(phone_page, f"dashboard/{name}-phone")
