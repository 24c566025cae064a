"""Settings → Brand → General and Ticket schema in the dashboard: what they show, every
change saved through the brand service, refusals as field errors with nothing changed,
the autoresponse preview and the schema check as they are typed, members read-only."""

from __future__ import annotations

import html
import json
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
SCHEMA = {"type": "object", "required": ["orderNumber"]}


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    return signed_in_member(browsers, api, brand, database)


def api_brand(api: Api, brand: Json) -> Json:
    found: Json = api.ok("get", f"/brands/{brand['id']}")
    return found


def general_form(brand: Json, **changes: str) -> dict[str, str]:
    """The General form as the page posts it, with `changes`."""
    form = {
        "name": brand["name"],
        "slug": brand["slug"],
        "ticket_prefix": brand["ticketPrefix"],
        "ticket_number_start": str(brand["nextTicketNumber"]),
        "url": "",
        "icon_url": "",
        "from_name": "",
        "from_email": "",
        "autoresponse_subject": "",
        "autoresponse_body": "",
    }
    return form | changes


def test_general_shows_the_brand_with_its_inbound_addresses_and_autoresponse_preview(
    web: Browser, brand: Json
) -> None:
    page = web.get(settings_url(brand, "general"))

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'value="{brand["name"]}"' in text
    assert f'value="{brand["slug"]}@' in text  # the mailbox by slug, with a copy button
    assert f'value="{brand["id"].lower()}@' in text
    assert text.count("data-copy=") == 2
    # The preview is the default autoresponse for the brand's next ticket.
    assert f"We've received your request [{brand['ticketPrefix']}-1001]" in text
    assert f"We'll reach back out soon! - {brand['name']}" in text
    assert 'aria-current="page">General<' in text


def test_saving_general_changes_the_brand(web: Browser, api: Api, brand: Json) -> None:
    web.get(settings_url(brand, "general"))
    form = general_form(
        brand,
        name="Acme Help",
        slug="acme-help",
        ticket_prefix="help",
        ticket_number_start="5000",
        url="https://acme.test",
        from_name="Acme Support",
        from_email="help@acme.test",
        autoresponse_enabled="true",
        autoresponse_subject="Got it: {{ticketTitle}}",
        autoresponse_body="Hi {{customerName}}",
    )

    saved = web.post(settings_url(brand, "general"), form)

    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/settings/general?saved=Acme+Help")
    changed = api_brand(api, brand)
    assert changed["name"] == "Acme Help"
    assert changed["slug"] == "acme-help"
    assert changed["ticketPrefix"] == "HELP"
    assert changed["nextTicketNumber"] == 5000
    assert changed["url"] == "https://acme.test/"
    assert (changed["fromName"], changed["fromEmail"]) == ("Acme Support", "help@acme.test")
    assert changed["autoresponseEnabled"] is True
    assert changed["autoresponseSubject"] == "Got it: {{ticketTitle}}"
    page = web.get(saved.headers["location"])
    assert "Saved Acme Help" in page.text
    assert ">Acme Help</a>" in page.text  # the sidebar has the new name


def test_clearing_optional_texts_unsets_them(web: Browser, api: Api, brand: Json) -> None:
    api.ok("patch", f"/brands/{brand['id']}", json={"fromName": "Old", "url": "https://a.test"})
    web.get(settings_url(brand, "general"))

    assert web.post(settings_url(brand, "general"), general_form(brand)).status_code == 303

    changed = api_brand(api, brand)
    assert (changed["fromName"], changed["url"], changed["autoresponseEnabled"]) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "at least 1 character"),
        ("slug", "Not A Slug", "should match pattern"),
        ("ticket_prefix", "TOO-LONG-PREFIX", "should match pattern"),
        ("ticket_number_start", "many", "valid integer"),
        ("from_email", "not-an-address", "email"),
        ("url", "ftp://x", "URL scheme"),
    ],
)
def test_bad_general_input_shows_by_its_field_and_changes_nothing(
    web: Browser, api: Api, brand: Json, field: str, value: str, message: str
) -> None:
    web.get(settings_url(brand, "general"))
    before = api_brand(api, brand)

    refused = web.post(
        settings_url(brand, "general"), general_form(brand, **{"name": "Renamed", field: value})
    )

    assert refused.status_code == 422
    error_id = "settings-" + field.replace("_", "-") + "-error"
    assert f'id="{error_id}"' in refused.text
    assert message.lower() in html.unescape(refused.text).lower()
    assert 'value="Renamed"' in refused.text or field == "name"  # what was typed stays
    assert api_brand(api, brand) == before


def test_a_slug_taken_by_another_brand_is_refused_by_the_slug_field(
    web: Browser, api: Api, brand: Json
) -> None:
    api.ok("post", "/brands", 201, json={"name": "Other", "slug": "taken-slug"})
    web.get(settings_url(brand, "general"))

    refused = web.post(settings_url(brand, "general"), general_form(brand, slug="taken-slug"))

    assert refused.status_code == 422
    assert 'id="settings-slug-error"' in refused.text
    assert api_brand(api, brand)["slug"] == brand["slug"]


def test_the_ticket_counter_never_moves_back_once_tickets_exist(
    web: Browser, api: Api, brand: Json
) -> None:
    api.ok("post", f"/brands/{brand['id']}/tickets", 201, json={"title": "First"})
    web.get(settings_url(brand, "general"))

    refused = web.post(
        settings_url(brand, "general"), general_form(brand, ticket_number_start="10")
    )

    assert refused.status_code == 422
    assert 'id="settings-ticket-number-start-error"' in refused.text
    assert api_brand(api, brand)["nextTicketNumber"] == 1002


