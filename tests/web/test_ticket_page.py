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
from tests.web.conftest import Browser, add_member

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
    return re.findall(
        rf'<article class="entry[^"]*" id="entry-[\w-]+" data-kind="{kind}".*?</article>',
        html,
        re.S,
    )


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


HTMX = {"HX-Request": "true"}


def _form_state(html: str) -> dict[str, str]:
    """The version and seen_at of the reply box (what the page was rendered from)."""
    version = re.search(r'name="version" value="(\d+)"', html)
    seen = re.search(r'name="seen_at" value="([^"]+)"', html)
    assert version
    assert seen
    return {"version": version.group(1), "seen_at": seen.group(1)}


def test_changing_the_status_goes_through_the_workflow_with_history_and_a_system_entry(
    web: Browser, api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    state = _form_state(_open(web, brand, ticket))

    changed = web.post(_url(brand, ticket), {"status": "pending", **state}, headers=HTMX)

    assert changed.status_code == 200, changed.text
    assert _ticket(api, brand, ticket)["status"] == "pending"
    [system] = _entries(changed.text, "system")
    assert "Status changed from Open to Pending" in system
    assert "Owner" in system
    history = web.get(_url(brand, ticket, "/history"))
    [entry] = [
        e
        for e in re.findall(r"<li class=\"history-entry\".*?</li>\s*</ul>", history.text, re.S)
        if "ticket.updated" in e
    ]
    assert 'data-source="dashboard"' in entry
    assert "status</span>: open → pending" in entry
    assert _entries(_open(web, brand, ticket), "system")


def test_a_reply_is_public_and_emailed_to_the_customer(
    web: Browser, api: Api, brand: Json, database: Database, settings: Settings, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    state = _form_state(_open(web, brand, ticket))

    sent = web.post(_url(brand, ticket, "/comments"), {"body": "We **fixed** it.", **state})

    assert sent.status_code == 303
    [comment] = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments")
    assert (comment["body"], comment["isInternal"], comment["source"]) == (
        "We **fixed** it.",
        False,
        "web",
    )
    assert comment["authorName"] == "Owner"
    generate(database, settings)
    assert _emails_to(session, "jane@example.com") == 1
    assert "<strong>fixed</strong>" in _entries(_open(web, brand, ticket), "public")[0]


def _emails_to(session: Session, address: str) -> int:
    session.expire_all()
    return len(
        session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == address)).all()
    )


