"""The inbox: status pills and filters in the URL, cursor pages, All inboxes across brands,
bulk actions through the bulk service, saved views, bounded queries."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event

from dispatch.core.db import Database
from tests.conftest import Api, make_status, make_ticket
from tests.web.conftest import Browser, Person, add_member

ROW = re.compile(r'<tr data-ticket-id="([^"]+)"')


def rows(page: Any) -> list[str]:
    assert page.status_code == 200, page.text[:500]
    return ROW.findall(page.text)


def pill_count(page: Any, key: str) -> int:
    found = re.search(rf'data-filter="status:{re.escape(key)}" data-count="(\d+)"', page.text)
    assert found, f"no pill for {key}"
    return int(found.group(1))


def link(page: Any, selector: str) -> str | None:
    """The href of the element carrying `selector` (an attribute, e.g. data-pager="next")."""
    found = re.search(rf'href="([^"]*)"[^>]*{re.escape(selector)}', page.text)
    return html.unescape(found.group(1)) if found else None


def status_of(api: Api, brand: dict[str, Any], ticket: dict[str, Any]) -> str:
    return str(api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["status"])


@pytest.fixture
def board(api: Api, brand: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One ticket in each system status and one in a custom status."""
    make_status(api, brand)
    return {
        key: make_ticket(api, brand, title=f"{key} ticket", status=key)
        for key in ("open", "pending", "in_progress", "resolved", "closed")
    }


def test_the_default_view_shows_active_tickets_and_hides_resolved_and_closed(
    web: Browser, brand: dict[str, Any], board: dict[str, dict[str, Any]]
) -> None:
    page = web.get(f"/brands/{brand['id']}/inbox")
    shown = rows(page)
    assert sorted(shown) == sorted(board[k]["id"] for k in ("open", "pending", "in_progress"))
    assert board["open"]["publicId"] in page.text
    assert 'data-filter="status:active"' in page.text


def test_the_resolved_pill_lists_only_resolved_tickets(
    web: Browser, brand: dict[str, Any], board: dict[str, dict[str, Any]]
) -> None:
    page = web.get(f"/brands/{brand['id']}/inbox")
    resolved = web.get(link(page, 'data-filter="status:resolved"') or "")
    assert rows(resolved) == [board["resolved"]["id"]]
    inactive = web.get(f"/brands/{brand['id']}/inbox?status=inactive")
    assert sorted(rows(inactive)) == sorted([board["resolved"]["id"], board["closed"]["id"]])
    assert len(rows(web.get(f"/brands/{brand['id']}/inbox?status=all"))) == 5


def test_the_pill_counts_are_the_apis_status_stats(
    web: Browser, api: Api, brand: dict[str, Any], board: dict[str, dict[str, Any]]
) -> None:
    make_ticket(api, brand, title="another open one")
    stats = api.ok("get", f"/brands/{brand['id']}/statuses/stats")
    page = web.get(f"/brands/{brand['id']}/inbox")
    for s in stats:
        assert pill_count(page, s["key"]) == s["ticketCount"], s["key"]
    assert pill_count(page, "active") == sum(s["ticketCount"] for s in stats if s["isActive"])
    assert pill_count(page, "all") == sum(s["ticketCount"] for s in stats)
    # The statuses in display order: the custom one sits between pending and resolved.
    order = re.findall(r'data-filter="status:([a-z_]+)"', page.text)
    assert order == ["active", *(s["key"] for s in stats), "inactive", "all"]


def test_mine_and_unassigned(web: Browser, api: Api, brand: dict[str, Any], owner: Person) -> None:
    mine = make_ticket(api, brand, assigneeEmail=owner.email)
    make_ticket(api, brand, assigneeEmail="someone@else.test")
    loose = make_ticket(api, brand)
    base = f"/brands/{brand['id']}/inbox"
    assert rows(web.get(f"{base}?view=mine")) == [mine["id"]]
    assert rows(web.get(f"{base}?view=unassigned")) == [loose["id"]]
    assert rows(web.get(f"{base}?assignee=someone@else.test")) != [mine["id"]]


