"""Activity in the dashboard: a brand's log newest first, filtered by who, event, entity
and date range, in cursor pages; the filtered log as CSV, every page; bad dates by
their field; another brand's or account's log is not found."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest

from dispatch.core import clock
from dispatch.web.dashboard import activity
from tests.conftest import Api, make_ticket
from tests.web.conftest import Browser

Json = dict[str, Any]


def log_of(brand: Json, query: str = "", csv_export: bool = False) -> str:
    return f"/brands/{brand['id']}/activity{'.csv' if csv_export else ''}" + (
        f"?{query}" if query else ""
    )


def events(page: str) -> list[str]:
    return re.findall(r'<tr data-log-id="[^"]+" data-event="([^"]+)"', page)


def next_link(page: str) -> str | None:
    found = re.search(r'rel="next" href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def history(web: Browser, api: Api, brand: Json) -> list[Json]:
    """Two tickets by the API, one of them changed; a sender blocked in the dashboard."""
    first = make_ticket(api, brand, title="=SUM(A1:A2)")
    second = make_ticket(api, brand, title="Second")
    api.ok("patch", f"/brands/{brand['id']}/tickets/{first['id']}", json={"priority": "high"})
    web.get(f"/brands/{brand['id']}/spam")
    web.post(f"/brands/{brand['id']}/spam/blocked", {"email": "bot@spam.test"})
    return [first, second]


def test_the_log_lists_the_brands_entries_newest_first(
    web: Browser, brand: Json, history: list[Json]
) -> None:
    page = web.get(log_of(brand))
    assert page.status_code == 200
    assert events(page.text) == ["sender.blocked", "ticket.updated", "ticket.created",
                                 "ticket.created"]  # fmt: skip
    assert "<strong>priority</strong>: normal → high" in page.text
    assert f'href="/brands/{brand["id"]}/tickets/{history[0]["id"]}"' in page.text
    assert "bot@spam.test" in page.text


def test_entries_name_their_ticket_by_number_and_title(
    web: Browser, api: Api, brand: Json, history: list[Json]
) -> None:
    """Not by its internal id: `AS-12` linked to the ticket, and its title; a comment's
    entry names the ticket too; a deleted ticket's number stays, unlinked."""
    first, second = history
    tickets = f"/brands/{brand['id']}/tickets"
    api.ok("post", f"{tickets}/{first['id']}/comments", 201, json={"body": "Noted"})
    api.ok("delete", f"{tickets}/{second['id']}")
    page = web.get(log_of(brand)).text
    link = f'<a class="activity-ticket" href="{tickets}/{first["id"]}">{first["publicId"]}</a>'
    assert page.count(link) == 3  # created, updated, commented
    assert page.count('<span class="activity-title">=SUM(A1:A2)</span>') == 3
    assert f'<span class="activity-ticket">{second["publicId"]}</span>' in page
    assert f'href="{tickets}/{second["id"]}"' not in page
    assert '<span class="activity-title">Second</span>' in page


def test_entries_name_their_contact_or_company(web: Browser, api: Api, brand: Json) -> None:
    """Not by its internal id: a contact by name (or address, without one) linked to its
    page, a company likewise; a deleted one's name stays, unlinked."""
    base = f"/brands/{brand['id']}"
    named = api.ok("post", f"{base}/contacts", 201, json={"email": "ana@acme.test", "name": "Ana"})
    plain = api.ok("post", f"{base}/contacts", 201, json={"email": "bo@acme.test"})
    gone = api.ok("post", f"{base}/contacts", 201, json={"email": "cy@acme.test", "name": "Cy"})
    company = api.ok("post", f"{base}/companies", 201, json={"name": "Acme Ltd"})
    api.ok("delete", f"{base}/contacts/{gone['id']}")
    page = web.get(log_of(brand)).text
    assert f'<a class="activity-title" href="{base}/contacts/{named["id"]}">Ana</a>' in page
    assert f'href="{base}/contacts/{plain["id"]}">bo@acme.test</a>' in page
    assert f'href="{base}/companies/{company["id"]}">Acme Ltd</a>' in page
    assert (
        '<span class="activity-title">Cy</span> <span class="muted small">(deleted)</span>' in page
    )
    assert f'href="{base}/contacts/{gone["id"]}"' not in page
    for shown in (named, plain, gone, company):
        assert f"<code>{shown['id']}</code>" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("who=api", ["ticket.updated", "ticket.created", "ticket.created"]),
        ("who=owner%40acme.test", ["sender.blocked"]),
        ("who=system", []),
        ("event=ticket.created", ["ticket.created", "ticket.created"]),
        ("entity=blocked_sender", ["sender.blocked"]),
    ],
)
def test_filters(
    web: Browser, brand: Json, history: list[Json], query: str, expected: list[str]
) -> None:
    assert events(web.get(log_of(brand, query)).text) == expected


