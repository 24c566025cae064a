"""Spam in the dashboard: a brand's spam tickets with Restore and the inbox's bulk
actions (Restore among them); the blocked senders, added and removed by hand; bad input
by its field; another brand's or account's ids are not found."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api, make_ticket
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]
HTMX = {"HX-Request": "true", "HX-Target": "inbox-results"}


def spam_of(brand: Json, tail: str = "") -> str:
    return f"/brands/{brand['id']}/spam{tail}"


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-ticket-id="([^"]+)"', page)


def blocked_on(page: str) -> list[str]:
    return re.findall(r'data-blocked-email="([^"]+)"', page)


def blocked_ids(page: str) -> list[str]:
    return re.findall(r'action="/brands/[^/]+/spam/blocked/([^/]+)/remove"', page)


def spam_ticket(api: Api, brand: Json, email: str) -> Json:
    ticket = make_ticket(api, brand, customerEmail=email)
    api.ok("post", f"/brands/{brand['id']}/tickets/{ticket['id']}/spam", json={"isSpam": True})
    return ticket


def is_spam(api: Api, brand: Json, ticket: Json) -> bool:
    return api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["isSpam"]  # type: ignore[no-any-return]


@pytest.fixture
def spam(api: Api, brand: Json) -> list[Json]:
    return [spam_ticket(api, brand, "bot@spam.test"), spam_ticket(api, brand, "pill@spam.test")]


def test_the_page_lists_spam_tickets_and_blocked_senders(
    web: Browser, api: Api, brand: Json, spam: list[Json]
) -> None:
    make_ticket(api, brand, title="A real question")
    page = web.get(spam_of(brand))
    assert page.status_code == 200
    assert set(rows(page.text)) == {t["id"] for t in spam}
    assert sorted(blocked_on(page.text)) == ["bot@spam.test", "pill@spam.test"]
    assert 'value="notSpam"' in page.text
    assert 'value="spam"' not in page.text


def test_restoring_a_ticket_unblocks_its_sender(
    web: Browser, api: Api, brand: Json, spam: list[Json]
) -> None:
    web.get(spam_of(brand))
    done = web.post(spam_of(brand, f"/{spam[0]['id']}/restore"))
    assert done.status_code == 303
    assert is_spam(api, brand, spam[0]) is False
    page = web.get(done.headers["location"])
    assert f"Restored {spam[0]['publicId']}" in page.text
    assert rows(page.text) == [spam[1]["id"]]
    assert blocked_on(page.text) == ["pill@spam.test"]


def test_bulk_restore_and_other_bulk_actions(
    web: Browser, api: Api, brand: Json, spam: list[Json]
) -> None:
    web.get(spam_of(brand))
    chosen = [f"{brand['id']}:{t['id']}" for t in spam]
    tagged = web.post(
        spam_of(brand, "/bulk"), {"action": "addTags", "tags": "junk", "ticket_ids": chosen},
        headers=HTMX,
    )  # fmt: skip
    assert tagged.status_code == 200
    assert "2 updated" in tagged.text
    assert 'id="inbox-results"' in tagged.text
    assert "<html" not in tagged.text
    restored = web.post(spam_of(brand, "/bulk"), {"action": "notSpam", "ticket_ids": chosen})
    assert restored.status_code == 200
    assert "2 updated" in restored.text
    assert all(not is_spam(api, brand, t) for t in spam)
    assert rows(restored.text) == []


def test_blocking_and_unblocking_by_hand(web: Browser, api: Api, brand: Json) -> None:
    web.get(spam_of(brand))
    done = web.post(spam_of(brand, "/blocked"), {"email": " Spammer@Example.TEST "})
    assert done.status_code == 303
    page = web.get(done.headers["location"])
    assert blocked_on(page.text) == ["spammer@example.test"]
    # Their new tickets arrive as spam.
    ticket = make_ticket(api, brand, customerEmail="spammer@example.test")
    assert is_spam(api, brand, ticket) is True
    removed = web.post(spam_of(brand, f"/blocked/{blocked_ids(page.text)[0]}/remove"))
    assert removed.status_code == 303
    assert blocked_on(web.get(spam_of(brand)).text) == []
    again = make_ticket(api, brand, customerEmail="spammer@example.test")
    assert is_spam(api, brand, again) is False


@pytest.mark.parametrize(("email", "status"), [("not an address", 422), ("bot@spam.test", 409)])
def test_a_bad_or_blocked_address_is_shown_by_its_field(
    web: Browser, brand: Json, spam: list[Json], email: str, status: int
) -> None:
    web.get(spam_of(brand))
    refused = web.post(spam_of(brand, "/blocked"), {"email": email})
    assert refused.status_code == status
    assert 'id="block-email-error"' in refused.text
    assert sorted(blocked_on(refused.text)) == ["bot@spam.test", "pill@spam.test"]


def test_members_of_the_brand_work_the_spam_list(
    browsers: Any, api: Api, brand: Json, database: Database, spam: list[Json]
) -> None:
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    browser.sign_in(person.email)
    assert browser.get(spam_of(brand)).status_code == 200
    assert browser.post(spam_of(brand, f"/{spam[0]['id']}/restore")).status_code == 303
    assert is_spam(api, brand, spam[0]) is False


def test_ids_of_other_brands_and_accounts_are_not_found(
    web: Browser, api: Api, brand: Json, other_api: Api, other_brand: Json, spam: list[Json]
) -> None:
    theirs = spam_ticket(other_api, other_brand, "x@spam.test")
    web.get(spam_of(brand))
    assert web.get(spam_of(other_brand)).status_code == 404
    assert web.post(spam_of(brand, f"/{theirs['id']}/restore")).status_code == 404
    assert web.post(spam_of(other_brand, f"/{theirs['id']}/restore")).status_code == 404
    assert web.post(spam_of(other_brand, "/blocked"), {"email": "a@b.test"}).status_code == 404
    page = web.get(spam_of(brand))
    # Our block's id under their brand, and theirs under ours.
    ours = blocked_ids(page.text)[0]
    assert web.post(spam_of(other_brand, f"/blocked/{ours}/remove")).status_code == 404
    assert is_spam(other_api, other_brand, theirs) is True
    assert len(blocked_on(web.get(spam_of(brand)).text)) == 2
