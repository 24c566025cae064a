"""The ticket page: header and fields, conversation, replies, history, conflicts, presence."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from dispatch.core.db import Database
from dispatch.email.models import OutboundEmail
from dispatch.settings import Settings
from tests.conftest import Api, make_status, make_ticket
from tests.email.outbound.helpers import generate
from tests.web.conftest import Browser, Person, add_member

Json = dict[str, Any]


def _url(brand: Json, ticket: Json, rest: str = "") -> str:
    return f"/brands/{brand['id']}/tickets/{ticket['id']}{rest}"


def _open(web: Browser, brand: Json, ticket: Json) -> str:
    page = web.get(_url(brand, ticket))
    assert page.status_code == 200, page.text
    return str(page.text)


def _ticket(api: Api, brand: Json, ticket: Json) -> Json:
    return api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")  # type: ignore[no-any-return]


def _status_options(html: str) -> list[tuple[str, str]]:
    select_ = re.search(r'<select id="status-select".*?</select>', html, re.S)
    assert select_ is not None
    return re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select_.group(0))


def _entries(html: str, kind: str) -> list[str]:
    return re.findall(rf'<article class="entry[^"]*" id="entry-\w+" data-kind="{kind}".*?</article>', html, re.S)


def test_the_page_shows_the_header_and_every_status_in_display_order(
    web: Browser, api: Api, brand: Json
) -> None:
    custom = make_status(api, brand, name="Waiting on Eng", key="waiting_eng", color="#8b5cf6")
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")
    order = [s["key"] for s in api.ok("get", f"/brands/{brand['id']}/statuses")]

    html = _open(web, brand, ticket)

    assert ticket["publicId"] in html
    assert "Cannot log in" in html
    options = _status_options(html)
    assert [key for key, _ in options] == order
    assert ("waiting_eng", "Waiting on Eng · custom") in options
    assert ("open", "Open · system") in options
    assert f'value="{custom["key"]}" data-color="#8b5cf6"' in html
    assert "jane@example.com" in html
    assert _entries(html, "description")
