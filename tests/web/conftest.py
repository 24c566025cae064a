"""Dashboard tests: browsers are TestClients with their own cookies, signed in through
the real sign-in form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewMember
from dispatch.core.db import Database
from dispatch.email.models import OutboundEmail
from dispatch.signin import passwords
from tests.conftest import Api

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Person:
    id: str
    email: str
    password: str
    account_id: str


def add_member(
    database: Database,
    account_id: str,
    email: str,
    *,
    role: str = "owner",
    password: str | None = PASSWORD,
    brand_ids: list[str] | None = None,
) -> Person:
    with database.session() as s:
        member = accounts.add_member(
            s,
            account_id,
            NewMember(
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                all_brands=brand_ids is None,
                brand_ids=brand_ids,
            ),
        )
        member.password_hash = passwords.hash_password(password) if password else None
        s.commit()
        return Person(member.id, member.email, password or "", account_id)


class Browser:
    """One browser: its own cookie jar, signed in or not."""

    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        self.client = TestClient(
            app, base_url=base_url, raise_server_exceptions=False, follow_redirects=False
        )
        self.csrf = ""

    def get(self, path: str, **kw: Any) -> Any:
        response = self.client.get(path, **kw)
        if response.status_code == 200 and "csrf_token" in response.text:
            self.csrf = csrf_of(response.text)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST a form with the page's CSRF token (unless data says otherwise)."""
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        self.get("/signin")
        return self.post("/signin", {"email": email, "password": password})


@pytest.fixture
def owner(api: Api, database: Database) -> Person:
    return add_member(database, api.account_id, "owner@acme.test")


@pytest.fixture
def browsers(app: Any) -> Iterator[Any]:
    opened: list[Browser] = []

    def open_browser(base_url: str = "http://testserver") -> Browser:
        browser = Browser(app, base_url)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.client.close()


@pytest.fixture
def web(browsers: Any, owner: Person) -> Browser:
    """A browser signed in as the account's owner."""
    browser: Browser = browsers()
    assert browser.sign_in(owner.email).status_code == 303
    return browser


def sent_links(database: Database, to: str) -> list[str]:
    """The links in the team emails queued for `to`, oldest first."""
    with database.session() as s:
        emails = s.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.to_address == to, OutboundEmail.kind.like("team_%"))
            .order_by(OutboundEmail.created_at)
        ).all()
        return [
            m.group(0) for e in emails for m in [re.search(r"http\S+/auth/\S+", e.text_body)] if m
        ]
