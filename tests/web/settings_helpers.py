"""What the brand settings screens' tests share: their URLs and a signed-in member who may
see a brand's settings but not change them."""

from __future__ import annotations

from typing import Any

from dispatch.core.db import Database
from tests.conftest import Api
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]
READ_ONLY = "you can see them here"
REFUSED = "Only an owner or admin can"


def settings_url(brand: Json, screen: str, tail: str = "") -> str:
    return f"/brands/{brand['id']}/settings/{screen}{tail}"


def signed_in_member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    """A member (no settings rights) with access to `brand`, signed in."""
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    return browser