def test_an_internal_note_is_marked_internal_and_not_emailed(
    web: Browser, api: Api, brand: Json, database: Database, settings: Settings, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    state = _form_state(_open(web, brand, ticket))

    sent = web.post(
        _url(brand, ticket, "/comments"), {"body": "Refund approved", "internal": "on", **state},
        headers=HTMX,
    )  # fmt: skip

    assert sent.status_code == 200
    [note] = _entries(sent.text, "internal")
    assert "Internal" in note
    assert "Refund approved" in note
    [comment] = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments")
    assert comment["isInternal"] is True
    generate(database, settings)
    assert _emails_to(session, "jane@example.com") == 0


def test_send_and_set_status_sets_pending_with_the_reply(
    web: Browser, api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    state = _form_state(_open(web, brand, ticket))

    sent = web.post(
        _url(brand, ticket, "/comments"),
        {"body": "Can you try again?", "action": "set", "set_status": "pending", **state},
    )

    assert sent.status_code == 303
    assert _ticket(api, brand, ticket)["status"] == "pending"
    comments = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments")
    assert [c["authorType"] for c in comments] == ["AGENT", "SYSTEM"]


def test_a_save_from_a_stale_version_is_refused_with_the_current_values(
    web: Browser, api: Api, brand: Json, database: Database
) -> None:
    ticket = make_ticket(api, brand)
    alex = add_member(database, api.account_id, "alex@acme.test")
    state = _form_state(_open(web, brand, ticket))
    other = Browser(web.client.app)
    assert other.sign_in(alex.email).status_code == 303
    other.get(_url(brand, ticket))
    assert other.post(_url(brand, ticket), {"status": "pending", **state}).status_code == 303

    stale = web.post(_url(brand, ticket), {"title": "My new title", **state}, headers=HTMX)

    assert stale.status_code == 409
    assert "Alex changed this ticket while you were editing: status is now Pending" in stale.text
    assert re.search(r'<option value="pending"[^>]*selected', stale.text)
    now = _ticket(api, brand, ticket)
    assert (now["title"], now["status"], now["version"]) == (
        "Cannot log in",
        "pending",
        int(state["version"]) + 1,
    )
    other.client.close()


def test_the_title_is_edited_in_place(web: Browser, api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    state = _form_state(_open(web, brand, ticket))

    saved = web.post(
        _url(brand, ticket),
        {"title": "Login spins on Safari", "version": state["version"]},
        headers=HTMX,
    )

    assert saved.status_code == 200
    assert re.search(r'<h1 id="ticket-title"[^>]*>Login spins on Safari</h1>', saved.text)
    assert _ticket(api, brand, ticket)["title"] == "Login spins on Safari"
    assert f'name="version" value="{int(state["version"]) + 1}"' in saved.text


def test_a_refused_edit_names_the_field_and_changes_nothing(
    web: Browser, api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    state = _form_state(_open(web, brand, ticket))

    refused = web.post(
        _url(brand, ticket), {"title": "", "version": state["version"]}, headers=HTMX
    )

    assert refused.status_code == 422
    assert refused.headers["HX-Retarget"] == "#flash"
    assert re.search(r"<li>Title: String should have at least 1 character</li>", refused.text)
    assert _ticket(api, brand, ticket)["title"] == ticket["title"]


def test_watchers_are_added_and_removed(
    web: Browser, api: Api, brand: Json, database: Database
) -> None:
    ticket = make_ticket(api, brand)
    dana = add_member(database, api.account_id, "dana@acme.test")
    _open(web, brand, ticket)
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}/watchers"

    added = web.post(_url(brand, ticket, "/watchers"), {"member_id": dana.id}, headers=HTMX)

    assert added.status_code == 200
    assert 'data-testid="watcher">Dana' in added.text
    [watcher] = api.ok("get", path)
    assert watcher["memberEmail"] == "dana@acme.test"
    removed = web.post(
        _url(brand, ticket, "/watchers/remove"), {"ref": watcher["id"]}, headers=HTMX
    )
    assert removed.status_code == 200
    assert api.ok("get", path) == []


def test_members_see_who_else_views_the_ticket_for_45_seconds(
    frozen_clock: Any, web: Browser, api: Api, brand: Json, database: Database, browsers: Any
) -> None:
    ticket = make_ticket(api, brand)
    add_member(database, api.account_id, "bea@acme.test", role="member")
    bea: Browser = browsers()
    assert bea.sign_in("bea@acme.test").status_code == 303
    _open(web, brand, ticket)
    bea.get(_url(brand, ticket))

    assert web.post(_url(brand, ticket, "/viewers")).status_code == 200
    seen_by_bea = bea.post(_url(brand, ticket, "/viewers"))
    assert "Also viewing" in seen_by_bea.text
    assert "Owner" in seen_by_bea.text
    assert "Bea" in web.post(_url(brand, ticket, "/viewers")).text
    assert "Bea" not in bea.post(_url(brand, ticket, "/viewers")).text  # never oneself

    frozen_clock.advance(seconds=46)
    assert "Owner" not in bea.post(_url(brand, ticket, "/viewers")).text


def test_a_member_without_access_to_the_brand_gets_404(
    web: Browser, api: Api, brand: Json, database: Database, browsers: Any
) -> None:
    ticket = make_ticket(api, brand)
    other_brand = api.ok("post", "/brands", 201, json={"name": "Other"})
    add_member(
        database, api.account_id, "sam@acme.test", role="member", brand_ids=[other_brand["id"]]
    )
    sam: Browser = browsers()
    assert sam.sign_in("sam@acme.test").status_code == 303

    assert web.get(_url(brand, ticket)).status_code == 200  # the owner sees it
    assert sam.get(_url(brand, ticket)).status_code == 404
    assert sam.get(_url(brand, ticket, "/history")).status_code == 404


def test_another_accounts_ticket_is_404(
    web: Browser, api: Api, brand: Json, other_api: Api, other_brand: Json
) -> None:
    foreign = make_ticket(other_api, other_brand)
    assert web.get(_url(brand, make_ticket(api, brand))).status_code == 200

    assert web.get(_url(other_brand, foreign)).status_code == 404
    assert web.get(_url(brand, foreign)).status_code == 404


def test_a_change_without_the_csrf_token_is_refused(web: Browser, api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    state = _form_state(_open(web, brand, ticket))

    refused = web.client.post(_url(brand, ticket), data={"status": "pending", **state})

    assert refused.status_code == 403
    assert _ticket(api, brand, ticket)["status"] == "open"


def test_someone_replying_meanwhile_stops_the_reply_once(
    web: Browser, api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    state = _form_state(_open(web, brand, ticket))
    api.ok("post", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments", 201,
           json={"body": "Never mind, it works now", "authorType": "CUSTOMER"})  # fmt: skip

    held = web.post(_url(brand, ticket, "/comments"), {"body": "Try clearing cookies", **state})

    assert held.status_code == 409
    assert 'data-testid="replied-meanwhile"' in held.text
    assert "Never mind, it works now" in held.text
    assert "Try clearing cookies" in held.text
    comments = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments")
    assert [c["body"] for c in comments] == ["Never mind, it works now"]
    sent = web.post(
        _url(brand, ticket, "/comments"), {"body": "Glad to hear!", **_form_state(held.text)}
    )
    assert sent.status_code == 303


def test_a_live_refresh_marks_what_others_wrote_meanwhile_as_new(
    web: Browser, api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")
    state = _form_state(_open(web, brand, ticket))
    mine = web.post(_url(brand, ticket, "/comments"), {"body": "Try clearing cookies", **state})
    assert mine.status_code == 303
    state = _form_state(_open(web, brand, ticket))
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}/comments"
    api.ok("post", path, 201, json={"body": "Still broken", "authorType": "CUSTOMER"})
    api.ok("post", path, 201, json={"body": "Checking logs", "isInternal": True})

    live = web.get(_url(brand, ticket, "/live"), params={"seen_at": state["seen_at"]}, headers=HTMX)

    assert live.status_code == 200
    new = [
        e
        for e in _entries(live.text, "public") + _entries(live.text, "internal")
        if "entry-new" in e
    ]
    assert len(new) == 2
    assert any("Still broken" in e for e in new)
    assert any("Checking logs" in e for e in new)
    assert not any("Try clearing cookies" in e for e in new)  # the member's own reply
    assert re.search(r'data-testid="arrived">Jane replied just now', live.text)
    assert _form_state(live.text)["seen_at"] > state["seen_at"]  # the reply box moves on
    assert 'id="reply-form"' not in live.text  # the draft is never replaced


def test_a_live_refresh_of_another_brands_ticket_is_404(
    browsers: Any, database: Database, api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    other = api.ok("post", "/brands", 201, json={"name": "Other"})
    agent = add_member(
        database, api.account_id, "a@acme.test", role="member", brand_ids=[other["id"]]
    )
    web = browsers()
    web.sign_in(agent.email)

    assert web.get(_url(brand, ticket, "/live"), headers=HTMX).status_code == 404


def test_a_file_dropped_on_the_reply_is_sent_with_it(web: Browser, api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    state = _form_state(_open(web, brand, ticket))

    chip = web.client.post(
        _url(brand, ticket, "/uploads"),
        files={"file": ("notes.txt", b"hello", "text/plain")},
        headers={"X-CSRF-Token": web.csrf, **HTMX},
    )
    assert chip.status_code == 200, chip.text
    found = re.search(r'name="attachment_ids" value="(att_[\w-]+)"', chip.text)
    assert found
    sent = web.post(
        _url(brand, ticket, "/comments"),
        {"body": "See the file", "attachment_ids": found.group(1), **state},
    )

    assert sent.status_code == 303
    [comment] = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments")
    assert f"[notes.txt](attachment:{found.group(1)})" in comment["body"]
    [attached] = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/attachments")
    assert attached["commentId"] == comment["id"]
    assert "/v1/attachments/" in _entries(_open(web, brand, ticket), "public")[0]


def _statements_to_render(web: Browser, connection: Connection, url: str) -> int:
    seen: list[str] = []

    def record(*_args: Any) -> None:
        seen.append("statement")

    event.listen(connection, "before_cursor_execute", record)
    try:
        assert web.get(url).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return len(seen)


def test_rendering_the_page_costs_the_same_statements_for_10_or_40_comments(
    web: Browser, api: Api, brand: Json, connection: Connection
) -> None:
    def ticket_with(count: int) -> Json:
        ticket = make_ticket(api, brand, customerEmail="jane@example.com")
        for n in range(count):
            api.ok("post", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments", 201,
                   json={"body": f"Comment {n}", "isInternal": n % 3 == 0})  # fmt: skip
        return ticket

    short, long = ticket_with(10), ticket_with(40)
    _open(web, brand, short)  # warm: the session's touch and cached lookups

    assert _statements_to_render(web, connection, _url(brand, short)) == _statements_to_render(
        web, connection, _url(brand, long)
    )
