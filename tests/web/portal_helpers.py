"""What the hosted portal's tests share: a customer's browser signed in the way a person
signs in (the email form, the link from the queued email, the button)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from dispatch.core.db import Database
from dispatch.email.models import OutboundEmail
from tests.web.conftest import Browser

Json = dict[str, Any]
_LINK = re.compile(r"https?://\S+/support/[a-z0-9-]+/signin\?token=([\w-]+)")


def portal_url(brand: Json, tail: str = "") -> str:
    return f"/support/{brand['slug']}{tail}"


def sent_tokens(database: Database, to: str) -> list[str]:
    """The tokens of the portal links queued for `to`, oldest first."""
    with database.session() as s:
        emails = s.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.to_address == to, OutboundEmail.kind == "portal_link")
            .order_by(OutboundEmail.created_at)
        ).all()
        return [m.group(1) for e in emails for m in [_LINK.search(e.text_body)] if m]


def ask_for_link(browser: Browser, brand: Json, email: str) -> Any:
    browser.get(portal_url(brand, "/signin"))
    return browser.post(portal_url(brand, "/signin/link"), {"email": email})


def redeem(browser: Browser, brand: Json, token: str) -> Any:
    landing = browser.get(portal_url(brand, f"/signin?token={token}"))
    assert landing.status_code == 200, landing.text
    return browser.post(portal_url(brand, "/signin"), {"token": token})


def sign_in_customer(browser: Browser, database: Database, brand: Json, email: str) -> Browser:
    assert ask_for_link(browser, brand, email).status_code == 200
    token = sent_tokens(database, email)[-1]
    signed_in = redeem(browser, brand, token)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == portal_url(brand, "/tickets")
    return browser
