"""Settings → Statuses in the dashboard: the list in display order with counts, create,
edit, reorder and delete with a replacement, read-only for members, and the usual
refusals (other accounts, brands outside a member's access, missing CSRF)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api, make_status, make_ticket
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]
HTMX = {"HX-Request": "true"}


def page_of(brand: Json, tail: str = "") -> str:
    return f"/brands/{brand['id']}/settings/statuses{tail}"


def api_statuses(api: Api, brand: Json) -> list[Json]:
    listed: list[Json] = api.ok("get", f"/brands/{brand['id']}/statuses")
    return listed


def api_keys(api: Api, brand: Json) -> list[str]:
    return [s["key"] for s in api_statuses(api, brand)]


def rows_of(html: str) -> list[str]:
    """The status ids of the page's rows, top to bottom."""
    return re.findall(r'<tr data-status-id="([^"]+)"', html)


def counts_of(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-label="Tickets" class="status-count">(\d+)<', html)]


@pytest.fixture
def in_progress(api: Api, brand: Json) -> Json:
    return make_status(api, brand, name="In Progress", key="in_progress", color="#8b5cf6")


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    """A signed-in member (no settings rights) with access to `brand`."""
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    return browser


def test_the_page_lists_every_status_in_display_order_with_its_ticket_count(
    web: Browser, api: Api, brand: Json, in_progress: Json
) -> None:
    for status in ("in_progress", "in_progress", "open"):
        make_ticket(api, brand, status=status)

    page = web.get(page_of(brand))

    assert page.status_code == 200
    listed = api_statuses(api, brand)
    assert rows_of(page.text) == [s["id"] for s in listed]
    keys = [s["key"] for s in listed]
    assert keys == ["open", "pending", "in_progress", "resolved", "closed"]
    assert counts_of(page.text) == [1, 0, 2, 0, 0]
    assert page.text.count("</svg> System</span>") == 4
    # Only the custom status can be dragged or deleted; every status can be edited.
    assert page.text.count('class="drag-handle"') == 1
    assert page.text.count('id="delete-') == 1
    assert page.text.count('id="edit-') == 5
    assert "--badge: #8b5cf6; --badge-text: #111827" in page.text


def test_a_member_sees_the_statuses_read_only_and_cannot_change_them(
    member: Browser, api: Api, brand: Json, in_progress: Json
) -> None:
    page = member.get(page_of(brand))

    assert page.status_code == 200
    assert "In Progress" in page.text
    assert "Only an owner or admin can change statuses" in page.text
    for control in ("drag-handle", "/edit", "/delete", "New status", "data-sortable"):
        assert control not in page.text
    assert member.get(page_of(brand, "/new")).status_code == 403

    created = member.post(page_of(brand), {"name": "Escalated", "key": "escalated"})
    assert created.status_code == 403
    assert "Only an owner or admin can create statuses" in created.text
    order = [s["id"] for s in reversed(api_statuses(api, brand))]
    assert member.post(page_of(brand, "/reorder"), {"status_ids": order}).status_code == 403
    assert api_keys(api, brand) == ["open", "pending", "in_progress", "resolved", "closed"]


def test_a_bad_key_comes_back_by_its_field_and_nothing_is_stored(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(page_of(brand))
    response = web.post(page_of(brand), {"name": "Escalated", "key": "Bad Key!"})

    assert response.status_code == 422
    assert 'id="status-key-error"' in response.text
    assert "only lowercase letters, digits and underscores" in response.text
    assert 'value="Escalated"' in response.text  # what was typed stays
    assert api_keys(api, brand) == ["open", "pending", "resolved", "closed"]

    partial = web.post(page_of(brand), {"name": "", "key": "escalated"}, headers=HTMX)
    assert partial.status_code == 422
    assert "<html" not in partial.text  # htmx gets the form alone, for the dialog
    assert 'id="status-name-error"' in partial.text


def test_a_name_already_taken_is_shown_by_the_name_field(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(page_of(brand))
    response = web.post(page_of(brand), {"name": "Open", "key": "open_again"})

    assert response.status_code == 422
    assert 'id="status-name-error"' in response.text
    assert "already has a status named 'Open'" in html.unescape(response.text)


def test_creating_a_status_stores_it_before_resolved_and_says_so(
    web: Browser, api: Api, brand: Json
) -> None:
    form = web.get(page_of(brand, "/new"))
    assert form.status_code == 200
    assert 'name="key"' in form.text

    response = web.post(
        page_of(brand),
        {"name": "In Progress", "key": "in_progress", "color": "#8B5CF6", "description": "Busy"},
    )

    assert response.status_code == 303
    created = api_statuses(api, brand)[2]
    assert (created["key"], created["name"], created["color"]) == (
        "in_progress",
        "In Progress",
        "#8b5cf6",
    )
    assert created["description"] == "Busy"
    listed = web.get(response.headers["location"])
    assert "Created In Progress" in listed.text
    assert rows_of(listed.text)[2] == created["id"]


def test_creating_with_htmx_swaps_the_list_and_closes_the_dialog(
    web: Browser, api: Api, brand: Json
) -> None:
    web.get(page_of(brand))
    response = web.post(page_of(brand), {"name": "On Hold", "key": "on_hold"}, headers=HTMX)

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#statuses"
    assert response.headers["HX-Trigger-After-Settle"] == "statuses-saved"
    assert response.text.lstrip().startswith('<section id="statuses"')
    assert "Created On Hold" in response.text
    assert "on_hold" in api_keys(api, brand)


def test_editing_renames_and_recolors_a_system_status_and_keeps_its_key(
    web: Browser, api: Api, brand: Json
) -> None:
    open_status = api_statuses(api, brand)[0]
    form = web.get(page_of(brand, f"/{open_status['id']}/edit"))
    assert form.status_code == 200
    assert 'name="key"' not in form.text  # shown, not editable
    assert "<code>open</code>" in form.text

    response = web.post(
        page_of(brand, f"/{open_status['id']}"),
        {"name": "New", "color": "#123456", "description": "Just arrived"},
    )

    assert response.status_code == 303
    edited = api_statuses(api, brand)[0]
    assert (edited["id"], edited["key"], edited["name"], edited["color"]) == (
        open_status["id"],
        "open",
        "New",
        "#123456",
    )
    assert edited["description"] == "Just arrived"
    assert "Saved New" in web.get(response.headers["location"]).text


def test_a_bad_color_comes_back_by_its_field(web: Browser, api: Api, brand: Json) -> None:
    open_status = api_statuses(api, brand)[0]
    web.get(page_of(brand))
    response = web.post(page_of(brand, f"/{open_status['id']}"), {"name": "Open", "color": "red"})

    assert response.status_code == 422
    assert 'id="status-color-error"' in response.text
    assert api_statuses(api, brand)[0]["color"] == "#3b82f6"


def test_a_new_order_is_saved_and_the_api_lists_statuses_in_it(
    web: Browser, api: Api, brand: Json, in_progress: Json
) -> None:
    waiting = make_status(api, brand, name="Waiting on Engineering", key="waiting_eng")
    by_key = {s["key"]: s["id"] for s in api_statuses(api, brand)}
    wanted = ["open", "waiting_eng", "pending", "in_progress", "resolved", "closed"]
    web.get(page_of(brand))

    response = web.post(page_of(brand, "/reorder"), {"status_ids": [by_key[k] for k in wanted]})

    assert response.status_code == 200
    assert "Order saved" in response.text
    assert api_keys(api, brand) == wanted
    assert rows_of(web.get(page_of(brand)).text)[1] == waiting["id"]


def test_an_order_that_moves_a_status_outside_the_system_frame_is_refused(
    web: Browser, api: Api, brand: Json, in_progress: Json
) -> None:
    before = api_keys(api, brand)
    by_key = {s["key"]: s["id"] for s in api_statuses(api, brand)}
    wanted = ["in_progress", "open", "pending", "resolved", "closed"]
    web.get(page_of(brand))

    # What the script sends: the refusal comes back as the page's flash message.
    response = web.post(
        page_of(brand, "/reorder"), {"status_ids": [by_key[k] for k in wanted]}, headers=HTMX
    )

    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#flash"
    assert "Open stays first" in response.text
    assert api_keys(api, brand) == before


def test_deleting_a_custom_status_moves_its_tickets_to_the_replacement(
    web: Browser, api: Api, brand: Json, in_progress: Json
) -> None:
    tickets = [make_ticket(api, brand, status="in_progress") for _ in range(2)]
    pending = api_statuses(api, brand)[1]

    form = web.get(page_of(brand, f"/{in_progress['id']}/delete"))
    assert form.status_code == 200
    assert "2 tickets use In Progress; they will move to:" in form.text
    options = re.findall(r'<option value="([^"]+)"', form.text)
    assert options == [s["id"] for s in api_statuses(api, brand) if s["id"] != in_progress["id"]]

    response = web.post(
        page_of(brand, f"/{in_progress['id']}/delete"), {"replacement_id": pending["id"]}
    )

    assert response.status_code == 303
    assert "in_progress" not in api_keys(api, brand)
    for ticket in tickets:
        got = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
        assert (got["status"], got["statusId"]) == ("pending", pending["id"])
    listed = web.get(response.headers["location"])
    assert "Deleted In Progress; 2 tickets moved to Pending" in listed.text
    assert counts_of(listed.text)[1] == 2


def test_deleting_with_htmx_shows_the_outcome_in_the_list(
    web: Browser, api: Api, brand: Json, in_progress: Json
) -> None:
    make_ticket(api, brand, status="in_progress")
    open_status = api_statuses(api, brand)[0]
    web.get(page_of(brand))

    response = web.post(
        page_of(brand, f"/{in_progress['id']}/delete"),
        {"replacement_id": open_status["id"]},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Deleted In Progress; 1 ticket moved to Open" in response.text
    assert in_progress["id"] not in rows_of(response.text)


def test_a_system_status_cannot_be_deleted(web: Browser, api: Api, brand: Json) -> None:
    pending, resolved = api_statuses(api, brand)[1:3]
    form = web.get(page_of(brand, f"/{pending['id']}/delete"))
    assert "can be renamed and recolored, never deleted" in form.text
    assert "replacement_id" not in form.text

    response = web.post(
        page_of(brand, f"/{pending['id']}/delete"), {"replacement_id": resolved["id"]}
    )

    assert response.status_code == 422
    assert "is a system status" in response.text
    assert api_keys(api, brand) == ["open", "pending", "resolved", "closed"]


def test_brands_of_other_accounts_or_outside_a_members_access_are_not_found(
    web: Browser,
    browsers: Any,
    api: Api,
    brand: Json,
    other_brand: Json,
    database: Database,
) -> None:
    assert web.get(page_of(brand)).status_code == 200
    assert web.get(page_of(other_brand)).status_code == 404
    created = web.post(page_of(other_brand), {"name": "Escalated", "key": "escalated"})
    assert created.status_code == 404

    second = api.ok("post", "/brands", 201, json={"name": "Acme Labs"})
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[second["id"]]
    )
    member: Browser = browsers()
    member.sign_in(person.email)
    assert member.get(page_of(second)).status_code == 200
    assert member.get(page_of(brand)).status_code == 404


def test_a_change_without_the_csrf_token_is_refused(web: Browser, api: Api, brand: Json) -> None:
    web.get(page_of(brand))
    response = web.post(page_of(brand), {"name": "Escalated", "key": "escalated", "csrf_token": ""})
    assert response.status_code == 403
    open_status = api_statuses(api, brand)[0]
    ids = [s["id"] for s in api_statuses(api, brand)]
    reorder = web.client.post(page_of(brand, "/reorder"), data={"status_ids": ids})
    assert reorder.status_code == 403
    edit = web.client.post(page_of(brand, f"/{open_status['id']}"), data={"name": "Hacked"})
    assert edit.status_code == 403
    assert [s["name"] for s in api_statuses(api, brand)] == [
        "Open",
        "Pending",
        "Resolved",
        "Closed",
    ]
