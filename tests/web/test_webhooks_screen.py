"""Settings → Webhooks in the dashboard: create (the secret shown once), list, edit, bad
input by its field, rotate, disable and enable, send a test event, delete; the delivery
log (filter, pages, live refresh), a delivery's detail, retry and recover; read-only for
members; 404 for webhooks of other brands and accounts."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.events import Event
from dispatch.web.dashboard.webhooks.picker import chosen_events, event_groups, unlisted_patterns
from dispatch.webhooks import service
from dispatch.webhooks.models import Webhook
from tests.conftest import Api
from tests.web.conftest import Browser, add_member
from tests.webhooks.helpers import (
    OTHER_PUBLIC_URL,
    PUBLIC_URL,
    add_delivery,
    list_webhooks,
    make_webhook,
    stored_delivery,
    stored_webhook,
)

Json = dict[str, Any]
HTMX = {"HX-Request": "true"}


def page_of(brand: Json, tail: str = "") -> str:
    return f"/brands/{brand['id']}/settings/webhooks{tail}"


def secret_on(page: str) -> str:
    found = re.search(r'id="webhook-secret" type="text" readonly value="([^"]+)"', page)
    assert found, "no secret on the page"
    return found.group(1)


def delivery_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-delivery-id="([^"]+)"', page)


@pytest.fixture
def webhook(api: Api, brand: Json) -> Json:
    return make_webhook(api, brand, description="Orders system", events=["ticket.*"])


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    """A signed-in member (no settings rights) with access to `brand`."""
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    return browser


# --- The events picker ---------------------------------------------------------------------


def test_ticked_boxes_fold_into_the_fewest_patterns() -> None:
    assert chosen_events(["ticket.created", "*", "tag.*"]) == ["*"]
    assert chosen_events(
        ["ticket.created", "ticket.*", "ticket.comment.created", "tag.merged"]
    ) == [
        "ticket.*",
        "tag.merged",
    ]
    assert chosen_events(["comment.created", "comment.created"]) == ["comment.created"]
    assert chosen_events([]) == []


def test_the_picker_groups_types_by_their_first_word_and_keeps_unlisted_patterns() -> None:
    groups = {g.prefix: g for g in event_groups(["ticket.*", "tag.merged"])}

    assert groups["ticket"].all_checked
    assert all(checked for _, checked in groups["ticket"].types)
    assert ("ticket.comment.created", True) in groups["ticket"].types
    assert dict(groups["tag"].types) == {
        "tag.created": False,
        "tag.deleted": False,
        "tag.merged": True,
        "tag.updated": False,
    }
    assert [t for t, _ in groups["webhook"].types] == ["webhook.disabled"]  # no test event
    assert unlisted_patterns(["ticket.comment.*", "ticket.*", "*"]) == ["ticket.comment.*"]


# --- Create, list, edit --------------------------------------------------------------------


def test_creating_shows_the_secret_once_and_stores_the_webhook(
    web: Browser, api: Api, brand: Json, session: Session
) -> None:
    form = web.get(page_of(brand, "/new"))
    assert form.status_code == 200
    assert 'value="ticket.*" data-group-all' in form.text
    assert 'value="ticket.comment.created"' in form.text

    created = web.post(
        page_of(brand),
        {
            "url": f"  {PUBLIC_URL} ",
            "events": ["ticket.created", "ticket.*", "comment.created"],
            "description": "Orders system",
        },
    )

    assert created.status_code == 200
    [listed] = list_webhooks(api, brand)
    assert (listed["url"], listed["events"], listed["description"]) == (
        PUBLIC_URL,
        ["ticket.*", "comment.created"],
        "Orders system",
    )
    secret = secret_on(created.text)
    assert secret == stored_webhook(session, listed["id"]).secret
    assert secret.startswith("whsec_")
    assert 'data-copy="webhook-secret"' in created.text
    assert "Shown this once" in created.text
    # Never again: not on the list, the webhook's page or its edit form.
    for path in ("", f"/{listed['id']}", f"/{listed['id']}/edit"):
        shown = web.get(page_of(brand, path))
        assert shown.status_code == 200
        assert secret not in shown.text


def test_the_list_shows_each_endpoint_with_its_events_state_and_health(
    web: Browser, api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    everything = make_webhook(api, brand, url=OTHER_PUBLIC_URL, events=["*"])
    service.record_failure(session, webhook["id"])
    service.disable_webhook(session, everything["id"], reason="The endpoint answered 410 Gone")
    session.commit()

    page = web.get(page_of(brand))

    assert page.status_code == 200
    text = html.unescape(page.text)
    rows = re.findall(r'<tr data-webhook-id="([^"]+)"', page.text)
    assert rows == [webhook["id"], everything["id"]]
    assert PUBLIC_URL in text
    assert "Orders system" in text
    assert "ticket.*" in text
    assert "All events" in text
    assert "The endpoint answered 410 Gone · <time" in text
    assert "1 failed in a row" in text
    assert "2 of at most 20 webhooks" in text
    assert 'href="/brands/{}/settings/webhooks"'.format(brand["id"]) in page.text  # sidebar


def test_editing_changes_url_events_and_description(
    web: Browser, api: Api, brand: Json, webhook: Json
) -> None:
    form = web.get(page_of(brand, f"/{webhook['id']}/edit"))
    assert form.status_code == 200
    assert f'value="{PUBLIC_URL}"' in form.text
    assert 'value="ticket.*" data-group-all checked' in form.text

    saved = web.post(
        page_of(brand, f"/{webhook['id']}"),
        {"url": OTHER_PUBLIC_URL, "events": ["tag.merged", "comment.created"], "description": ""},
    )

    assert saved.status_code == 303
    assert saved.headers["location"].endswith(f"/{webhook['id']}?done=saved")
    [shown] = list_webhooks(api, brand)
    assert (shown["url"], shown["events"], shown["description"]) == (
        OTHER_PUBLIC_URL,
        ["tag.merged", "comment.created"],
        None,
    )
    assert "Saved" in web.get(saved.headers["location"]).text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "spaces"),
        ("http://127.0.0.1:8080/hooks", "loopback"),
    ],
)
def test_a_bad_url_comes_back_by_its_field_and_nothing_is_stored(
    web: Browser, api: Api, brand: Json, url: str, message: str
) -> None:
    web.get(page_of(brand, "/new"))
    response = web.post(page_of(brand), {"url": url, "events": ["tag.merged"], "description": "X"})

    assert response.status_code == 422
    assert 'id="webhook-url-error"' in response.text
    error = re.search(r'id="webhook-url-error" class="field-error">([^<]+)<', response.text)
    assert error
    assert message in html.unescape(error.group(1))
    assert f'value="{html.escape(url)}"' in response.text  # what was typed stays
    assert 'value="tag.merged" checked' in response.text
    assert list_webhooks(api, brand) == []


def test_no_event_chosen_is_an_error_by_the_picker(web: Browser, api: Api, brand: Json) -> None:
    web.get(page_of(brand, "/new"))
    response = web.post(page_of(brand), {"url": PUBLIC_URL})

    assert response.status_code == 422
    assert 'id="webhook-events-error" class="field-error">Choose at least one event<' in (
        response.text
    )
    assert list_webhooks(api, brand) == []


def test_a_bad_edit_changes_nothing(web: Browser, api: Api, brand: Json, webhook: Json) -> None:
    web.get(page_of(brand, f"/{webhook['id']}/edit"))
    response = web.post(
        page_of(brand, f"/{webhook['id']}"),
        {"url": "ftp://93.184.216.34/", "events": ["*"], "description": "Changed"},
    )

    assert response.status_code == 422
    assert 'id="webhook-url-error"' in response.text
    assert list_webhooks(api, brand)[0]["url"] == PUBLIC_URL
    assert list_webhooks(api, brand)[0]["description"] == "Orders system"


# --- Switch, rotate, test, delete ----------------------------------------------------------


def test_disabling_says_so_and_enabling_again_clears_the_failures(
    web: Browser, api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    web.get(page_of(brand, f"/{webhook['id']}"))
    off = web.post(page_of(brand, f"/{webhook['id']}/enabled"), {"enabled": "false"})

    assert off.status_code == 303
    assert list_webhooks(api, brand)[0]["enabled"] is False
    page = web.get(off.headers["location"])
    assert "Disabled: nothing is sent until you enable it again" in page.text
    assert "turned off by a person." in page.text
    assert ">Enable again</button>" in page.text
    assert "Send test event" not in page.text
    assert "/recover" not in page.text

    service.record_failure(session, webhook["id"])
    session.commit()
    on = web.post(page_of(brand, f"/{webhook['id']}/enabled"), {"enabled": "true"})

    assert on.status_code == 303
    shown = list_webhooks(api, brand)[0]
    assert (shown["enabled"], shown["failureCount"], shown["disabledAt"]) == (True, 0, None)
    assert "Enabled: new events are delivered again" in web.get(on.headers["location"]).text


def test_a_webhook_the_worker_disabled_explains_why_and_offers_to_enable_it(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    service.disable_webhook(session, webhook["id"], reason="The endpoint answered 410 Gone")
    session.commit()

    page = web.get(page_of(brand, f"/{webhook['id']}"))

    assert re.search(r"<strong>Disabled <time [^>]+>just now</time>:</strong>", page.text)
    assert "The endpoint answered 410 Gone" in page.text
    assert ">Enable again</button>" in page.text


def test_rotating_shows_the_new_secret_once_and_when_the_old_one_stops(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    old = stored_webhook(session, webhook["id"]).secret
    form = web.get(page_of(brand, f"/{webhook['id']}/rotate"))
    assert form.status_code == 200
    assert '<option value="24" selected>' in form.text

    rotated = web.post(page_of(brand, f"/{webhook['id']}/rotate"), {"grace_period_hours": "72"})

    assert rotated.status_code == 200
    stored = stored_webhook(session, webhook["id"])
    assert secret_on(rotated.text) == stored.secret != old
    assert stored.previous_secret == old
    expires = stored.previous_secret_expires_at
    assert expires is not None
    assert abs(expires - (clock.now() + timedelta(hours=72))) < timedelta(minutes=1)
    assert f"keeps signing beside this one until <strong>{expires:%Y-%m-%d %H:%M} UTC" in (
        rotated.text
    )
    page = web.get(page_of(brand, f"/{webhook['id']}"))
    assert f"the previous one still signs until {expires:%Y-%m-%d %H:%M} UTC (in 2 d)" in page.text
    assert stored.secret not in page.text

    current = stored.secret
    too_long = web.post(page_of(brand, f"/{webhook['id']}/rotate"), {"grace_period_hours": "169"})
    assert too_long.status_code == 422
    assert stored_webhook(session, webhook["id"]).secret == current

    at_once = web.post(page_of(brand, f"/{webhook['id']}/rotate"), {"grace_period_hours": "0"})
    assert "The previous secret stopped signing at once" in at_once.text
    assert stored_webhook(session, webhook["id"]).previous_secret is None


def test_send_test_event_queues_one_for_this_webhook(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    web.get(page_of(brand, f"/{webhook['id']}"))
    sent = web.post(page_of(brand, f"/{webhook['id']}/test"))

    assert sent.status_code == 303
    assert "Test event queued" in web.get(sent.headers["location"]).text
    [event] = session.scalars(select(Event).where(Event.type == "webhook.test")).all()
    assert event.data["webhookId"] == webhook["id"]


def test_deleting_asks_first_then_removes_the_webhook(
    web: Browser, api: Api, brand: Json, webhook: Json
) -> None:
    confirm = web.get(page_of(brand, f"/{webhook['id']}/delete"))
    assert confirm.status_code == 200
    assert "Delete this webhook?" in confirm.text
    assert list_webhooks(api, brand) != []

    deleted = web.post(page_of(brand, f"/{webhook['id']}/delete"))

    assert deleted.status_code == 303
    assert list_webhooks(api, brand) == []
    listed = web.get(deleted.headers["location"])
    assert f"Deleted the webhook to {PUBLIC_URL}" in listed.text
    assert "No webhooks yet" in listed.text
    assert web.get(page_of(brand, f"/{webhook['id']}")).status_code == 404


# --- The delivery log ----------------------------------------------------------------------


def test_the_log_lists_deliveries_newest_first_with_their_outcome(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    now = clock.now()
    failed = add_delivery(session, webhook, created_at=now - timedelta(hours=2), attempts=3)
    ok = add_delivery(
        session, webhook, status="SUCCESS", response_code=200, created_at=now - timedelta(hours=1)
    )
    waiting = add_delivery(session, webhook, status="RETRYING", event_type="ticket.updated")

    page = web.get(page_of(brand, f"/{webhook['id']}"))

    assert page.status_code == 200
    assert delivery_rows(page.text) == [waiting.id, ok.id, failed.id]
    row = page.text[page.text.index(f'data-delivery-id="{failed.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="delivery-status delivery-failed">Failed<' in row
    assert '<td data-label="Attempts" class="num">3</td>' in row
    assert '<span class="response-code">500</span>' in row
    assert "42 ms" in row
    assert failed.event_id in row
    assert "in 4 min" in page.text  # the retrying one's next attempt
    assert "data-live" not in page.text  # nothing due within the minute

    only_failed = web.get(page_of(brand, f"/{webhook['id']}?status=FAILED"))
    assert delivery_rows(only_failed.text) == [failed.id]


def test_the_log_pages_with_the_services_cursor(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    now = clock.now()
    made = [
        add_delivery(session, webhook, created_at=now - timedelta(minutes=n)).id for n in range(27)
    ]

    first = web.get(page_of(brand, f"/{webhook['id']}"))
    assert delivery_rows(first.text) == made[:25]
    older = re.search(r'href="([^"]+cursor=[^"]+)">Older deliveries<', first.text)
    assert older

    second = web.get(html.unescape(older.group(1)))
    assert delivery_rows(second.text) == made[25:]
    assert "Older deliveries" not in second.text
    assert ">Newest</a>" in second.text


def test_the_log_refreshes_itself_while_a_delivery_is_about_to_be_sent(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    due = add_delivery(session, webhook, status="PENDING", attempts=0, response_code=None)
    stored = stored_delivery(session, due.id)
    stored.next_attempt_at = clock.now()
    session.commit()

    page = web.get(page_of(brand, f"/{webhook['id']}"))
    assert 'hx-trigger="every 2s"' in page.text

    partial = web.get(page_of(brand, f"/{webhook['id']}"), headers=HTMX)
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<section id="delivery-log"')
    assert "<html" not in partial.text


def test_a_delivery_shows_its_request_response_and_every_attempt(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    delivery = add_delivery(session, webhook, attempts=2, response_body="<h1>Down</h1>")

    page = web.get(page_of(brand, f"/{webhook['id']}/deliveries/{delivery.id}"))

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"POST {PUBLIC_URL}" in text
    assert "X-Dispatch-Event: ticket.created" in text
    assert f"webhook-id: {delivery.id}" in text
    assert '"title": "Order never arrived"' in text  # the body, pretty-printed
    assert "&lt;h1&gt;Down&lt;/h1&gt;" in page.text  # the receiver's answer, escaped
    assert re.findall(r'data-attempt="(\d)"', page.text) == ["2", "1"]
    assert "content-type: text/plain" in text
    assert ">Retry now</button>" in page.text


def test_retry_now_queues_the_delivery_again(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    delivery = add_delivery(session, webhook)
    web.get(page_of(brand, f"/{webhook['id']}/deliveries/{delivery.id}"))

    retried = web.post(page_of(brand, f"/{webhook['id']}/deliveries/{delivery.id}/retry"))

    assert retried.status_code == 303
    assert retried.headers["location"].endswith(f"/deliveries/{delivery.id}?retried=1")
    again = stored_delivery(session, delivery.id)
    assert (again.status, again.completed_at) == ("PENDING", None)
    page = web.get(retried.headers["location"])
    assert "Sending now" in page.text
    assert 'hx-trigger="every 2s"' in page.text  # it refreshes until the attempt lands


def test_recover_sends_again_what_failed_since_a_time(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    now = clock.now()
    old = add_delivery(session, webhook, created_at=now - timedelta(days=3))
    recent = [add_delivery(session, webhook, created_at=now - timedelta(hours=h)) for h in (1, 2)]
    web.get(page_of(brand, f"/{webhook['id']}"))
    since = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    recovered = web.post(page_of(brand, f"/{webhook['id']}/recover"), {"since": since})

    assert recovered.status_code == 303
    assert [stored_delivery(session, d.id).status for d in recent] == ["PENDING", "PENDING"]
    assert stored_delivery(session, old.id).status == "FAILED"
    shown = since.replace("T", " ")
    page = web.get(recovered.headers["location"])
    assert f"2 failed deliveries since {shown} UTC queued to send again" in page.text


def test_recover_reads_the_time_in_the_browsers_time_zone(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    now = clock.now().replace(second=0, microsecond=0)
    before = add_delivery(session, webhook, created_at=now - timedelta(minutes=90))
    after = add_delivery(session, webhook, created_at=now - timedelta(minutes=30))
    web.get(page_of(brand, f"/{webhook['id']}"))
    # An hour ago, as a clock in UTC+14 reads it.
    local = (now - timedelta(hours=1)).astimezone(ZoneInfo("Pacific/Kiritimati"))
    since = local.strftime("%Y-%m-%dT%H:%M")

    recovered = web.post(
        page_of(brand, f"/{webhook['id']}/recover"),
        {"since": since, "timezone": "Pacific/Kiritimati"},
    )

    assert recovered.status_code == 303
    assert stored_delivery(session, after.id).status == "PENDING"
    assert stored_delivery(session, before.id).status == "FAILED"
    page = web.get(recovered.headers["location"])
    assert f"since {since.replace('T', ' ')} Pacific/Kiritimati queued" in page.text


def test_an_unknown_time_zone_is_refused_and_recovers_nothing(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    failed = add_delivery(session, webhook)
    web.get(page_of(brand, f"/{webhook['id']}"))

    response = web.post(
        page_of(brand, f"/{webhook['id']}/recover"),
        {"since": "2026-01-15T09:00", "timezone": "Mars/Olympus"},
    )

    assert response.status_code == 422
    assert "Unknown time zone" in response.text
    assert stored_delivery(session, failed.id).status == "FAILED"


def test_a_bad_recover_time_comes_back_by_its_field(
    web: Browser, brand: Json, webhook: Json, session: Session
) -> None:
    failed = add_delivery(session, webhook)
    web.get(page_of(brand, f"/{webhook['id']}"))

    response = web.post(page_of(brand, f"/{webhook['id']}/recover"), {"since": "yesterday"})

    assert response.status_code == 422
    assert 'id="recover-since-error" class="field-error">Give a date and time' in response.text
    assert 'value="yesterday"' in response.text
    assert stored_delivery(session, failed.id).status == "FAILED"


# --- Who may do what -----------------------------------------------------------------------


def test_a_member_sees_webhooks_and_deliveries_read_only(
    member: Browser, api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    delivery = add_delivery(session, webhook)

    listed = member.get(page_of(brand))
    assert listed.status_code == 200
    assert PUBLIC_URL in listed.text
    assert "Only an owner or admin can change webhooks" in listed.text
    assert "New webhook" not in listed.text
    one = member.get(page_of(brand, f"/{webhook['id']}"))
    assert one.status_code == 200
    assert delivery.id in one.text
    for control in ("/edit", "/rotate", "/delete", "/enabled", "/test", "/recover"):
        assert control not in one.text
    detail = member.get(page_of(brand, f"/{webhook['id']}/deliveries/{delivery.id}"))
    assert detail.status_code == 200
    assert "Retry now" not in detail.text

    for form in ("/new", f"/{webhook['id']}/edit", f"/{webhook['id']}/rotate"):
        assert member.get(page_of(brand, form)).status_code == 403
    refused = member.post(page_of(brand), {"url": PUBLIC_URL, "events": ["*"]})
    assert refused.status_code == 403
    assert "Only an owner or admin can manage webhooks" in refused.text
    for post, data in (
        (f"/{webhook['id']}/enabled", {"enabled": "false"}),
        (f"/{webhook['id']}/rotate", {}),
        (f"/{webhook['id']}/delete", {}),
        (f"/{webhook['id']}/test", {}),
        (f"/{webhook['id']}/deliveries/{delivery.id}/retry", {}),
        (f"/{webhook['id']}/recover", {"since": "2020-01-01T00:00"}),
    ):
        assert member.post(page_of(brand, post), data).status_code == 403, post
    [unchanged] = list_webhooks(api, brand)
    assert unchanged["enabled"] is True
    assert stored_delivery(session, delivery.id).status == "FAILED"


def test_a_webhook_of_another_brand_or_account_is_not_found(
    web: Browser, api: Api, brand: Json, other_api: Api, other_brand: Json
) -> None:
    sister = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    theirs = make_webhook(other_api, other_brand)
    sisters = make_webhook(api, sister)

    for webhook_id in (theirs["id"], sisters["id"]):
        for tail in ("", "/edit", "/rotate", "/delete"):
            assert web.get(page_of(brand, f"/{webhook_id}{tail}")).status_code == 404
        web.get(page_of(brand))
        refused = web.post(page_of(brand, f"/{webhook_id}/delete"))
        assert refused.status_code == 404
    assert web.get(page_of(other_brand)).status_code == 404
    assert list_webhooks(other_api, other_brand) != []


def test_a_post_without_the_csrf_token_is_refused(
    web: Browser, brand: Json, webhook: Json, database: Database
) -> None:
    response = web.post(page_of(brand, f"/{webhook['id']}/delete"), {"csrf_token": "forged"})

    assert response.status_code == 403
    with database.session() as s:
        assert s.get(Webhook, webhook["id"]).deleted_at is None  # type: ignore[union-attr]
