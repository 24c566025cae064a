"""Settings → Brand → Custom fields in the dashboard: ticket, contact and company tabs,
define (key derived or given, options of select types, required, where shown), edit,
reorder and delete; refusals as field errors with nothing changed, members read-only."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api
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


def make_field(api: Api, brand: Json, kind: str, key: str, **more: Any) -> Json:
    body = {"key": key, "label": key.title(), "type": "text", **more}
    created: Json = api.ok("post", f"/brands/{brand['id']}/fields/{kind}", 201, json=body)
    return created


def api_fields(api: Api, brand: Json, kind: str = "ticket") -> list[Json]:
    listed: list[Json] = api.ok("get", f"/brands/{brand['id']}/fields/{kind}")
    return listed


def rows_of(text: str) -> list[str]:
    return re.findall(r'<tr data-reorder-id="([^"]+)"', text)


@pytest.fixture
def order(api: Api, brand: Json) -> Json:
    return make_field(api, brand, "ticket", "order_number")


@pytest.fixture
def plan(api: Api, brand: Json) -> Json:
    return make_field(api, brand, "ticket", "plan", type="select", options=["Free", "Pro"])


def test_each_tab_lists_its_fields_in_order(
    web: Browser, api: Api, brand: Json, order: Json, plan: Json
) -> None:
    vat = make_field(api, brand, "company", "vat_id")

    tickets = web.get(settings_url(brand, "fields"))
    companies = web.get(settings_url(brand, "fields", "?type=company"))

    assert rows_of(tickets.text) == [order["id"], plan["id"]]
    assert "Free, Pro" in tickets.text
    assert rows_of(companies.text) == [vat["id"]]
    assert 'aria-current="page">Company fields' in companies.text
    assert web.get(settings_url(brand, "fields", "?type=planet")).status_code == 404


def test_defining_a_select_field_with_options(web: Browser, api: Api, brand: Json) -> None:
    web.get(settings_url(brand, "fields"))

    created = web.post(
        settings_url(brand, "fields"),
        {
            "entity_type": "contact",
            "label": "Preferred language",
            "key": "",
            "type": "select",
            "options": "English\r\nFrench\r\n\r\n German ",
            "required": "true",
            "description": "For replies",
            "show_on_create": "true",
            "show_in_table": "true",
        },
    )

    assert created.status_code == 303
    assert "type=contact" in created.headers["location"]
    [field] = api_fields(api, brand, "contact")
    assert field["key"] == "preferred_language"
    assert field["options"] == ["English", "French", "German"]
    assert field["required"] is True
    assert (field["showOnCreate"], field["showInTable"], field["showInDetail"]) == (
        True,
        True,
        False,
    )
    assert field["description"] == "For replies"


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"label": "Order", "key": "order_number"}, "key"),  # taken
        ({"label": "Plan", "key": "9lives"}, "key"),
        ({"label": "Plan", "key": "tier", "type": "select", "options": ""}, "options"),
        ({"label": "", "key": "blank"}, "label"),
        ({"label": "Seats", "key": "seats", "type": "number", "default_value": "ten"}, "default"),
        (
            {
                "label": "Tiers",
                "key": "tiers",
                "type": "select",
                "options": "A",
                "default_value": "B",
            },
            "default",
        ),
        ({"label": "Meta", "key": "meta", "type": "object", "default_value": "{oops"}, "default"),
    ],
)
def test_a_refused_definition_shows_by_its_field_and_nothing_is_created(
    web: Browser, api: Api, brand: Json, order: Json, form: dict[str, str], field: str
) -> None:
    web.get(settings_url(brand, "fields"))

    refused = web.post(settings_url(brand, "fields"), {"entity_type": "ticket", **form})

    assert refused.status_code == 422
    assert f'id="field-{field}-error"' in refused.text
    assert [f["key"] for f in api_fields(api, brand)] == ["order_number"]


@pytest.mark.parametrize(
    ("kind", "options", "given", "stored", "shown"),
    [
        ("number", "", "10", 10, "10"),
        ("boolean", "", "true", True, "true"),
        ("multiselect", "A\nB\nC", "A, C", ["A", "C"], "A, C"),
        ("array", "", '["x", 2]', ["x", 2], "[&#34;x&#34;, 2]"),
    ],
)
def test_a_default_value_is_stored_as_the_fields_type(
    web: Browser,
    api: Api,
    brand: Json,
    kind: str,
    options: str,
    given: str,
    stored: Any,
    shown: str,
) -> None:
    web.get(settings_url(brand, "fields"))
    form = {"entity_type": "ticket", "label": "Probe", "key": "probe", "type": kind}

    created = web.post(
        settings_url(brand, "fields"), {**form, "options": options, "default_value": given}
    )

    assert created.status_code == 303, created.text
    [field] = api_fields(api, brand)
    assert field["defaultValue"] == stored
    edit = web.get(settings_url(brand, "fields", f"/{field['id']}/edit"))
    assert f'name="default_value" type="text" maxlength="2000" value="{shown}"' in edit.text
    cleared = web.post(
        settings_url(brand, "fields", f"/{field['id']}"),
        {"label": "Probe", "type": kind, "options": options, "default_value": ""},
    )
    assert cleared.status_code == 303
    assert api_fields(api, brand)[0]["defaultValue"] is None


def test_editing_a_field_keeps_its_key(web: Browser, api: Api, brand: Json, plan: Json) -> None:
    page = web.get(settings_url(brand, "fields", f"/{plan['id']}/edit"))
    assert page.status_code == 200
    assert "Free\nPro</textarea>" in page.text

    saved = web.post(
        settings_url(brand, "fields", f"/{plan['id']}"),
        {"label": "Plan tier", "type": "select", "options": "Free\nPro\nEnterprise"},
    )

    assert saved.status_code == 303
    [field] = api_fields(api, brand)
    assert (field["key"], field["label"], field["options"]) == (
        "plan",
        "Plan tier",
        ["Free", "Pro", "Enterprise"],
    )
    assert field["showOnCreate"] is False  # unchecked boxes are off


def test_a_refused_edit_changes_nothing(web: Browser, api: Api, brand: Json, plan: Json) -> None:
    web.get(settings_url(brand, "fields"))

    refused = web.post(
        settings_url(brand, "fields", f"/{plan['id']}"),
        {"label": "Plan", "type": "select", "options": "Pro\nPro"},
    )

    assert refused.status_code == 422
    assert 'id="field-options-error"' in refused.text
    assert api_fields(api, brand)[0]["options"] == ["Free", "Pro"]


def test_reordering_a_tabs_fields(
    web: Browser, api: Api, brand: Json, order: Json, plan: Json
) -> None:
    web.get(settings_url(brand, "fields"))

    saved = web.post(
        settings_url(brand, "fields", "/reorder"),
        {"field_ids": [plan["id"], order["id"]]},
        headers=HTMX,
    )

    assert saved.status_code == 200
    assert [f["key"] for f in api_fields(api, brand)] == ["plan", "order_number"]


def test_an_order_mixing_tabs_or_brands_is_refused(
    web: Browser, api: Api, brand: Json, order: Json, plan: Json
) -> None:
    vat = make_field(api, brand, "company", "vat_id")
    web.get(settings_url(brand, "fields"))

    refused = web.post(
        settings_url(brand, "fields", "/reorder"),
        {"field_ids": [plan["id"], vat["id"], order["id"]]},
        headers=HTMX,
    )

    assert refused.status_code == 422
    assert [f["key"] for f in api_fields(api, brand)] == ["order_number", "plan"]


def test_deleting_a_field(web: Browser, api: Api, brand: Json, order: Json) -> None:
    confirm = web.get(settings_url(brand, "fields", f"/{order['id']}/delete"))
    assert confirm.status_code == 200
    assert "stay in their records" in confirm.text

    deleted = web.post(settings_url(brand, "fields", f"/{order['id']}/delete"))

    assert deleted.status_code == 303
    assert api_fields(api, brand) == []


def test_members_see_fields_without_controls_and_cannot_change_them(
    member: Browser, api: Api, brand: Json, order: Json, plan: Json
) -> None:
    page = member.get(settings_url(brand, "fields"))

    assert page.status_code == 200
    assert READ_ONLY in page.text
    assert "drag-handle" not in page.text
    assert "New ticket field" not in page.text
    assert member.get(settings_url(brand, "fields", f"/{order['id']}/edit")).status_code == 403
    for path, form in [
        ("", {"label": "Mine", "key": "mine"}),
        (f"/{order['id']}", {"label": "Mine"}),
        (f"/{order['id']}/delete", {}),
        ("/reorder", {"field_ids": [plan["id"], order["id"]]}),
    ]:
        refused = member.post(settings_url(brand, "fields", path), form)
        assert refused.status_code == 403, path
        assert REFUSED in refused.text
    assert [f["label"] for f in api_fields(api, brand)] == ["Order_Number", "Plan"]


def test_another_brands_field_is_not_found(web: Browser, api: Api, brand: Json) -> None:
    other = api.ok("post", "/brands", 201, json={"name": "B"})
    elsewhere = make_field(api, other, "ticket", "x")

    assert web.get(settings_url(brand, "fields", f"/{elsewhere['id']}/edit")).status_code == 404
    web.get(settings_url(brand, "fields"))
    assert web.post(settings_url(brand, "fields", f"/{elsewhere['id']}/delete")).status_code == 404
    assert len(api_fields(api, other)) == 1