def test_search_uses_the_apis_full_text_search(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    refund = make_ticket(api, brand, title="Refund for order 1042")
    make_ticket(api, brand, title="Password reset")
    page = web.get(f"/brands/{brand['id']}/inbox?q=refu")
    assert rows(page) == [refund["id"]]
    assert 'value="refu"' in page.text  # the search box keeps the words


def test_the_company_filter_lists_the_tickets_of_its_contacts(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    b = brand["id"]
    acme = api.ok(
        "post", f"/brands/{b}/companies", 201, json={"name": "Acme", "domain": "acme.test"}
    )
    ann = api.ok("post", f"/brands/{b}/contacts", 201, json={"email": "ann@acme.test"})
    api.ok("patch", f"/brands/{b}/contacts/{ann['id']}", json={"companyId": acme["id"]})
    theirs = make_ticket(api, brand, customerEmail="ann@acme.test")
    make_ticket(api, brand, customerEmail="bob@elsewhere.test")

    page = web.get(f"/brands/{b}/inbox?company={acme['id']}")

    assert rows(page) == [theirs["id"]]
    assert f'<option value="{acme["id"]}" selected>Acme</option>' in page.text


def test_sorting_by_a_column_header(web: Browser, api: Api, brand: dict[str, Any]) -> None:
    made = [make_ticket(api, brand, title=t) for t in ("Bravo", "Alpha", "Charlie")]
    by_title = sorted(made, key=lambda t: t["title"])
    page = web.get(f"/brands/{brand['id']}/inbox")
    ascending = web.get(link(page, 'data-sort="title"') or "")
    assert rows(ascending) == [t["id"] for t in by_title]
    assert re.search(r'aria-sort="ascending"><a[^>]*data-sort="title"', ascending.text)
    descending = web.get(link(ascending, 'data-sort="title"') or "")
    assert rows(descending) == [t["id"] for t in reversed(by_title)]


def test_paging_across_three_pages_returns_every_ticket_exactly_once(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    made = {make_ticket(api, brand, title=f"Ticket {n}")["id"] for n in range(55)}
    seen: list[str] = []
    url: str | None = f"/brands/{brand['id']}/inbox?sort=title&order=asc"
    pages = 0
    while url:
        page = web.get(url)
        seen += rows(page)
        pages += 1
        url = link(page, 'data-pager="next"')
    assert pages == 3
    assert len(seen) == len(set(seen)) == 55
    assert set(seen) == made


def test_htmx_gets_only_the_results(web: Browser, brand: dict[str, Any]) -> None:
    page = web.get(
        f"/brands/{brand['id']}/inbox?status=all",
        headers={"HX-Request": "true", "HX-Target": "inbox-results"},
    )
    assert page.status_code == 200
    assert page.text.lstrip().startswith('<div id="inbox-results"')
    assert "<html" not in page.text


def test_all_inboxes_show_every_reachable_brand_and_nothing_else(
    browsers: Any,
    web: Browser,
    api: Api,
    other_api: Api,
    database: Database,
    brand: dict[str, Any],
    other_brand: dict[str, Any],
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Acme Wholesale"})
    here = make_ticket(api, brand, title="Retail question")
    there = make_ticket(api, second, title="Wholesale question")
    stranger = make_ticket(other_api, other_brand, title="Globex question")
    page = web.get("/inbox")
    assert sorted(rows(page)) == sorted([here["id"], there["id"]])
    assert "Acme Wholesale" in page.text
    assert pill_count(page, "open") == 2

    add_member(database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]])
    agent: Browser = browsers()
    agent.sign_in("agent@acme.test")
    assert rows(agent.get("/inbox")) == [here["id"]]
    assert stranger["id"] not in agent.get("/inbox?status=all").text


def test_a_member_limited_to_one_brand_gets_404_elsewhere(
    browsers: Any,
    api: Api,
    database: Database,
    brand: dict[str, Any],
    other_brand: dict[str, Any],
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Acme Wholesale"})
    add_member(database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]])
    agent: Browser = browsers()
    agent.sign_in("agent@acme.test")
    assert agent.get(f"/brands/{brand['id']}/inbox").status_code == 200
    assert agent.get(f"/brands/{second['id']}/inbox").status_code == 404
    assert agent.get(f"/brands/{other_brand['id']}/inbox").status_code == 404


def test_a_bulk_status_change_goes_through_the_bulk_service(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    one, two = make_ticket(api, brand), make_ticket(api, brand)
    web.get(f"/brands/{brand['id']}/inbox")
    done = web.post(
        f"/brands/{brand['id']}/inbox/bulk",
        {
            "action": "setStatus",
            "status": "pending",
            "ticket_ids": [f"{brand['id']}:{one['id']}", f"{brand['id']}:{two['id']}"],
        },
    )
    assert done.status_code == 200
    assert "2 updated" in done.text
    assert status_of(api, brand, one) == status_of(api, brand, two) == "pending"
    logs = api.ok("get", f"/brands/{brand['id']}/tickets/{one['id']}/logs")
    assert any(entry.get("source") == "dashboard" for entry in logs)


def test_a_bulk_change_with_an_unknown_status_is_refused_and_changes_nothing(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand)
    web.get(f"/brands/{brand['id']}/inbox")
    refused = web.post(
        f"/brands/{brand['id']}/inbox/bulk",
        {"action": "setStatus", "status": "nope", "ticket_ids": f"{brand['id']}:{ticket['id']}"},
    )
    assert "0 updated, 1 failed" in refused.text
    assert "Unknown status" in html.unescape(refused.text)
    assert status_of(api, brand, ticket) == "open"


def test_bulk_in_all_inboxes_applies_brand_by_brand(
    web: Browser, api: Api, brand: dict[str, Any], other_brand: dict[str, Any]
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Acme Wholesale"})
    here, there = make_ticket(api, brand), make_ticket(api, second)
    web.get("/inbox")
    done = web.post(
        "/inbox/bulk",
        {
            "action": "addTags",
            "tags": "vip, urgent",
            "ticket_ids": [f"{brand['id']}:{here['id']}", f"{second['id']}:{there['id']}"],
        },
    )
    assert "2 updated" in done.text
    tagged = api.ok("get", f"/brands/{second['id']}/tickets/{there['id']}")
    assert sorted(t["name"] for t in tagged["tags"]) == ["urgent", "vip"]
    # A brand of another account is not the member's: 404, nothing changes.
    foreign = web.post(
        "/inbox/bulk", {"action": "resolve", "ticket_ids": f"{other_brand['id']}:tkt_x"}
    )
    assert foreign.status_code == 404


def test_saved_views_personal_and_shared(
    browsers: Any, web: Browser, api: Api, database: Database, brand: dict[str, Any]
) -> None:
    base = f"/brands/{brand['id']}/inbox"
    web.get(base)
    made = web.post(f"{base}/views", {"name": "My urgent", "query": "priority=urgent&cursor=x"})
    assert made.status_code == 303
    assert made.headers["location"] == f"{base}?priority=urgent"
    web.post(f"{base}/views", {"name": "Team pending", "query": "status=pending", "shared": "1"})
    page = web.get(base)
    assert "My urgent" in page.text
    assert "Team pending" in page.text
    assert f'href="{base}?priority=urgent"' in page.text

    add_member(database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]])
    agent: Browser = browsers()
    agent.sign_in("agent@acme.test")
    seen = agent.get(base).text
    assert "Team pending" in seen
    assert "My urgent" not in seen
    # Views belong to their inbox: All inboxes has none of the brand's.
    assert "Team pending" not in agent.get("/inbox").text


def test_a_saved_view_name_is_unique_among_those_one_sees(
    web: Browser, brand: dict[str, Any]
) -> None:
    base = f"/brands/{brand['id']}/inbox"
    web.get(base)
    web.post(f"{base}/views", {"name": "Mine", "query": "view=mine"})
    again = web.post(f"{base}/views", {"name": "mine", "query": "view=mine"})
    assert again.status_code == 409


@contextmanager
def counting(connection: Connection) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_the_number_of_statements_does_not_grow_with_the_rows(
    web: Browser, api: Api, brand: dict[str, Any], connection: Connection
) -> None:
    api.ok("post", f"/brands/{brand['id']}/categories", 201, json={"name": "Billing"})

    def add(n: int) -> None:
        for i in range(n):
            make_ticket(
                api, brand, title=f"T{i}", tags=[f"tag{i}"], customerEmail=f"c{i}@x.test",
                assigneeEmail="owner@acme.test", categoryKey="billing",
            )  # fmt: skip

    def statements() -> int:
        with counting(connection) as seen:
            assert web.get(f"/brands/{brand['id']}/inbox").status_code == 200
        return len(seen)

    add(10)
    few = statements()
    add(30)
    many = statements()
    assert few == many, (few, many)
    assert many <= 20, many


def test_a_bulk_post_without_the_csrf_token_is_refused(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    ticket = make_ticket(api, brand)
    web.get(f"/brands/{brand['id']}/inbox")
    refused = web.client.post(
        f"/brands/{brand['id']}/inbox/bulk",
        data={"action": "resolve", "ticket_ids": f"{brand['id']}:{ticket['id']}"},
    )
    assert refused.status_code == 403
    assert status_of(api, brand, ticket) == "open"


def test_merge_asks_for_the_target_then_merges_into_it(
    web: Browser, api: Api, brand: dict[str, Any]
) -> None:
    keep, fold = make_ticket(api, brand, title="Keep me"), make_ticket(api, brand, title="Fold")
    base = f"/brands/{brand['id']}/inbox"
    web.get(base)
    selection = [f"{brand['id']}:{keep['id']}", f"{brand['id']}:{fold['id']}"]
    choice = web.post(f"{base}/bulk", {"action": "merge", "ticket_ids": selection})
    assert choice.status_code == 200
    assert 'name="target"' in choice.text
    in_place = web.post(
        f"{base}/bulk",
        {"action": "merge", "ticket_ids": selection},
        headers={"HX-Request": "true", "HX-Target": "inbox-results"},
    )
    assert in_place.text.lstrip().startswith('<div id="inbox-results"')
    merged = web.post(
        f"{base}/bulk",
        {"action": "merge", "ticket_ids": selection, "target": f"{brand['id']}:{keep['id']}"},
    )
    assert f"1 merged into {keep['publicId']}" in merged.text
    assert rows(merged) == [keep["id"]]
    folded = api.ok("get", f"/brands/{brand['id']}/tickets/{fold['id']}")
    assert folded["mergedIntoId"] == keep["id"]


def test_a_member_deletes_their_view_but_not_a_colleagues_shared_one(
    browsers: Any, web: Browser, api: Api, database: Database, brand: dict[str, Any]
) -> None:
    base = f"/brands/{brand['id']}/inbox"
    web.get(base)
    web.post(f"{base}/views", {"name": "Team pending", "query": "status=pending", "shared": "1"})
    view_id = re.search(r'data-view-id="([^"]+)"', web.get(base).text)
    assert view_id
    add_member(database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]])
    agent: Browser = browsers()
    agent.sign_in("agent@acme.test")
    page = agent.get(base)
    assert f"/inbox/views/{view_id.group(1)}/delete" not in page.text
    assert agent.post(f"/inbox/views/{view_id.group(1)}/delete").status_code == 403
    assert web.post(f"/inbox/views/{view_id.group(1)}/delete", {"back": base}).status_code == 303
    assert "Team pending" not in web.get(base).text
