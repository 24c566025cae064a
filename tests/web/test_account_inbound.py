"""Account → Inbound email in the dashboard: the mailboxes, SMTP address and inbound-parse
URL; the secret hidden until revealed (and then working), rotated after confirmation
(the old one refused from then on); members are refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]
HTMX = {"HX-Request": "true"}
MESSAGE = (
    b"From: ann@customer.test\r\nTo: {to}\r\nSubject: Hi\r\nMessage-ID: <m1@x>\r\n\r\nHello\r\n"
)


def secret_on(page: str) -> str:
    found = re.search(r'id="secret-value" type="text" readonly value="([^"]+)"', page)
    assert found, "no secret on the page"
    return found.group(1)


def post_mail(web: Browser, secret: str, brand: Json) -> int:
    raw = MESSAGE.replace(b"{to}", f"{brand['slug']}@inbound.localhost".encode())
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "message/rfc822"}
    return web.client.post("/v1/inbound/email", content=raw, headers=headers).status_code


def test_the_page_shows_where_mail_goes_and_hides_the_secret(web: Browser, brand: Json) -> None:
    page = web.get("/account/inbound")
    assert page.status_code == 200
    assert 'value="http://testserver/v1/inbound/email"' in page.text
    assert f'value="{brand["slug"]}@inbound.localhost"' in page.text
    assert 'value="127.0.0.1:2525"' in page.text
    assert 'id="secret-value"' not in page.text
    assert "Reveal secret" in page.text
    assert page.text.count("data-copy=") == 3


def test_revealing_shows_a_working_secret(web: Browser, brand: Json) -> None:
    web.get("/account/inbound")
    revealed = web.post("/account/inbound/reveal", headers=HTMX)
    assert revealed.status_code == 200
    assert revealed.text.lstrip().startswith("{#") is False
    assert 'id="inbound-secret"' in revealed.text
    assert "<html" not in revealed.text
    secret = secret_on(revealed.text)
    assert f"http://inbound:{secret}@testserver/v1/inbound/email" in revealed.text
    assert post_mail(web, secret, brand) == 202
    # Without htmx, the whole page with the secret; the same secret again.
    assert secret_on(web.post("/account/inbound/reveal").text) == secret


def test_rotating_replaces_the_secret(web: Browser, brand: Json) -> None:
    web.get("/account/inbound")
    old = secret_on(web.post("/account/inbound/reveal").text)
    rotated = web.post("/account/inbound/rotate", headers=HTMX)
    assert rotated.status_code == 200
    assert "the old one no longer works" in rotated.text
    new = secret_on(rotated.text)
    assert new != old
    assert post_mail(web, old, brand) == 401
    assert post_mail(web, new, brand) == 202


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    browser.get("/inbox")
    return browser


def test_members_are_refused(member: Browser, web: Browser, brand: Json) -> None:
    assert member.get("/account/inbound").status_code == 403
    assert member.post("/account/inbound/reveal").status_code == 403
    assert member.post("/account/inbound/rotate").status_code == 403
    web.get("/account/inbound")
    secret = secret_on(web.post("/account/inbound/reveal").text)
    assert member.post("/account/inbound/rotate").status_code == 403
    assert post_mail(web, secret, brand) == 202
