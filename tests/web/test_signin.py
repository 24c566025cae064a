"""Signing in and out of the dashboard: password, emailed links, throttling, sessions,
CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.core.db import Database
from dispatch.signin.models import SignInFailure, WebSession
from tests.web.conftest import PASSWORD, Browser, Person, add_member, sent_links


def test_the_root_sends_a_stranger_to_sign_in(browsers: Any) -> None:
    browser: Browser = browsers()
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"
    page = browser.get("/team")
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/team"


def test_signing_in_with_the_password_sets_a_protected_cookie(browsers: Any, owner: Person) -> None:
    browser: Browser = browsers()
    browser.get("/signin?next=/team")
    response = browser.post(
        "/signin", {"email": "Owner@Acme.test", "password": PASSWORD, "next": "/team"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/team"
    cookie = response.headers["set-cookie"]
    assert "dispatch_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; see the next test
    team = browser.get("/team")
    assert team.status_code == 200
    assert "owner@acme.test" in team.text


def test_the_cookie_is_secure_when_asked(browsers: Any, owner: Person, settings: Any) -> None:
    settings.cookie_secure = "always"
    browser: Browser = browsers()
    response = browser.sign_in(owner.email)
    assert "Secure" in response.headers["set-cookie"]


def test_next_never_leaves_the_site(browsers: Any, owner: Person) -> None:
    browser: Browser = browsers()
    browser.get("/signin")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = browser.post(
            "/signin", {"email": owner.email, "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == "/"


def test_a_wrong_password_is_refused_and_counted(
    browsers: Any, owner: Person, database: Database
) -> None:
    browser: Browser = browsers()
    browser.get("/signin")
    response = browser.post("/signin", {"email": owner.email, "password": "not the password"})
    assert response.status_code == 401
    assert "do not match" in response.text
    assert "dispatch_session" not in response.headers.get("set-cookie", "")
    unknown = browser.post("/signin", {"email": "nobody@acme.test", "password": "whatever it is"})
    assert unknown.status_code == 401
    assert "do not match" in unknown.text  # the same answer: addresses are not revealed
    with database.session() as s:
        failures = s.scalar(
            select(func.count()).select_from(SignInFailure).where(SignInFailure.scope == "email")
        )
    assert failures == 2


def test_too_many_failures_lock_the_address_even_for_the_right_password(
    browsers: Any, owner: Person, settings: Any
) -> None:
    settings.sign_in_failures_per_address = 3
    browser: Browser = browsers()
    browser.get("/signin")
    for _ in range(3):
        assert (
            browser.post("/signin", {"email": owner.email, "password": "guess guess"}).status_code
            == 401
        )
    locked = browser.post("/signin", {"email": owner.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


def test_too_many_failures_from_one_client_lock_it_for_every_address(
    browsers: Any, owner: Person, settings: Any
) -> None:
    settings.sign_in_failures_per_client = 2
    browser: Browser = browsers()
    browser.get("/signin")
    for n in range(2):
        browser.post("/signin", {"email": f"guess{n}@acme.test", "password": "guess guess"})
    assert browser.post("/signin", {"email": owner.email, "password": PASSWORD}).status_code == 429


def test_the_failure_window_moves_on(
    browsers: Any, owner: Person, settings: Any, frozen_clock: Any
) -> None:
    settings.sign_in_failures_per_address = 1
    browser: Browser = browsers()
    browser.get("/signin")
    browser.post("/signin", {"email": owner.email, "password": "guess guess"})
    assert browser.post("/signin", {"email": owner.email, "password": PASSWORD}).status_code == 429
    frozen_clock.advance(
        seconds=timedelta(minutes=settings.sign_in_window_minutes + 1).total_seconds()
    )
    assert browser.post("/signin", {"email": owner.email, "password": PASSWORD}).status_code == 303


def test_a_deactivated_member_cannot_sign_in(
    browsers: Any, owner: Person, database: Database
) -> None:
    from dispatch.accounts.models import Member
    from dispatch.core import clock

    with database.session() as s:
        s.get(Member, owner.id).deactivated_at = clock.now()  # type: ignore[union-attr]
        s.commit()
    assert browsers().sign_in(owner.email).status_code == 401


def test_sign_in_forms_need_their_csrf_token(browsers: Any, owner: Person) -> None:
    browser: Browser = browsers()
    browser.get("/signin")
    response = browser.post(
        "/signin", {"email": owner.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    stranger: Browser = browsers()  # no form cookie at all
    assert (
        stranger.client.post(
            "/signin", data={"email": owner.email, "password": PASSWORD, "csrf_token": "x"}
        ).status_code
        == 403
    )


def test_signed_in_forms_need_the_sessions_csrf_token(web: Browser, database: Database) -> None:
    web.get("/team")
    forged = web.post("/team/invite", {"email": "new@acme.test", "csrf_token": "forged"})
    assert forged.status_code == 403
    missing = web.client.post("/team/invite", data={"email": "new@acme.test"})
    assert missing.status_code == 403
    by_header = web.client.post(
        "/team/invite", data={"email": "new@acme.test"}, headers={"X-CSRF-Token": web.csrf}
    )
    assert by_header.status_code == 200
    assert sent_links(database, "new@acme.test")


def test_an_emailed_link_signs_in_once(browsers: Any, owner: Person, database: Database) -> None:
    browser: Browser = browsers()
    browser.get("/signin/link")
    answer = browser.post("/signin/link", {"email": owner.email})
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    [link] = sent_links(database, owner.email)
    path = link.split("://", 1)[1].split("/", 1)[1]
    landing = browser.get("/" + path)  # opening the link (or a mail scanner) spends nothing
    assert landing.status_code == 200
    signed_in = browser.post("/" + path)
    assert signed_in.status_code == 303
    assert browser.get("/team").status_code == 200
    again: Browser = browsers()
    again.get("/" + path)
    assert again.post("/" + path).status_code == 400


def test_a_link_for_an_unknown_address_answers_the_same_and_sends_nothing(
    browsers: Any, database: Database
) -> None:
    browser: Browser = browsers()
    browser.get("/signin/link")
    answer = browser.post("/signin/link", {"email": "nobody@acme.test"})
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    assert sent_links(database, "nobody@acme.test") == []


def test_an_expired_link_does_not_sign_in(
    browsers: Any, owner: Person, database: Database, settings: Any, frozen_clock: Any
) -> None:
    browser: Browser = browsers()
    browser.get("/signin/link")
    browser.post("/signin/link", {"email": owner.email})
    [link] = sent_links(database, owner.email)
    frozen_clock.advance(
        seconds=timedelta(minutes=settings.sign_in_link_minutes + 1).total_seconds()
    )
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    browser.get(path)
    assert browser.post(path).status_code == 400


def test_resetting_the_password_ends_every_other_session(
    browsers: Any, owner: Person, database: Database
) -> None:
    elsewhere: Browser = browsers()
    elsewhere.sign_in(owner.email)
    assert elsewhere.get("/team").status_code == 200
    browser: Browser = browsers()
    browser.get("/password/forgot")
    browser.post("/password/forgot", {"email": owner.email, "purpose": "reset"})
    [link] = sent_links(database, owner.email)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form = browser.get(path)
    assert form.status_code == 200
    assert owner.email in form.text
    too_short = browser.post(path, {"password": "short"})
    assert too_short.status_code == 422
    done = browser.post(path, {"password": "a brand new secret"})
    assert done.status_code == 303
    assert elsewhere.get("/team").status_code == 303  # signed out
    assert browsers().sign_in(owner.email, PASSWORD).status_code == 401
    assert browsers().sign_in(owner.email, "a brand new secret").status_code == 303


def test_sessions_end_when_idle(frozen_clock: Any, web: Browser, settings: Any) -> None:
    frozen_clock.advance(
        seconds=timedelta(minutes=settings.session_idle_minutes - 5).total_seconds()
    )
    assert web.get("/team").status_code == 200  # moves the idle clock
    frozen_clock.advance(
        seconds=timedelta(minutes=settings.session_idle_minutes - 5).total_seconds()
    )
    assert web.get("/team").status_code == 200
    frozen_clock.advance(
        seconds=timedelta(minutes=settings.session_idle_minutes + 1).total_seconds()
    )
    assert web.get("/team").status_code == 303


def test_sessions_end_at_their_absolute_limit_however_busy(
    frozen_clock: Any, web: Browser, settings: Any
) -> None:
    step = timedelta(minutes=settings.session_idle_minutes - 1)
    elapsed = timedelta()
    while elapsed + step < timedelta(days=settings.session_max_days):
        frozen_clock.advance(seconds=step.total_seconds())
        elapsed += step
        assert web.get("/team").status_code == 200
    frozen_clock.advance(seconds=step.total_seconds())
    assert web.get("/team").status_code == 303


def test_signing_out_ends_the_session(web: Browser, database: Database) -> None:
    web.get("/team")
    response = web.post("/signout")
    assert response.status_code == 303
    assert web.get("/team").status_code == 303
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_signing_out_everywhere_else_keeps_this_browser(browsers: Any, owner: Person) -> None:
    first: Browser = browsers()
    first.sign_in(owner.email)
    second: Browser = browsers()
    second.sign_in(owner.email)
    second.get("/account/security")
    assert second.post("/account/signout-others").status_code == 303
    assert second.get("/team").status_code == 200
    assert first.get("/team").status_code == 303


def test_changing_the_password_asks_for_the_current_one(browsers: Any, owner: Person) -> None:
    other: Browser = browsers()
    other.sign_in(owner.email)
    browser: Browser = browsers()
    browser.sign_in(owner.email)
    browser.get("/account/security")
    wrong = browser.post(
        "/account/password", {"current_password": "nope nope", "new_password": "another long one"}
    )
    assert wrong.status_code == 422
    ok = browser.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "another long one"}
    )
    assert ok.status_code == 200
    assert browser.get("/team").status_code == 200
    assert other.get("/team").status_code == 303


def test_an_invited_member_chooses_a_password_and_sees_only_their_brands(
    web: Browser, browsers: Any, api: Any, database: Database
) -> None:
    mine = api.ok("post", "/brands", 201, json={"name": "Mine"})
    api.ok("post", "/brands", 201, json={"name": "Not mine"})
    web.get("/team")
    invited = web.post(
        "/team/invite",
        {"email": "agent@acme.test", "role": "member", "access": "some", "brand_ids": [mine["id"]]},
    )
    assert invited.status_code == 200
    assert "Invitation sent to agent@acme.test" in invited.text
    [link] = sent_links(database, "agent@acme.test")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    agent: Browser = browsers()
    agent.get(path)
    assert (
        agent.post(path, {"name": "Alex Agent", "password": "agents secret 1"}).status_code == 303
    )
    team = agent.get("/team")
    assert team.status_code == 200
    assert "Mine" in team.text
    assert "Not mine" not in team.text
    assert "Invite a member" not in team.text  # members do not invite


def test_a_member_cannot_invite(browsers: Any, api: Any, database: Database) -> None:
    add_member(database, api.account_id, "member@acme.test", role="member")
    browser: Browser = browsers()
    browser.sign_in("member@acme.test")
    browser.get("/team")
    refused = browser.post("/team/invite", {"email": "x@acme.test"})
    assert refused.status_code == 403
    assert sent_links(database, "x@acme.test") == []


@pytest.mark.parametrize("purpose", ["reset", "invite", "setup", "sign-in"])
def test_a_made_up_link_is_refused(browsers: Any, purpose: str) -> None:
    browser: Browser = browsers()
    browser.get("/signin")
    page = browser.client.get(f"/auth/{purpose}/made-up-token")
    assert page.status_code in (200, 400)
    assert (
        browser.post(f"/auth/{purpose}/made-up-token", {"password": "long enough pw"}).status_code
        == 400
    )


def test_purging_forgets_ended_sessions_and_old_failures(
    frozen_clock: Any, browsers: Any, owner: Person, database: Database, settings: Any
) -> None:
    from dispatch.signin import service as signin

    idle: Browser = browsers()
    idle.sign_in(owner.email)
    idle.get("/signin")
    idle.post("/signin", {"email": owner.email, "password": "wrong wrong"})
    frozen_clock.advance(seconds=(settings.session_idle_minutes - 1) * 60)
    busy: Browser = browsers()
    busy.sign_in(owner.email)
    frozen_clock.advance(seconds=2 * 60)
    with database.session() as s:
        assert signin.purge(s, settings) == 1  # the idle one; the busy one stays
        s.commit()
        assert s.scalar(select(func.count()).select_from(WebSession)) == 1
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 0
    assert busy.get("/team").status_code == 200


def test_an_invitation_with_a_bad_address_is_refused_by_its_field(web: Browser) -> None:
    web.get("/team")
    refused = web.post("/team/invite", {"email": "not an address"})
    assert refused.status_code == 422
    assert "Check the highlighted fields" in refused.text
