"""Settings → Brand → Portal: the hosted portal's address, on/off, categories, allowed
origins (normalized, duplicates refused with nothing changed), the portal-visible custom
fields, members read-only."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api
from tests.web.conftest import Browser
from tests.web.settings_helpers import READ_ONLY, REFUSED, Json, settings_url, signed_in_member


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    return signed_in_member(browsers, api, brand, database)


def test_the_portal_tab_shows_the_hosted_address_to_copy(web: Browser, brand: Json) -> None:
    page = web.get(settings_url(brand, "portal"))
    assert page.status_code == 200
    assert f'value="http://testserver/support/{brand["slug"]}"' in page.text
    assert 'data-copy="portal-url"' in page.text
    assert 'name="portal_enabled" value="true" checked' in page.text


def test_saving_turns_the_portal_off_offers_categories_and_normalizes_origins(
    web: Browser, api: Api, brand: Json
) -> None:
    url = settings_url(brand, "portal")
    web.get(url)
    saved = web.post(url, {
        "portal_categories": "true",
        "portal_origins": "https://App.Example.com/\nhttp://localhost:3000",
    })  # fmt: skip
    assert saved.status_code == 303
    assert "Saved" in web.get(saved.headers["location"]).text
    found = api.ok("get", f"/brands/{brand['id']}")
    assert found["portalEnabled"] is False
    assert found["portalCategories"] is True
    assert found["portalOrigins"] == ["https://app.example.com", "http://localhost:3000"]


@pytest.mark.parametrize(
    "origins",
    ["https://a.example.com\nhttps://A.example.com/", "https://a.example.com/path", "ftp://x.test"],
)
def test_bad_origins_are_refused_on_the_field_and_nothing_changes(
    web: Browser, api: Api, brand: Json, origins: str
) -> None:
    url = settings_url(brand, "portal")
    web.get(url)
    refused = web.post(url, {"portal_enabled": "true", "portal_origins": origins})
    assert refused.status_code == 422
    assert 'id="portal-origins-error"' in refused.text
    assert api.ok("get", f"/brands/{brand['id']}")["portalOrigins"] == []


def test_the_tab_lists_the_custom_fields_customers_see(web: Browser, api: Api, brand: Json) -> None:
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201, json={
        "key": "order_number", "label": "Order number", "type": "text", "portalVisible": True,
    })  # fmt: skip
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201,
           json={"key": "risk", "label": "Risk score", "type": "number"})  # fmt: skip
    page = web.get(settings_url(brand, "portal"))
    assert "Order number" in page.text
    assert "Risk score" not in page.text


def test_a_ticket_field_is_shown_in_the_portal_from_its_form(
    web: Browser, api: Api, brand: Json
) -> None:
    url = settings_url(brand, "fields")
    web.get(url)
    created = web.post(url, {"entity_type": "ticket", "label": "Order number", "type": "text",
                             "portal_visible": "true"})  # fmt: skip
    assert created.status_code == 303
    listed = api.ok("get", f"/brands/{brand['id']}/fields/ticket")
    assert [f["portalVisible"] for f in listed] == [True]
    edit = web.get(settings_url(brand, "fields", f"/{listed[0]['id']}/edit"))
    assert 'name="portal_visible" value="true" checked' in edit.text
    contact_tab = web.get(url + "?type=contact")
    assert 'name="portal_visible"' not in contact_tab.text


def test_members_see_the_portal_settings_without_controls(
    member: Browser, api: Api, brand: Json
) -> None:
    url = settings_url(brand, "portal")
    page = member.get(url)
    assert page.status_code == 200
    assert READ_ONLY in page.text
    assert "Rotate portal secret" not in page.text
    refused = member.post(url, {"portal_origins": "https://app.example.com"})
    assert refused.status_code == 403
    assert REFUSED in refused.text
    rotate = member.post(url + "/rotate-secret", {"confirm": "yes"})
    assert rotate.status_code == 403
    assert api.ok("get", f"/brands/{brand['id']}")["portalOrigins"] == []


# --- the brand's own domain -----------------------------------------------------------------


def test_the_tab_explains_the_own_domain_and_saves_it(
    web: Browser, api: Api, brand: Json, settings: Any
) -> None:
    url = settings_url(brand, "portal")
    page = web.get(url)
    assert 'name="portal_domain"' in page.text
    assert "point that name at this server with a DNS record" in page.text
    settings.public_url = "https://desk.acme.test"
    page = web.get(url)
    assert "<code>CNAME</code> record pointing that name at <code>desk.acme.test</code>" in (
        page.text
    )
    saved = web.post(url, {"portal_enabled": "true", "portal_domain": "Help.Acme.test"})
    assert saved.status_code == 303
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] == "help.acme.test"
    page = web.get(url)
    assert 'value="help.acme.test"' in page.text
    assert 'href="https://help.acme.test/"' in page.text
    cleared = web.post(url, {"portal_enabled": "true", "portal_domain": ""})
    assert cleared.status_code == 303
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] is None


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("https://help.acme.test/", "host name only"),
        ("help.acme.test:8443", "host name only"),
        ("10.0.0.7", "not an IP address"),
        ("desk.acme.test", "this server&#39;s own address"),
        ("taken.acme.test", "already another brand"),
    ],
)
def test_a_domain_refused_shows_on_its_field_and_nothing_changes(
    web: Browser, api: Api, brand: Json, settings: Any, domain: str, message: str
) -> None:
    settings.public_url = "https://desk.acme.test"
    outlet: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    api.ok("patch", f"/brands/{outlet['id']}", json={"portalDomain": "taken.acme.test"})
    url = settings_url(brand, "portal")
    web.get(url)
    refused = web.post(url, {"portal_enabled": "true", "portal_categories": "true",
                             "portal_domain": domain})  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert 'id="portal-domain-error"' in refused.text
    assert message in refused.text
    assert f'value="{domain}"' in refused.text
    found = api.ok("get", f"/brands/{brand['id']}")
    assert found["portalDomain"] is None
    assert found["portalCategories"] is False


def test_a_member_cannot_set_the_domain(member: Browser, api: Api, brand: Json) -> None:
    url = settings_url(brand, "portal")
    page = member.get(url)
    assert READ_ONLY in page.text
    refused = member.post(url, {"portal_enabled": "true", "portal_domain": "help.acme.test"})
    assert refused.status_code == 403
    assert REFUSED in refused.text
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] is None