def test_entity_id_and_date_range(web: Browser, brand: Json, history: list[Json]) -> None:
    one = events(web.get(log_of(brand, f"entity_id={history[1]['id']}")).text)
    assert one == ["ticket.created"]
    today = clock.now().date()
    assert len(events(web.get(log_of(brand, f"date_from={today}&date_to={today}")).text)) == 4
    tomorrow = today + timedelta(days=1)
    assert events(web.get(log_of(brand, f"date_from={tomorrow}")).text) == []
    assert events(web.get(log_of(brand, f"date_to={today - timedelta(days=1)}")).text) == []


def test_a_bad_date_is_refused(web: Browser, brand: Json) -> None:
    refused = web.get(log_of(brand, "date_from=yesterday"))
    assert refused.status_code == 422
    assert "is not a date" in refused.text


def test_pages_follow_the_cursor(
    web: Browser, brand: Json, history: list[Json], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activity, "PAGE_SIZE", 3)
    first = web.get(log_of(brand, "who=api&event=ticket.created"))
    assert events(first.text) == ["ticket.created", "ticket.created"]
    assert next_link(first.text) is None
    first = web.get(log_of(brand))
    assert len(events(first.text)) == 3
    link = next_link(first.text)
    assert link is not None
    assert "cursor=" in link
    second = web.get(link, headers={"HX-Request": "true", "HX-Target": "activity-results"})
    assert events(second.text) == ["ticket.created"]
    assert 'id="activity-results"' in second.text
    assert "<html" not in second.text


def test_the_csv_holds_every_page_of_the_filtered_log(
    web: Browser, brand: Json, history: list[Json], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activity, "EXPORT_PAGE", 1)
    export = web.get(log_of(brand, csv_export=True))
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert f'filename="activity-{brand["slug"]}.csv"' in export.headers["content-disposition"]
    rows = parsed(export.text)
    assert [r["event"] for r in rows] == ["sender.blocked", "ticket.updated", "ticket.created",
                                          "ticket.created"]  # fmt: skip
    blocked, updated = rows[0], rows[1]
    assert blocked["performerEmail"] == "owner@acme.test"
    assert blocked["source"] == "dashboard"
    assert '"email": "bot@spam.test"' in blocked["metadata"]
    assert updated["performerType"] == "api"
    assert updated["apiKeyPrefix"].startswith("sk_live_")
    assert '"new": "high"' in updated["changes"]
    filtered = parsed(web.get(log_of(brand, "event=ticket.created", csv_export=True)).text)
    assert {r["entityId"] for r in filtered} == {t["id"] for t in history}


def test_csv_cells_never_run_as_formulas() -> None:
    assert activity._cell("=SUM(A1)") == "'=SUM(A1)"
    assert activity._cell("-1+1") == "'-1+1"
    assert activity._cell("plain") == "plain"
    assert activity._cell({"a": 1}) == '{"a": 1}'
    assert activity._cell(None) == ""


def test_another_brands_log_is_not_found(web: Browser, other_api: Api, other_brand: Json) -> None:
    make_ticket(other_api, other_brand)
    assert web.get(log_of(other_brand)).status_code == 404
    assert web.get(log_of(other_brand, csv_export=True)).status_code == 404
