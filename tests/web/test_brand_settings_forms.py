"""Settings → Brand → Web forms in the dashboard: the list with counts, creating a form
with its field mapping, editing every setting, enabling and disabling, regenerating the
token and deleting (each after a confirmation), the HTML snippet; refusals as field
errors with nothing changed; members read-only."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api
from tests.web.conftest import Browser
from tests.web.settings_helpers import READ_ONLY, REFUSED, Json, settings_url, signed_in_member


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    return signed_in_member(browsers, api, brand, database)


def api_forms(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", f"/brands/{brand['id']}/forms")
    return listed


@pytest.fixture
def contact_form(api: Api, brand: Json) -> Json:
    created: Json = api.ok(
        "post",
        f"/brands/{brand['id']}/forms",
        201,
        json={
            "name": "Contact us",
            "fieldMapping": {"your-email": "customerEmail", "order": "customFields.orderId"},
            "honeypotField": "website",
        },
    )
    return created


def snippet_of(page: Any) -> str:
    found = re.search(r'<textarea id="webform-snippet"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def test_the_list_shows_each_form_with_its_counts(
    web: Browser, api: Api, brand: Json, contact_form: Json
) -> None:
    api.client.post(f"/forms/{contact_form['token']}", data={"subject": "Hi"})
    page = web.get(settings_url(brand, "forms"))
    assert page.status_code == 200
    row = re.search(rf'<tr data-form-id="{contact_form["id"]}">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "Contact us" in row.group(1)
    assert 'class="status-count">1<' in row.group(1)
    assert "just now" in row.group(1)
    assert 'aria-current="page">Web forms<' in page.text


def test_creating_a_form_with_a_mapping_opens_its_page(web: Browser, api: Api, brand: Json) -> None:
    web.get(settings_url(brand, "forms"))
    created = web.post(
        settings_url(brand, "forms"),
        {
            "name": "Returns",
            "success_url": "https://shop.example/thanks",
            "allowed_origins": "https://shop.example\nhttp://localhost:3000",
            "honeypot_field": "website",
            "mapping_field": ["topic", "", "order"],
            "mapping_target": ["title", "", "customFields.orderId"],
        },
    )
    assert created.status_code == 303
    [form] = api_forms(api, brand)
    assert created.headers["location"].startswith(settings_url(brand, "forms", f"/{form['id']}"))
    assert form["fieldMapping"] == {"topic": "title", "order": "customFields.orderId"}
    assert form["allowedOrigins"] == ["https://shop.example", "http://localhost:3000"]
    assert form["successUrl"] == "https://shop.example/thanks"


def test_a_refused_form_comes_back_with_its_errors_and_values(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(settings_url(brand, "forms"))
    refused = web.post(
        settings_url(brand, "forms"),
        {
            "name": "Returns",
            "success_url": "not a url",
            "allowed_origins": "https://shop.example/path",
            "mapping_field": ["topic"],
            "mapping_target": ["assignee"],
        },
    )
    assert refused.status_code == 422
    assert 'id="form-success-url-error"' in refused.text
    assert 'id="form-origins-error"' in refused.text
    assert 'id="form-mapping-error"' in refused.text
    assert 'value="assignee"' in refused.text
    assert api_forms(api, brand) == []


def test_the_forms_page_shows_a_snippet_to_paste(
    web: Browser, brand: Json, contact_form: Json
) -> None:
    page = web.get(settings_url(brand, "forms", f"/{contact_form['id']}"))
    assert page.status_code == 200
    snippet = snippet_of(page)
    assert f'action="http://testserver/forms/{contact_form["token"]}"' in snippet
    assert 'method="post"' in snippet
    assert 'name="your-email"' in snippet  # the mapping's name, not the default
    assert 'name="email"' not in snippet
    assert 'name="subject"' in snippet
    assert 'name="message"' in snippet
    assert 'name="order"' in snippet
    assert 'name="website" tabindex="-1"' in snippet
    assert "multipart" not in snippet
    assert 'data-copy="webform-snippet"' in page.text

    with_files = snippet_of(web.get(settings_url(brand, "forms", f"/{contact_form['id']}?files=1")))
    assert 'enctype="multipart/form-data"' in with_files
    assert 'type="file" name="attachments"' in with_files


def test_editing_every_setting(web: Browser, api: Api, brand: Json, contact_form: Json) -> None:
    web.get(settings_url(brand, "forms", f"/{contact_form['id']}"))
    saved = web.post(
        settings_url(brand, "forms", f"/{contact_form['id']}"),
        {
            "name": "Support",
            "error_url": "https://shop.example/oops",
            "thank_you_message": "Thanks!",
            "honeypot_field": "",
            "allowed_origins": "",
            "mapping_field": ["topic", ""],
            "mapping_target": ["title", ""],
        },
    )
    assert saved.status_code == 303
    [form] = api_forms(api, brand)
    assert form["name"] == "Support"
    assert form["errorUrl"] == "https://shop.example/oops"
    assert form["thankYouMessage"] == "Thanks!"
    assert form["honeypotField"] is None
    assert form["fieldMapping"] == {"topic": "title"}
    assert form["enabled"] is False  # the checkbox was not sent


def test_disabling_and_enabling_from_the_list(
    web: Browser, api: Api, brand: Json, contact_form: Json
) -> None:
    web.get(settings_url(brand, "forms"))
    url = settings_url(brand, "forms", f"/{contact_form['id']}/enabled")
    assert web.post(url, {"enabled": "false"}).status_code == 303
    assert api_forms(api, brand)[0]["enabled"] is False
    assert "Disabled" in web.get(settings_url(brand, "forms")).text
    assert web.post(url, {"enabled": "true"}).status_code == 303
    assert api_forms(api, brand)[0]["enabled"] is True


def test_regenerating_asks_first_then_replaces_the_token(
    web: Browser, api: Api, brand: Json, contact_form: Json
) -> None:
    confirm = web.get(settings_url(brand, "forms", f"/{contact_form['id']}/regenerate"))
    assert confirm.status_code == 200
    assert "stops working at once" in confirm.text
    assert api_forms(api, brand)[0]["token"] == contact_form["token"]

    done = web.post(settings_url(brand, "forms", f"/{contact_form['id']}/regenerate"))
    assert done.status_code == 303
    token = api_forms(api, brand)[0]["token"]
    assert token != contact_form["token"]
    page = web.get(done.headers["location"])
    assert "the old URL no longer works" in page.text
    assert token in snippet_of(page)


def test_deleting_asks_first(web: Browser, api: Api, brand: Json, contact_form: Json) -> None:
    confirm = web.get(settings_url(brand, "forms", f"/{contact_form['id']}/delete"))
    assert confirm.status_code == 200
    assert "Delete Contact us?" in confirm.text
    assert len(api_forms(api, brand)) == 1

    assert (
        web.post(settings_url(brand, "forms", f"/{contact_form['id']}/delete")).status_code == 303
    )
    assert api_forms(api, brand) == []


def test_a_member_sees_forms_without_controls_and_is_refused_changes(
    member: Browser, api: Api, brand: Json, contact_form: Json
) -> None:
    listing = member.get(settings_url(brand, "forms"))
    assert listing.status_code == 200
    assert READ_ONLY in listing.text
    assert "New web form" not in listing.text
    page = member.get(settings_url(brand, "forms", f"/{contact_form['id']}"))
    assert page.status_code == 200
    assert 'id="webform-snippet"' in page.text
    assert "Regenerate token" not in page.text

    for tail, data in (
        ("", {"name": "Mine"}),
        (f"/{contact_form['id']}", {"name": "Mine"}),
        (f"/{contact_form['id']}/enabled", {"enabled": "false"}),
        (f"/{contact_form['id']}/regenerate", {}),
        (f"/{contact_form['id']}/delete", {}),
    ):
        refused = member.post(settings_url(brand, "forms", tail), data)
        assert refused.status_code == 403, tail
        assert REFUSED in refused.text
    assert (
        member.get(settings_url(brand, "forms", f"/{contact_form['id']}/delete")).status_code == 403
    )
    assert api_forms(api, brand) == [contact_form]


def test_a_submitted_ticket_says_it_came_from_a_web_form(
    web: Browser, api: Api, brand: Json, contact_form: Json
) -> None:
    answer = api.client.post(
        f"/forms/{contact_form['token']}",
        data={"your-email": "ann@example.com", "subject": "Lamp"},
        headers={"Accept": "application/json"},
    )
    ticket_id = answer.json()["ticket"]["id"]
    page = web.get(f"/brands/{brand['id']}/tickets/{ticket_id}")
    assert page.status_code == 200
    opening = re.search(
        r'<article class="entry[^"]*" id="entry-' + ticket_id + r'"(.*?)</header>', page.text, re.S
    )
    assert opening is not None
    assert '<span class="tag">Web form</span>' in opening.group(1)
