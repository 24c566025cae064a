"""Account settings in a real browser: an owner invites a member with access to one brand
(the invitation arrives by mail; the member follows its link, sets a password and, in
their own browser, sees only that brand); creates an API key, sees it once, and it works
against the API; every account page, spam and activity pass the accessibility check, on
a laptop and on a phone."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    LiveServer,
    MailSink,
    axe_check,
    screenshot,
    sign_in_new_member,
)

PASSWORD = "owner password 1"
OWNER = "owner@shop.test"


def _brands(live_server: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:
    with live_server.api() as api:
        shop = api.post("/brands", json={"name": "Shop"}).json()
        outlet = api.post("/brands", json={"name": "Outlet"}).json()
        ticket = api.post(
            f"/brands/{shop['id']}/tickets",
            json={"title": "Cheap pills", "customerEmail": "bot@spam.test"},
        ).json()
        api.post(f"/brands/{shop['id']}/tickets/{ticket['id']}/spam", json={"isSpam": True})
    return shop, outlet


def _check(page: Page, name: str) -> None:
    axe_check(page)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar where it belongs
    screenshot(page, name)


def test_an_invited_member_sees_only_their_brand(
    live_server: LiveServer, mail_sink: MailSink, page: Page
) -> None:
    _shop, outlet = _brands(live_server)
    sign_in_new_member(live_server, page, email=OWNER, password=PASSWORD)
    page.get_by_role("link", name="Team", exact=True).first.click()
    page.get_by_label("Email", exact=True).fill("nia@shop.test")
    page.get_by_label("Only these:").check()
    page.get_by_role("checkbox", name="Shop").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia@shop.test")
    _check(page, "account/team")

    mail = mail_sink.wait_for_mail(lambda m: "nia@shop.test" in m.recipients)
    link = re.search(r"http://\S+/auth/invite/\S+", mail.text)
    assert link, mail.text
    joining = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        nia = joining.new_page()
        nia.goto(link.group(0))
        nia.get_by_label("Your name").fill("Nia Newcomer")
        nia.get_by_label("New password").fill("newcomer pass 1")
        nia.get_by_role("button", name="Continue").click()
        nia.goto(f"{live_server.base_url}/inbox")
        sidebar = nia.get_by_role("navigation", name="Inboxes and settings")
        expect(sidebar.get_by_role("link", name="Shop", exact=True)).to_be_visible()
        expect(sidebar.get_by_role("link", name="Outlet", exact=True)).to_have_count(0)
        # No keys or inbound secret for a member.
        expect(sidebar.get_by_role("link", name="API keys")).to_have_count(0)
        assert nia.goto(f"{live_server.base_url}/brands/{outlet['id']}/inbox").status == 404  # type: ignore[union-attr]
    finally:
        joining.close()

    # The owner narrows nobody further, but sees her on the team with her one brand.
    page.goto(f"{live_server.base_url}/team")
    row = page.get_by_role("row", name=re.compile("Nia Newcomer"))
    expect(row).to_contain_text("Shop")
    expect(row).not_to_contain_text("Outlet")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Brand access")).to_be_visible()
    _check(page, "account/member")


def test_an_api_key_is_shown_once_and_works(
    live_server: LiveServer, page: Page, phone_page: Page
) -> None:
    shop, _ = _brands(live_server)
    sign_in_new_member(live_server, page, email=OWNER, password=PASSWORD)
    page.get_by_role("link", name="API keys").click()
    _check(page, "account/keys")
    create = page.get_by_role("region", name="Create a key")
    create.get_by_label("Name").fill("Zapier")
    create.get_by_label("Only these:").check()
    create.get_by_role("checkbox", name="Shop").check()
    create.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    secret = page.get_by_label("API key", exact=True).input_value()
    assert secret.startswith("sk_live_")
    _check(page, "account/key-created")
    answer = httpx.get(
        f"{live_server.base_url}/v1/brands/{shop['id']}",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json()["name"] == "Shop"

    page.get_by_role("link", name="Done").click()
    row = page.get_by_role("row", name=re.compile("Zapier"))
    expect(row).to_contain_text(secret[:12] + "…")
    page.reload()
    assert secret not in page.content()
    row.get_by_text("Revoke…").click()
    row.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked Zapier")
    refused = httpx.get(
        f"{live_server.base_url}/v1/brands", headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )  # fmt: skip
    assert refused.status_code == 401

    # The other account pages, then all of them on a phone.
    pages = {
        "account/brands": "/account/brands",
        "account/brand-delete": f"/account/brands/{shop['id']}/delete",
        "account/inbound": "/account/inbound",
        "account/spam": f"/brands/{shop['id']}/spam",
        "account/activity": f"/brands/{shop['id']}/activity",
    }
    for name, path in pages.items():
        page.goto(live_server.base_url + path)
        _check(page, name)
    page.goto(f"{live_server.base_url}/account/inbound")
    page.get_by_role("button", name="Reveal secret").click()
    expect(page.get_by_label("Inbound secret", exact=True)).to_have_value(re.compile("^dis_in_"))
    _check(page, "account/inbound-revealed")

    phone_page.goto(f"{live_server.base_url}/signin")
    phone_page.get_by_label("Email").fill(OWNER)
    phone_page.get_by_label("Password").fill(PASSWORD)
    phone_page.get_by_role("button", name="Sign in").click()
    expect(phone_page).to_have_url(re.compile(r"/inbox"))
    for name, path in {**pages, "account/keys": "/account/keys", "account/team": "/team"}.items():
        phone_page.goto(live_server.base_url + path)
        _check(phone_page, name + "-phone")
