"""A signed-in customer in the hosted portal: their own tickets only (another customer's
or another brand's are a 404), status badges in the brand's names and colors, open and
closed tabs, the public conversation (never internal notes), replies that reopen a
resolved ticket, and new tickets with a category, custom fields and files."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import func, select

from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket
from tests.conftest import Api, make_status
from tests.web.conftest import Browser
from tests.web.portal_helpers import Json, portal_url, sign_in_customer

PAT = "pat@customer.test"


@pytest.fixture
def pat(browsers: Any, brand: Json, database: Database) -> Browser:
    return sign_in_customer(browsers(), database, brand, PAT)


def ticket_for(api: Api, brand: Json, email: str = PAT, **more: Any) -> Json:
    body = {"title": "Where is my parcel?", "body": "Ordered last week.", "customerEmail": email}
    found: Json = api.ok("post", f"/brands/{brand['id']}/tickets", 201, json=body | more)
    return found


def comment(api: Api, brand: Json, ticket: Json, body: str, **more: Any) -> Json:
    url = f"/brands/{brand['id']}/tickets/{ticket['id']}/comments"
    found: Json = api.ok("post", url, 201, json={"body": body, **more})
    return found


def _count_tickets(database: Database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Ticket)) or 0


def test_my_tickets_show_badges_in_the_brands_status_names_and_colors(
    api: Api, brand: Json, pat: Browser
) -> None:
    waiting = make_status(api, brand, name="Waiting on warehouse", key="warehouse",
                          color="#7c3aed")  # fmt: skip
    ticket = ticket_for(api, brand)
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"status": "warehouse"})

    page = pat.get(portal_url(brand, "/tickets"))
    assert page.status_code == 200
    assert "Where is my parcel?" in page.text
    assert waiting["name"] in page.text
    assert "background: #7c3aed" in page.text


def test_open_and_closed_tabs_split_active_from_resolved_and_closed(
    api: Api, brand: Json, pat: Browser
) -> None:
    ticket_for(api, brand, title="Still going")
    done = ticket_for(api, brand, title="All sorted")
    api.ok("patch", f"/brands/{brand['id']}/tickets/{done['id']}", json={"status": "resolved"})

    active = pat.get(portal_url(brand, "/tickets"))
    finished = pat.get(portal_url(brand, "/tickets?tab=closed"))
    assert "Still going" in active.text
    assert "All sorted" not in active.text
    assert "All sorted" in finished.text
    assert "Still going" not in finished.text


def test_my_tickets_are_paged(api: Api, brand: Json, pat: Browser) -> None:
    from dispatch.web.portal.tickets import PAGE_SIZE

    for n in range(PAGE_SIZE + 1):
        ticket_for(api, brand, title=f"Question {n:02d}")
    first = pat.get(portal_url(brand, "/tickets"))
    assert first.text.count('class="portal-row"') == PAGE_SIZE
    older = html.unescape(first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0])
    second = pat.get(portal_url(brand, "/tickets") + older)
    assert second.text.count('class="portal-row"') == 1


def test_only_the_customers_own_tickets_are_listed(api: Api, brand: Json, pat: Browser) -> None:
    ticket_for(api, brand, email="sam@customer.test", title="Sam's question")
    assert "Sam&#39;s question" not in pat.get(portal_url(brand, "/tickets")).text


def test_another_customers_ticket_is_not_found_and_takes_no_reply(
    api: Api, brand: Json, pat: Browser, database: Database
) -> None:
    theirs = ticket_for(api, brand, email="sam@customer.test")
    page = pat.get(portal_url(brand, f"/tickets/{theirs['id']}"))
    assert page.status_code == 404
    assert "Not found" in page.text
    reply = pat.post(portal_url(brand, f"/tickets/{theirs['id']}/replies"), {"body": "Mine?"})
    assert reply.status_code == 404
    assert api.ok("get", f"/brands/{brand['id']}/tickets/{theirs['id']}")["commentCount"] == 0


def test_another_brands_ticket_is_not_found(
    api: Api, brand: Json, pat: Browser, other_api: Api, other_brand: Json
) -> None:
    outlet: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    for owner_api, elsewhere in ((api, outlet), (other_api, other_brand)):
        theirs = ticket_for(owner_api, elsewhere)  # the same customer's address, elsewhere
        assert pat.get(portal_url(brand, f"/tickets/{theirs['id']}")).status_code == 404


def test_the_conversation_shows_public_replies_never_internal_notes(
    api: Api, brand: Json, pat: Browser
) -> None:
    ticket = ticket_for(api, brand)
    comment(api, brand, ticket, "We shipped it today.", authorType="AGENT")
    comment(api, brand, ticket, "Customer is grumpy, be nice", isInternal=True)

    page = pat.get(portal_url(brand, f"/tickets/{ticket['id']}"))
    assert page.status_code == 200
    assert "Ordered last week." in page.text
    assert "We shipped it today." in page.text
    assert "grumpy" not in page.text
    assert "Support team" in page.text


def test_a_reply_to_a_resolved_ticket_reopens_it_and_says_so(
    api: Api, brand: Json, pat: Browser
) -> None:
    ticket = ticket_for(api, brand)
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"status": "resolved"})
    page = pat.get(portal_url(brand, f"/tickets/{ticket['id']}"))
    assert "Replying reopens it" in page.text

    photo = {"files": ("photo.png", b"\x89PNG", "image/png")}
    url = portal_url(brand, f"/tickets/{ticket['id']}/replies")
    sent = pat.post(url, {"body": "It never arrived."}, files=photo)
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?reopened=1")
    shown = pat.get(sent.headers["location"])
    assert "Your reply reopened this ticket" in shown.text
    assert "It never arrived." in shown.text
    assert "photo.png" in shown.text
    found = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert found["status"] == "open"


def test_an_empty_reply_is_refused_on_the_page(api: Api, brand: Json, pat: Browser) -> None:
    ticket = ticket_for(api, brand)
    refused = pat.post(portal_url(brand, f"/tickets/{ticket['id']}/replies"), {"body": "  "})
    assert refused.status_code == 422
    assert 'id="reply-body"' in refused.text
    assert 'aria-invalid="true"' in refused.text


def test_a_file_of_a_reply_downloads_through_a_fresh_link(
    api: Api, brand: Json, pat: Browser
) -> None:
    ticket = ticket_for(api, brand)
    pat.post(portal_url(brand, f"/tickets/{ticket['id']}/replies"), {"body": "See attached"},
             files={"files": ("receipt.txt", b"paid in full", "text/plain")})  # fmt: skip
    page = pat.get(portal_url(brand, f"/tickets/{ticket['id']}"))
    link = page.text.split("/attachments/")[1].split('"')[0]
    answer = pat.get(portal_url(brand, f"/tickets/{ticket['id']}/attachments/{link}"))
    assert answer.status_code == 303
    download = pat.client.get(answer.headers["location"])
    assert download.content == b"paid in full"


def test_a_new_ticket_with_a_category_a_custom_field_and_a_file(
    api: Api, brand: Json, pat: Browser
) -> None:
    api.ok("patch", f"/brands/{brand['id']}", json={"portalCategories": True})
    billing = api.ok("post", f"/brands/{brand['id']}/categories", 201, json={"name": "Billing"})
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201, json={
        "key": "order_number", "label": "Order number", "type": "text", "required": True,
        "portalVisible": True,
    })  # fmt: skip
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201,
           json={"key": "risk", "label": "Risk score", "type": "number"})  # fmt: skip

    form = pat.get(portal_url(brand, "/tickets/new"))
    assert "Billing" in form.text
    assert "Order number" in form.text
    assert "Risk score" not in form.text

    sent = pat.post(
        portal_url(brand, "/tickets"),
        {"title": "Charged twice", "body": "Two charges on my card.",
         "category_id": billing["id"], "cf.order_number": "A-1001"},
        files={"files": ("statement.txt", b"two charges", "text/plain")},
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    page = pat.get(sent.headers["location"])
    assert "Charged twice" in page.text
    assert "A-1001" in page.text
    assert "statement.txt" in page.text
    ticket_id = sent.headers["location"].split("/tickets/")[1].split("?")[0]
    created = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket_id}")
    assert created["categoryId"] == billing["id"]
    assert created["customFields"]["order_number"] == "A-1001"


def test_a_required_field_left_empty_keeps_what_was_typed(
    api: Api, brand: Json, pat: Browser, database: Database
) -> None:
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201, json={
        "key": "order_number", "label": "Order number", "type": "text", "required": True,
        "portalVisible": True,
    })  # fmt: skip
    before = _count_tickets(database)
    refused = pat.post(portal_url(brand, "/tickets"),
                       {"title": "Charged twice", "body": "Two charges."})  # fmt: skip
    assert refused.status_code == 422
    assert 'value="Charged twice"' in refused.text
    assert "Two charges." in refused.text
    assert 'id="cf-order_number-error"' in refused.text
    assert _count_tickets(database) == before


def test_replies_render_markdown_and_link_files_through_the_portal(
    api: Api, brand: Json, pat: Browser
) -> None:
    ticket = ticket_for(api, brand)
    upload = api.client.post(
        f"/v1/brands/{brand['id']}/tickets/{ticket['id']}/attachments/upload",
        headers={"Authorization": f"Bearer {api.key}"},
        files={"file": ("label.txt", b"label", "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    body = f"**Tracking** is ready: [the label](attachment:{file_id}), [gone](attachment:att_x)"
    comment(api, brand, ticket, body, authorType="AGENT")

    page = pat.get(portal_url(brand, f"/tickets/{ticket['id']}"))
    assert "<strong>Tracking</strong>" in page.text
    files = f"http://testserver/support/{brand['slug']}/tickets/{ticket['id']}/attachments"
    assert f'href="{files}/{file_id}"' in page.text
    assert "attachment:" not in page.text  # an unknown reference keeps only its text
    assert page.text.count(">label.txt<") == 0  # linked in the text, not listed again


def test_signed_in_forms_without_their_token_are_refused_and_change_nothing(
    api: Api, brand: Json, pat: Browser, database: Database
) -> None:
    ticket = ticket_for(api, brand)
    before = _count_tickets(database)
    forged = {"csrf_token": "forged"}
    reply = pat.post(portal_url(brand, f"/tickets/{ticket['id']}/replies"),
                     {"body": "Hello", **forged})  # fmt: skip
    created = pat.post(portal_url(brand, "/tickets"), {"title": "Forged", **forged})
    signout = pat.post(portal_url(brand, "/signout"), forged)
    assert reply.status_code == created.status_code == signout.status_code == 403
    assert api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["commentCount"] == 0
    assert _count_tickets(database) == before
    assert pat.get(portal_url(brand, "/tickets")).status_code == 200  # still signed in


def test_a_reply_may_carry_files_beyond_the_json_body_cap(
    api: Api, brand: Json, pat: Browser, settings: Settings
) -> None:
    """A phone photo is larger than the 1 MiB a JSON body may be: the portal's forms have
    their own cap, their files' limit (shown beside the file input)."""
    ticket = ticket_for(api, brand)
    page = pat.get(portal_url(brand, f"/tickets/{ticket['id']}"))
    assert "up to 25.0 MiB each" in page.text  # the attachment limit, under the portal's 50
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * (settings.max_body_bytes + 512 * 1024)
    url = portal_url(brand, f"/tickets/{ticket['id']}/replies")
    sent = pat.post(url, {"body": "A photo."}, files={"files": ("photo.png", photo, "image/png")})
    assert sent.status_code == 303
    assert "photo.png" in pat.get(sent.headers["location"]).text
