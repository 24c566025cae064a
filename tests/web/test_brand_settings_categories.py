"""Settings → Brand → Categories in the dashboard: the list in display order with ticket
counts, create (key derived or given), edit, reorder, delete with its ticket count, the
refusals as field errors with nothing changed, members read-only."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api, make_ticket
from tests.web.conftest import Browser
from tests.web.settings_helpers import (
    READ_ONLY,
    REFUSED,
    Json,
    settings_url,
    signed_in_member,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    return signed_in_member(browsers, api, brand, database)


def make_category(api: Api, brand: Json, name: str, **more: Any) -> Json:
    created: Json = api.ok(
        "post", f"/brands/{brand['id']}/categories", 201, json={"name": name, **more}
    )
    return created


def api_categories(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", f"/brands/{brand['id']}/categories")
    return listed


def rows_of(text: str) -> list[str]:
    return re.findall(r'<tr data-reorder-id="([^"]+)"', text)


@pytest.fixture
def billing(api: Api, brand: Json) -> Json:
    return make_category(api, brand, "Billing", color="#ef4444", description="Money matters")


@pytest.fixture
def shipping(api: Api, brand: Json) -> Json:
    return make_category(api, brand, "Shipping")


def test_the_page_lists_categories_in_order_with_ticket_counts(
    web: Browser, api: Api, brand: Json, billing: Json, shipping: Json
) -> None:
    make_ticket(api, brand, categoryId=shipping["id"])
    make_ticket(api, brand, categoryId=shipping["id"])

    page = web.get(settings_url(brand, "categories"))

    assert page.status_code == 200
    assert rows_of(page.text) == [billing["id"], shipping["id"]]
    assert re.findall(r'data-label="Tickets" class="status-count">(\d+)<', page.text) == ["0", "2"]
    assert "Money matters" in page.text
    assert "--badge: #ef4444" in page.text
    assert page.text.count('class="drag-handle"') == 2


def test_creating_a_category_derives_its_key_from_the_name(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(settings_url(brand, "categories"))

    created = web.post(
        settings_url(brand, "categories"),
        {"name": "Billing & Payments", "key": "", "color": "#22c55e", "description": ""},
    )

    assert created.status_code == 303
    assert "created=Billing" in created.headers["location"]
    [category] = api_categories(api, brand)
    assert (category["key"], category["color"], category["description"]) == (
        "billing_payments",
        "#22c55e",
        None,
    )
    assert "Created Billing &amp; Payments" in web.get(created.headers["location"]).text


def test_creating_with_a_key_keeps_it(web: Browser, api: Api, brand: Json) -> None:
    web.get(settings_url(brand, "categories"))

    web.post(settings_url(brand, "categories"), {"name": "Refunds", "key": "money_back"})

    assert [c["key"] for c in api_categories(api, brand)] == ["money_back"]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"name": "Billing"}, "name"),  # taken, without regard to case below
        ({"name": "Other", "key": "billing"}, "key"),
        ({"name": "Other", "key": "Not A Key"}, "key"),
        ({"name": ""}, "name"),
    ],
)
def test_a_refused_category_shows_by_its_field_and_nothing_is_created(
    web: Browser, api: Api, brand: Json, billing: Json, form: dict[str, str], field: str
) -> None:
    web.get(settings_url(brand, "categories"))

    refused = web.post(settings_url(brand, "categories"), form)

    assert refused.status_code == 422
    assert f'id="category-{field}-error"' in refused.text
    assert '<details class="new-record" open>' in refused.text
    assert [c["id"] for c in api_categories(api, brand)] == [billing["id"]]


def test_editing_a_category_keeps_its_key(
    web: Browser, api: Api, brand: Json, billing: Json
) -> None:
    form = web.get(settings_url(brand, "categories", f"/{billing['id']}/edit"))
    assert form.status_code == 200
    assert 'value="Billing"' in form.text
    assert "<code>billing</code>" in form.text

    saved = web.post(
        settings_url(brand, "categories", f"/{billing['id']}"),
        {"name": "Invoices", "color": "#3b82f6", "description": ""},
    )

    assert saved.status_code == 303
    [category] = api_categories(api, brand)
    assert (category["name"], category["key"], category["color"], category["description"]) == (
        "Invoices",
        "billing",
        "#3b82f6",
        None,
    )


def test_a_refused_edit_shows_the_form_again_and_changes_nothing(
    web: Browser, api: Api, brand: Json, billing: Json, shipping: Json
) -> None:
    web.get(settings_url(brand, "categories"))

    refused = web.post(
        settings_url(brand, "categories", f"/{billing['id']}"),
        {"name": "shipping", "color": "#3b82f6"},
    )

    assert refused.status_code == 422
    assert 'id="category-name-error"' in refused.text
    assert 'value="shipping"' in refused.text
    assert api_categories(api, brand)[0]["name"] == "Billing"


def test_reordering_saves_the_order(
    web: Browser, api: Api, brand: Json, billing: Json, shipping: Json
) -> None:
    web.get(settings_url(brand, "categories"))

    saved = web.post(
        settings_url(brand, "categories", "/reorder"),
        {"category_ids": [shipping["id"], billing["id"]]},
        headers=HTMX,
    )

    assert saved.status_code == 200
    assert "Order saved" in saved.text
    assert [c["id"] for c in api_categories(api, brand)] == [shipping["id"], billing["id"]]
    assert rows_of(web.get(settings_url(brand, "categories")).text) == [
        shipping["id"],
        billing["id"],
    ]


def test_an_order_naming_another_brands_category_is_refused(
    web: Browser, api: Api, brand: Json, billing: Json
) -> None:
    elsewhere = make_category(api, api.ok("post", "/brands", 201, json={"name": "B"}), "X")
    web.get(settings_url(brand, "categories"))

    refused = web.post(
        settings_url(brand, "categories", "/reorder"),
        {"category_ids": [elsewhere["id"], billing["id"]]},
        headers=HTMX,
    )

    assert refused.status_code == 422
    assert "Unknown category" in refused.text
    assert [c["id"] for c in api_categories(api, brand)] == [billing["id"]]


def test_deleting_says_how_many_tickets_become_uncategorized(
    web: Browser, api: Api, brand: Json, billing: Json
) -> None:
    ticket = make_ticket(api, brand, categoryId=billing["id"])

    confirm = web.get(settings_url(brand, "categories", f"/{billing['id']}/delete"))
    assert confirm.status_code == 200
    assert "<strong>1 ticket</strong> is in Billing" in confirm.text
    assert "uncategorized" in confirm.text

    deleted = web.post(settings_url(brand, "categories", f"/{billing['id']}/delete"))

    assert deleted.status_code == 303
    assert api_categories(api, brand) == []
    assert api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["categoryId"] is None
    page = web.get(deleted.headers["location"])
    assert "Deleted Billing; 1 ticket is now uncategorized" in html.unescape(page.text)


def test_members_see_categories_without_controls_and_cannot_change_them(
    member: Browser, api: Api, brand: Json, billing: Json
) -> None:
    page = member.get(settings_url(brand, "categories"))

    assert page.status_code == 200
    assert READ_ONLY in page.text
    assert "drag-handle" not in page.text
    assert "New category" not in page.text
    assert "/delete" not in page.text
    for path, form in [
        ("", {"name": "Mine"}),
        (f"/{billing['id']}", {"name": "Mine"}),
        (f"/{billing['id']}/delete", {}),
        ("/reorder", {"category_ids": [billing["id"]]}),
    ]:
        refused = member.post(settings_url(brand, "categories", path), form)
        assert refused.status_code == 403, path
        assert REFUSED in refused.text
    assert (
        member.get(settings_url(brand, "categories", f"/{billing['id']}/edit")).status_code == 403
    )
    assert [c["name"] for c in api_categories(api, brand)] == ["Billing"]


def test_another_brands_category_is_not_found(web: Browser, api: Api, brand: Json) -> None:
    elsewhere = make_category(api, api.ok("post", "/brands", 201, json={"name": "B"}), "X")

    assert web.get(settings_url(brand, "categories", f"/{elsewhere['id']}/edit")).status_code == 404
    web.get(settings_url(brand, "categories"))
    assert (
        web.post(settings_url(brand, "categories", f"/{elsewhere['id']}/delete")).status_code == 404
    )
