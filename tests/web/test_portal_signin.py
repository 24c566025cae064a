"""The hosted portal's sign-in: magic links only, the same answer for any address, single
use, a session bound to one contact of one brand in its own cookie, sign-out, CSRF on
every form, a portal that is off or unknown is a 404, and rotating the brand's portal
secret signs every customer out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dispatch.core.db import Database
from dispatch.email.models import OutboundEmail
from dispatch.portal.models import PortalSession
from tests.conftest import Api
from tests.web.conftest import Browser
from tests.web.portal_helpers import (
    Json,
    ask_for_link,
    portal_url,
    redeem,
    sent_tokens,
    sign_in_customer,
)

PAT = "pat@customer.test"


def _sessions(database: Database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(PortalSession)) or 0


def test_the_portal_home_sends_a_stranger_to_the_sign_in_form(browsers: Any, brand: Json) -> None:
    browser: Browser = browsers()
    home = browser.get(portal_url(brand))
    assert home.status_code == 303
    assert home.headers["location"] == portal_url(brand, "/signin")
    form = browser.get(portal_url(brand, "/signin"))
    assert form.status_code == 200
    assert f"Sign in to {brand['name']} support" in form.text
    assert 'type="password"' not in form.text


def test_a_customer_signs_in_with_the_emailed_link_and_sees_their_tickets(
    browsers: Any, api: Api, brand: Json, database: Database
) -> None:
    api.ok("post", f"/brands/{brand['id']}/tickets", 201,
           json={"title": "Where is my parcel?", "customerEmail": PAT})  # fmt: skip
    browser = sign_in_customer(browsers(), database, brand, PAT)

    cookie = next(c for c in browser.client.cookies.jar if c.name == "dispatch_portal")
    assert cookie.path == portal_url(brand)
    tickets = browser.get(portal_url(brand, "/tickets"))
    assert tickets.status_code == 200
    assert "Where is my parcel?" in tickets.text
    assert "Sign out" in tickets.text


def test_the_session_cookie_is_http_only_and_same_site_lax(
    browsers: Any, brand: Json, database: Database
) -> None:
    browser: Browser = browsers()
    ask_for_link(browser, brand, PAT)
    answer = redeem(browser, brand, sent_tokens(database, PAT)[-1])
    header = answer.headers["set-cookie"].lower()
    assert "dispatch_portal=" in header
    assert "httponly" in header
    assert "samesite=lax" in header
    assert f"path={portal_url(brand)}" in header


def test_known_and_unknown_addresses_get_the_same_page(
    browsers: Any, api: Api, brand: Json, database: Database
) -> None:
    api.ok("post", f"/brands/{brand['id']}/contacts", 201, json={"email": PAT})
    known = ask_for_link(browsers(), brand, PAT)
    unknown = ask_for_link(browsers(), brand, "nobody@customer.test")
    assert known.status_code == unknown.status_code == 200
    assert "Check your inbox" in known.text
    assert known.text.replace(PAT, "X") == unknown.text.replace("nobody@customer.test", "X")


def test_a_bad_address_is_refused_on_the_form_with_what_was_typed(
    browsers: Any, brand: Json
) -> None:
    answer = ask_for_link(browsers(), brand, "not-an-address")
    assert answer.status_code == 422
    assert 'value="not-an-address"' in answer.text
    assert "Enter your email address" in answer.text


def test_a_link_works_once(browsers: Any, brand: Json, database: Database) -> None:
    sign_in_customer(browsers(), database, brand, PAT)
    token = sent_tokens(database, PAT)[-1]
    again = redeem(browsers(), brand, token)
    assert again.status_code == 400
    assert "expired or was already used" in again.text
    assert "dispatch_portal" not in again.headers.get("set-cookie", "")


def test_opening_the_link_alone_does_not_spend_it(
    browsers: Any, brand: Json, database: Database
) -> None:
    """Mail scanners fetch links: only the button on the page signs in."""
    browser: Browser = browsers()
    ask_for_link(browser, brand, PAT)
    token = sent_tokens(database, PAT)[-1]
    assert browsers().get(portal_url(brand, f"/signin?token={token}")).status_code == 200
    assert redeem(browser, brand, token).status_code == 303


def test_a_link_of_another_brand_signs_nobody_in(
    browsers: Any, api: Api, brand: Json, database: Database
) -> None:
    outlet: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    ask_for_link(browsers(), outlet, PAT)
    token = sent_tokens(database, PAT)[-1]
    assert redeem(browsers(), brand, token).status_code == 400
    assert _sessions(database) == 0


def test_a_form_without_its_token_is_refused_and_nothing_is_sent(
    browsers: Any, brand: Json, database: Database
) -> None:
    browser: Browser = browsers()
    browser.get(portal_url(brand, "/signin"))
    refused = browser.post(portal_url(brand, "/signin/link"), {"email": PAT, "csrf_token": "x"})
    assert refused.status_code == 403
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_signed_out_pages_redirect_to_the_sign_in_form(browsers: Any, brand: Json) -> None:
    browser: Browser = browsers()
    for path in ("/tickets", "/tickets/new", "/tickets/tkt_nothing"):
        answer = browser.get(portal_url(brand, path))
        assert answer.status_code == 303, path
        assert answer.headers["location"] == portal_url(brand, "/signin")


def test_signing_out_ends_the_session(browsers: Any, brand: Json, database: Database) -> None:
    browser = sign_in_customer(browsers(), database, brand, PAT)
    page = browser.get(portal_url(brand, "/tickets"))
    assert page.status_code == 200
    stolen = browser.client.cookies.get("dispatch_portal", path=portal_url(brand))
    out = browser.post(portal_url(brand, "/signout"))
    assert out.status_code == 303
    assert browser.get(portal_url(brand, "/tickets")).status_code == 303
    # The old cookie, replayed, does not work either.
    replay: Browser = browsers()
    replay.client.cookies.set("dispatch_portal", stolen, path=portal_url(brand))
    assert replay.get(portal_url(brand, "/tickets")).status_code == 303


def test_a_team_member_signed_in_to_the_dashboard_is_not_a_customer(
    web: Browser, brand: Json
) -> None:
    answer = web.get(portal_url(brand, "/tickets"))
    assert answer.status_code == 303
    assert answer.headers["location"] == portal_url(brand, "/signin")


def test_a_session_belongs_to_its_brand(
    browsers: Any, api: Api, brand: Json, database: Database
) -> None:
    outlet: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    browser = sign_in_customer(browsers(), database, brand, PAT)
    cookie = browser.client.cookies.get("dispatch_portal", path=portal_url(brand))
    elsewhere: Browser = browsers()
    elsewhere.client.cookies.set("dispatch_portal", cookie, path=portal_url(outlet))
    assert elsewhere.get(portal_url(outlet, "/tickets")).status_code == 303


def test_unknown_and_disabled_portals_are_not_found(
    browsers: Any, api: Api, brand: Json, database: Database
) -> None:
    browser = sign_in_customer(browsers(), database, brand, PAT)
    unknown = browser.get("/support/no-such-brand/signin")
    assert unknown.status_code == 404
    assert "Not found" in unknown.text
    api.ok("patch", f"/brands/{brand['id']}", json={"portalEnabled": False})
    for path in ("", "/signin", "/tickets"):
        answer = browser.get(portal_url(brand, path))
        assert answer.status_code == 404, path
        assert "Not found" in answer.text
    sent_before = len(sent_tokens(database, PAT))
    assert browser.post(portal_url(brand, "/signin/link"), {"email": PAT}).status_code == 404
    assert len(sent_tokens(database, PAT)) == sent_before


def test_rotating_the_portal_secret_signs_every_customer_out(
    web: Browser, browsers: Any, brand: Json, database: Database
) -> None:
    pat = sign_in_customer(browsers(), database, brand, PAT)
    sam = sign_in_customer(browsers(), database, brand, "sam@customer.test")
    settings = f"/brands/{brand['id']}/settings/portal"
    web.get(settings)
    unconfirmed = web.post(settings + "/rotate-secret")
    assert unconfirmed.status_code == 422
    assert pat.get(portal_url(brand, "/tickets")).status_code == 200

    rotated = web.post(settings + "/rotate-secret", {"confirm": "yes"})
    assert rotated.status_code == 303
    assert "signed out" in web.get(rotated.headers["location"]).text
    for customer in (pat, sam):
        assert customer.get(portal_url(brand, "/tickets")).status_code == 303


def test_past_the_rate_limit_the_same_page_shows_and_nothing_more_is_sent(
    browsers: Any, brand: Json, database: Database
) -> None:
    from dispatch.portal.service import LINKS_PER_ADDRESS

    browser: Browser = browsers()
    pages = [ask_for_link(browser, brand, PAT) for _ in range(LINKS_PER_ADDRESS + 2)]
    assert {p.status_code for p in pages} == {200}
    assert all("Check your inbox" in p.text for p in pages)
    assert len(sent_tokens(database, PAT)) == LINKS_PER_ADDRESS
