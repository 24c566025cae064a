"""Signing in to the dashboard in a real browser: the first-run owner link, password
sign-in, a sign-in link taken from the mail sink, the team page and invitations."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, MailSink, axe_check, screenshot

SETUP_LINK = re.compile(r"http://\S+/auth/setup/\S+")


def test_the_first_run_link_makes_the_owner_who_then_signs_in_again(
    live_server: LiveServer, page: Page
) -> None:
    found = SETUP_LINK.search(live_server.stdout)
    assert found, live_server.stdout
    page.goto(found.group(0))
    expect(page.get_by_role("heading", name="Set up your helpdesk")).to_be_visible()
    axe_check(page)
    screenshot(page, "signin/first-run")
    page.get_by_label("Your email").fill("owner@shop.test")
    page.get_by_label("Your name").fill("Olivia Owner")
    page.get_by_label("New password").fill("owner password 1")
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server.base_url}/team")
    expect(page.get_by_role("cell", name=re.compile("Olivia Owner"))).to_be_visible()
    axe_check(page)
    screenshot(page, "signin/team")

    page.locator(".account-menu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    axe_check(page)
    screenshot(page, "signin/signin")
    page.get_by_label("Email").fill("owner@shop.test")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill("owner password 1")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.base_url}/team")
    expect(page.get_by_role("heading", name="Team")).to_be_visible()


def test_an_invited_member_joins_from_the_emailed_link(
    live_server: LiveServer, mail_sink: MailSink, page: Page
) -> None:
    live_server.cli(
        "users", "create", "--account", live_server.account_id, "--email", "boss@shop.test",
        "--role", "owner", "--password-stdin", stdin="boss password 1\n",
    )  # fmt: skip
    page.goto(f"{live_server.base_url}/signin?next=/team")
    page.get_by_label("Email").fill("boss@shop.test")
    page.get_by_label("Password").fill("boss password 1")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/team$"))
    page.get_by_label("Email", exact=True).fill("new.agent@shop.test")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to new.agent@shop.test")

    mail = mail_sink.wait_for_mail(lambda m: "new.agent@shop.test" in m.recipients)
    link = re.search(r"http://\S+/auth/invite/\S+", mail.text)
    assert link, mail.text
    joining = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        newcomer = joining.new_page()
        newcomer.goto(link.group(0))
        expect(newcomer.get_by_role("heading", name="Join the team")).to_be_visible()
        newcomer.get_by_label("Your name").fill("Nia Newcomer")
        newcomer.get_by_label("New password").fill("newcomer pass 1")
        newcomer.get_by_role("button", name="Continue").click()
        newcomer.goto(f"{live_server.base_url}/team")
        expect(newcomer.get_by_role("cell", name=re.compile("Nia Newcomer"))).to_be_visible()
    finally:
        joining.close()


def test_a_sign_in_link_from_the_mail_sink_signs_in(
    live_server: LiveServer, mail_sink: MailSink, page: Page
) -> None:
    live_server.cli(
        "users", "create", "--account", live_server.account_id, "--email", "linky@shop.test",
        "--role", "member",
    )  # fmt: skip
    page.goto(f"{live_server.base_url}/signin")
    page.get_by_role("link", name="Email me a sign-in link").click()
    page.get_by_label("Email").fill("linky@shop.test")
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("status")).to_contain_text("linky@shop.test")
    mail = mail_sink.wait_for_mail(lambda m: "linky@shop.test" in m.recipients)
    link = re.search(r"http://\S+/auth/sign-in/\S+", mail.text)
    assert link, mail.text
    page.goto(link.group(0))
    page.get_by_role("button", name="Continue and sign in").click()
    page.goto(f"{live_server.base_url}/team")
    expect(page.get_by_role("heading", name="Team")).to_be_visible()


def test_the_sign_in_page_works_on_a_phone(live_server: LiveServer, phone_page: Page) -> None:
    phone_page.goto(f"{live_server.base_url}/signin")
    expect(phone_page.get_by_role("button", name="Sign in")).to_be_visible()
    axe_check(phone_page)
    screenshot(phone_page, "signin/phone")