def test_the_autoresponse_preview_fills_the_placeholders_being_typed(
    web: Browser, brand: Json
) -> None:
    preview = web.get(
        settings_url(brand, "general", "/preview"),
        params={
            "autoresponse_subject": "Re: {{ticketTitle}}",
            "autoresponse_body": "Hi {{customerName}}, {{brandName}} has {{ticketNumber}}. {{x}}",
        },
        headers=HTMX,
    )

    assert preview.status_code == 200
    text = html.unescape(preview.text)
    # The ticket's number is added to a subject that lacks it, as the email channel does.
    assert f"Re: Where is my order? [{brand['ticketPrefix']}-1001]" in text
    assert f"Hi Pat Jones, {brand['name']} has {brand['ticketPrefix']}-1001. {{{{x}}}}" in text


def test_members_see_general_read_only_and_cannot_save(
    member: Browser, api: Api, brand: Json
) -> None:
    page = member.get(settings_url(brand, "general"))

    assert page.status_code == 200
    assert READ_ONLY in page.text
    assert '<fieldset class="settings-fieldset" disabled>' in page.text
    assert ">Save</button>" not in page.text
    refused = member.post(settings_url(brand, "general"), general_form(brand, name="Mine"))
    assert refused.status_code == 403
    assert REFUSED in refused.text
    assert api_brand(api, brand)["name"] == brand["name"]


def test_another_accounts_brand_is_not_found(web: Browser, other_brand: Json) -> None:
    for screen in ("general", "categories", "tags", "fields", "schema"):
        assert web.get(settings_url(other_brand, screen)).status_code == 404


def test_a_post_without_the_csrf_token_is_refused(web: Browser, api: Api, brand: Json) -> None:
    web.get(settings_url(brand, "general"))

    refused = web.post(
        settings_url(brand, "general"), {**general_form(brand, name="X"), "csrf_token": "no"}
    )

    assert refused.status_code == 403
    assert api_brand(api, brand)["name"] == brand["name"]


# --- Ticket schema --------------------------------------------------------------------


def test_the_schema_page_shows_the_stored_schema(web: Browser, api: Api, brand: Json) -> None:
    api.ok("put", f"/brands/{brand['id']}/schema", json=SCHEMA)

    page = web.get(settings_url(brand, "schema"))

    assert page.status_code == 200
    assert json.loads(html.unescape(page.text.split("</textarea>")[0].split(">")[-1])) == SCHEMA


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"type": "object",', "Not valid JSON at line 1"),
        ("[1, 2]", "A JSON Schema is an object"),
        ('{"type": "thing"}', "not a valid JSON Schema"),
    ],
)
def test_validating_a_bad_schema_says_what_is_wrong_and_saves_nothing(
    web: Browser, api: Api, brand: Json, text: str, problem: str
) -> None:
    web.get(settings_url(brand, "schema"))

    checked = web.post(
        settings_url(brand, "schema", "/validate"), {"ticket_schema": text}, headers=HTMX
    )

    assert checked.status_code == 200
    assert problem in html.unescape(checked.text)
    assert api.ok("get", f"/brands/{brand['id']}/schema") is None


def test_validating_a_good_schema_says_so_and_saves_nothing(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(settings_url(brand, "schema"))

    checked = web.post(
        settings_url(brand, "schema", "/validate"),
        {"ticket_schema": json.dumps(SCHEMA)},
        headers=HTMX,
    )

    assert "Valid JSON Schema" in checked.text
    assert api.ok("get", f"/brands/{brand['id']}/schema") is None


def test_saving_the_schema_sets_it_and_an_empty_text_clears_it(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(settings_url(brand, "schema"))

    saved = web.post(settings_url(brand, "schema"), {"ticket_schema": json.dumps(SCHEMA)})

    assert saved.status_code == 303
    assert api.ok("get", f"/brands/{brand['id']}/schema") == SCHEMA
    ticket = {"title": "No order number", "customFields": {"note": "x"}}
    refused = api.post(f"/brands/{brand['id']}/tickets", json=ticket)
    assert refused.status_code == 422  # the schema now applies to ticket writes
    assert web.post(settings_url(brand, "schema"), {"ticket_schema": " "}).status_code == 303
    assert api.ok("get", f"/brands/{brand['id']}/schema") is None


def test_saving_a_bad_schema_shows_the_problem_and_keeps_the_text(
    web: Browser, api: Api, brand: Json
) -> None:
    api.ok("put", f"/brands/{brand['id']}/schema", json=SCHEMA)
    web.get(settings_url(brand, "schema"))

    refused = web.post(settings_url(brand, "schema"), {"ticket_schema": '{"type": 5}'})

    assert refused.status_code == 422
    assert "not a valid JSON Schema" in html.unescape(refused.text)
    assert "{&#34;type&#34;: 5}" in refused.text
    assert api.ok("get", f"/brands/{brand['id']}/schema") == SCHEMA


def test_members_see_the_schema_read_only(member: Browser, api: Api, brand: Json) -> None:
    page = member.get(settings_url(brand, "schema"))

    assert page.status_code == 200
    assert READ_ONLY in page.text
    assert "readonly" in page.text
    refused = member.post(settings_url(brand, "schema"), {"ticket_schema": json.dumps(SCHEMA)})
    assert refused.status_code == 403
    assert api.ok("get", f"/brands/{brand['id']}/schema") is None
