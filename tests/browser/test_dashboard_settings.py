"""Brand settings in a real browser: categories reordered by drag and drop and by keyboard
(kept after a reload and used by the ticket page's category picker), General edited (the
sidebar shows the new name, the autoresponse preview follows the typing), the ticket
schema checked as it is typed; every page passes axe, on a laptop and on a phone."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, axe_check, screenshot, sign_in_new_member

PASSWORD = "owner password 1"
SCREENS = ("general", "categories", "tags", "fields", "schema")


def _brand(live_server: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """A brand with three categories, tags, fields and a ticket in Shipping."""
    with live_server.api() as api:
        brand = api.post("/brands", json={"name": "Shop"}).json()
        b = brand["id"]
        ids = {}
        for name, color in (("Billing", "#ef4444"), ("Shipping", "#3b82f6"), ("Returns", None)):
            body = {"name": name, **({"color": color} if color else {})}
            ids[name] = api.post(f"/brands/{b}/categories", json=body).json()["id"]
        api.post(
            f"/brands/{b}/fields/ticket",
            json={"key": "plan", "label": "Plan", "type": "select", "options": ["Free", "Pro"]},
        )
        api.post(
            f"/brands/{b}/fields/ticket", json={"key": "order", "label": "Order", "type": "text"}
        )
        ticket = api.post(
            f"/brands/{b}/tickets",
            json={"title": "Parcel lost", "categoryId": ids["Shipping"], "tags": ["vip", "late"]},
        ).json()
    return brand, ticket


def _order(page: Page) -> list[str]:
    return page.locator("tr[data-reorder-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.reorderName)"
    )


def _drag(page: Page, name: str, onto: str) -> None:
    """Drag a row by its handle over another row, in small steps as a hand would."""
    handle = page.locator(f'tr[data-reorder-name="{name}"] .drag-handle')
    start = handle.bounding_box()
    target = page.locator(f'tr[data-reorder-name="{onto}"]').bounding_box()
    assert start
    assert target
    x = start["x"] + start["width"] / 2
    y = start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # SortableJS follows the pointer's moves, not a jump
        page.mouse.move(x, y + (target["y"] + 2 - y) * step / 10)
        page.wait_for_timeout(30)
    page.mouse.up()


def _saved(page: Page) -> None:
    """The debounced save has answered."""
    expect(page.locator("#flash")).to_contain_text("Order saved")


def test_categories_are_reordered_by_drag_and_keyboard_and_the_ticket_picker_follows(
    live_server: LiveServer, page: Page
) -> None:
    brand, ticket = _brand(live_server)
    sign_in_new_member(live_server, page, email="owner@shop.test", password=PASSWORD)
    url = f"{live_server.base_url}/brands/{brand['id']}/settings/categories"
    page.goto(url)
    assert _order(page) == ["Billing", "Shipping", "Returns"]

    _drag(page, "Returns", onto="Billing")
    expect(page.locator("#reorder-announcer")).to_contain_text("Returns moved to position")
    _saved(page)
    page.reload()
    assert _order(page) == ["Returns", "Billing", "Shipping"]

    page.locator('tr[data-reorder-name="Shipping"] .drag-handle').focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#reorder-announcer")).to_have_text("Shipping moved to position 2 of 3")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#reorder-announcer")).to_have_text("Shipping moved to position 1 of 3")
    _saved(page)
    page.reload()
    assert _order(page) == ["Shipping", "Returns", "Billing"]
    axe_check(page)
    screenshot(page, "dashboard/settings-categories")

    page.goto(f"{live_server.base_url}/brands/{brand['id']}/tickets/{ticket['id']}")
    options = page.locator("#category-select option").all_inner_texts()
    assert [o for o in options if o in ("Shipping", "Returns", "Billing")] == [
        "Shipping",
        "Returns",
        "Billing",
    ]


def test_general_is_edited_and_the_sidebar_shows_the_new_name(
    live_server: LiveServer, page: Page
) -> None:
    brand, _ticket = _brand(live_server)
    sign_in_new_member(live_server, page, email="owner@shop.test", password=PASSWORD)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/general")
    axe_check(page)
    screenshot(page, "dashboard/settings-general")

    body = page.locator("#settings-autoresponse-body")
    body.fill("Hello ")
    page.locator("[data-placeholder='{{customerName}}']").click()
    expect(body).to_have_value("Hello {{customerName}}")
    expect(page.locator("[data-preview-body]")).to_have_text("Hello Pat Jones")

    page.get_by_label("Name", exact=True).fill("Shop Help")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_have_text("Saved Shop Help")
    expect(page.locator("#sidebar")).to_contain_text("Shop Help")
    expect(page.locator("#sidebar a[aria-current=page]")).to_have_text("General")
    expect(page.locator("[data-preview-body]")).to_have_text("Hello Pat Jones")


def test_the_ticket_schema_is_checked_as_it_is_typed(live_server: LiveServer, page: Page) -> None:
    brand, _ticket = _brand(live_server)
    sign_in_new_member(live_server, page, email="owner@shop.test", password=PASSWORD)
    page.goto(f"{live_server.base_url}/brands/{brand['id']}/settings/schema")
    schema = page.locator("#ticket-schema")

    schema.fill('{"type": "object",')
    expect(page.locator("#schema-check")).to_contain_text("Not valid JSON at line 1")
    schema.fill('{"type": "object", "required": ["plan"]}')
    expect(page.locator("#schema-check")).to_have_text("Valid JSON Schema (draft 2020-12).")
    axe_check(page)
    screenshot(page, "dashboard/settings-schema")
    with live_server.api() as api:
        assert api.get(f"/brands/{brand['id']}/schema").json() is None  # never saved by checking

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text("Saved the ticket schema")
    with live_server.api() as api:
        assert api.get(f"/brands/{brand['id']}/schema").json() == {
            "type": "object",
            "required": ["plan"],
        }


def test_every_settings_page_passes_axe_on_a_laptop_and_a_phone(
    live_server: LiveServer, page: Page, phone_page: Page
) -> None:
    brand, _ticket = _brand(live_server)
    with live_server.api() as api:
        tag = api.get(f"/brands/{brand['id']}/tags").json()[0]
        categories = api.get(f"/brands/{brand['id']}/categories").json()
        fields = api.get(f"/brands/{brand['id']}/fields/ticket").json()
    base = f"{live_server.base_url}/brands/{brand['id']}/settings"
    pages = [
        *(f"/{screen}" for screen in SCREENS),
        f"/tags/{tag['id']}",
        f"/categories/{categories[0]['id']}/edit",
        f"/categories/{categories[1]['id']}/delete",
        f"/fields/{fields[0]['id']}/edit",
        f"/fields/{fields[0]['id']}/delete",
    ]
    for device, browser_page in (("laptop", page), ("phone", phone_page)):
        sign_in_new_member(
            live_server, browser_page, email=f"{device}@shop.test", password=PASSWORD
        )
        for path in pages:
            browser_page.goto(base + path)
            expect(browser_page.locator("h1")).to_be_visible()
            axe_check(browser_page)
        for screen in SCREENS:
            browser_page.goto(f"{base}/{screen}")
            screenshot(browser_page, f"dashboard/settings-{screen}-{device}")
    # The new forms open, on a phone too.
    phone_page.goto(f"{base}/fields")
    phone_page.get_by_text("New ticket field").click()
    expect(phone_page.get_by_label("Label")).to_be_visible()
    axe_check(phone_page)
    screenshot(phone_page, "dashboard/settings-fields-new-phone")
