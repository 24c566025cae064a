"""Refused input answers problem+json with a stable code and changes nothing; webhooks and
deliveries of other brands and accounts are 404."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.webhooks.models import WebhookDelivery
from tests.conftest import Api
from tests.webhooks.helpers import (
    PUBLIC_URL,
    Json,
    add_delivery,
    assert_problem,
    brand_events,
    error_fields,
    list_webhooks,
    make_webhook,
    stored_delivery,
    stored_webhook,
    webhook_logs,
    webhook_path,
    webhooks_path,
)


@pytest.fixture
def failed(webhook: Json, session: Session) -> WebhookDelivery:
    return add_delivery(session, webhook, status="FAILED")


@pytest.fixture
def unchanged(
    api: Api, brand: Json, webhook: Json, session: Session, failed: WebhookDelivery
) -> Iterator[None]:
    """The brand's webhooks (secrets included), their activity, events and deliveries are
    the same after the test as before it."""
    before = list_webhooks(api, brand)
    deliveries = api.ok("get", webhook_path(brand, webhook, "/deliveries"))
    secret = stored_webhook(session, webhook["id"]).secret
    logs = len(webhook_logs(session, webhook["id"]))
    events = len(brand_events(session, brand["id"]))
    yield
    assert list_webhooks(api, brand) == before
    assert stored_webhook(session, webhook["id"]).secret == secret
    assert len(webhook_logs(session, webhook["id"])) == logs
    assert len(brand_events(session, brand["id"])) == events
    assert api.ok("get", webhook_path(brand, webhook, "/deliveries")) == deliveries


# --- Create -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["*"]}, "url"),
        ({"url": PUBLIC_URL}, "events"),
        ({"url": PUBLIC_URL, "events": []}, "events"),
        ({"url": PUBLIC_URL, "events": "ticket.created"}, "events"),
        ({"url": PUBLIC_URL, "events": [7]}, "events.0"),
        ({"url": PUBLIC_URL, "events": ["ticket.exploded"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["ticket.created", "tickets.*"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["ticket.created.*"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["*.created"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["**"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["notification.requested"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["notification.*"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["TICKET.CREATED"]}, "events"),
        ({"url": PUBLIC_URL, "events": ["ticket.created"] * 101}, "events"),
        ({"url": "", "events": ["*"]}, "url"),
        ({"url": 42, "events": ["*"]}, "url"),
        ({"url": PUBLIC_URL, "events": ["*"], "secret": "too-short"}, "secret"),
        ({"url": PUBLIC_URL, "events": ["*"], "secret": "x" * 101}, "secret"),
        ({"url": PUBLIC_URL, "events": ["*"], "secret": "has spaces in the middle"}, "secret"),
        ({"url": PUBLIC_URL, "events": ["*"], "secret": "sécret-with-accents"}, "secret"),
        ({"url": PUBLIC_URL, "events": ["*"], "secret": "whsec_not-base64-at-all!"}, "secret"),
        (
            {
                "url": PUBLIC_URL,
                "events": ["*"],
                "secret": "whsec_" + base64.b64encode(b"k" * 16).decode(),
            },
            "secret",
        ),
        ({"url": PUBLIC_URL, "events": ["*"], "secret": 12345678901234567}, "secret"),
        ({"url": PUBLIC_URL, "events": ["*"], "description": "d" * 501}, "description"),
        ({"url": PUBLIC_URL, "events": ["*"], "enabled": "sometimes"}, "enabled"),
        ({"url": PUBLIC_URL, "events": ["*"], "active": True}, "active"),
        ({"url": PUBLIC_URL, "events": ["*"], "failureCount": 3}, "failureCount"),
    ],
)
def test_create_refuses_invalid_fields(
    api: Api, brand: Json, unchanged: None, body: Json, field: str
) -> None:
    problem = assert_problem(api.post(webhooks_path(brand), json=body), 422, "validation_error")
    assert field in error_fields(problem)


def test_create_names_the_unknown_event_types(api: Api, brand: Json, unchanged: None) -> None:
    response = api.post(
        webhooks_path(brand),
        json={"url": PUBLIC_URL, "events": ["ticket.created", "ticket.exploded", "nope.*"]},
    )
    message = assert_problem(response, 422, "validation_error")["errors"][0]["message"]
    assert "'ticket.exploded'" in message
    assert "'nope.*'" in message
    assert "ticket.created'" not in message


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1/hook", "webhook_url_blocked"),
        ("http://0x7f000001/hook", "webhook_url_blocked"),
        ("http://2130706433/hook", "webhook_url_blocked"),
        ("http://017700000001/hook", "webhook_url_blocked"),
        ("http://127.1/hook", "webhook_url_blocked"),
        ("http://[::ffff:127.0.0.1]/hook", "webhook_url_blocked"),
        ("http://[::1]/hook", "webhook_url_blocked"),
        ("http://169.254.169.254/latest/meta-data", "webhook_url_blocked"),
        ("http://10.0.0.8/", "webhook_url_blocked"),
        ("http://100.64.0.1/", "webhook_url_blocked"),
        ("http://198.18.0.1/", "webhook_url_blocked"),
        ("http://[fd00::1]/", "webhook_url_blocked"),
        ("http://localhost:8000/", "webhook_url_blocked"),
        ("ftp://93.184.216.34/", "invalid_webhook_url"),
        ("https://user:pw@93.184.216.34/", "invalid_webhook_url"),
        ("not a url", "invalid_webhook_url"),
        ("https:///nohost", "invalid_webhook_url"),
    ],
)
def test_create_refuses_urls_webhooks_may_not_reach(
    api: Api, brand: Json, unchanged: None, url: str, code: str
) -> None:
    response = api.post(webhooks_path(brand), json={"url": url, "events": ["*"]})
    assert error_fields(assert_problem(response, 422, code)) == {"url"}


def test_create_refuses_a_name_that_does_not_resolve(
    api: Api, brand: Json, unchanged: None, dns: Any
) -> None:
    response = api.post(
        webhooks_path(brand), json={"url": "https://nowhere.example.com/", "events": ["*"]}
    )
    assert_problem(response, 422, "webhook_url_unresolvable")


def test_create_refuses_a_body_that_is_not_json(api: Api, brand: Json, unchanged: None) -> None:
    response = api.post(
        webhooks_path(brand), content=b"{url:", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/json")


# --- Update, rotate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"url": None}, "url", "validation_error"),
        ({"events": None}, "events", "validation_error"),
        ({"enabled": None}, "enabled", "validation_error"),
        ({"events": []}, "events", "validation_error"),
        ({"events": ["ticket.nope"]}, "events", "validation_error"),
        ({"description": "d" * 501}, "description", "validation_error"),
        ({"secret": "a-new-secret-value-123"}, "secret", "validation_error"),
        ({"url": "http://192.168.0.10/"}, "url", "webhook_url_blocked"),
        ({"url": "http://0300.0250.0.10/"}, "url", "webhook_url_blocked"),
        ({"url": "gopher://93.184.216.34/"}, "url", "invalid_webhook_url"),
        # A valid change beside an invalid one is not applied either.
        ({"description": "new", "url": "http://127.0.0.1/"}, "url", "webhook_url_blocked"),
    ],
)
def test_update_refuses_invalid_changes(
    api: Api, brand: Json, webhook: Json, unchanged: None, body: Json, field: str, code: str
) -> None:
    response = api.patch(webhook_path(brand, webhook), json=body)
    assert field in error_fields(assert_problem(response, 422, code))


@pytest.mark.parametrize(
    "body", [{"gracePeriodHours": 169}, {"gracePeriodHours": -1}, {"gracePeriodHours": "day"}]
)
def test_rotate_refuses_an_invalid_grace_period(
    api: Api, brand: Json, webhook: Json, unchanged: None, body: Json
) -> None:
    response = api.post(webhook_path(brand, webhook, "/rotate-secret"), json=body)
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"gracePeriodHours"}


# --- Deliveries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "DONE"}, "status"),
        ({"status": "failed"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"event": "e" * 65}, "event"),
    ],
)
def test_delivery_list_refuses_invalid_filters(
    api: Api, brand: Json, webhook: Json, params: dict[str, str], field: str
) -> None:
    response = api.get(webhook_path(brand, webhook, "/deliveries"), params=params)
    assert error_fields(assert_problem(response, 422, "validation_error")) == {field}


def test_delivery_list_refuses_a_foreign_cursor(api: Api, brand: Json, webhook: Json) -> None:
    response = api.get(
        webhook_path(brand, webhook, "/deliveries"), params={"cursor": "bm90LWEtY3Vyc29y"}
    )
    assert_problem(response, 400, "invalid_cursor")


@pytest.mark.parametrize(
    "body",
    [{}, {"since": "yesterday"}, {"since": "2026-01-15T09:00:00"}, {"since": None}],
)
def test_recover_refuses_a_missing_or_bad_since(
    api: Api, brand: Json, webhook: Json, session: Session, body: Json
) -> None:
    failed = add_delivery(session, webhook, status="FAILED")
    response = api.post(webhook_path(brand, webhook, "/recover"), json=body)
    assert error_fields(assert_problem(response, 422, "validation_error")) == {"since"}
    assert stored_delivery(session, failed.id).status == "FAILED"


# --- Isolation ----------------------------------------------------------------------------


def _every_route(brand_id: str, webhook_id: str, delivery_id: str) -> list[tuple[str, str, Any]]:
    base = f"/brands/{brand_id}/webhooks/{webhook_id}"
    return [
        ("get", base, None),
        ("patch", base, {"description": "taken over"}),
        ("delete", base, None),
        ("post", f"{base}/rotate-secret", None),
        ("post", f"{base}/test", None),
        ("post", f"{base}/recover", {"since": "2020-01-01T00:00:00Z"}),
        ("get", f"{base}/deliveries", None),
        ("get", f"{base}/deliveries/{delivery_id}", None),
        ("post", f"{base}/deliveries/{delivery_id}/retry", None),
    ]


def test_another_account_cannot_reach_a_webhook_or_its_deliveries(
    api: Api,
    other_api: Api,
    brand: Json,
    other_brand: Json,
    webhook: Json,
    session: Session,
    failed: WebhookDelivery,
    unchanged: None,
) -> None:
    delivery = failed
    for brand_id in (brand["id"], other_brand["id"]):
        for method, path, body in _every_route(brand_id, webhook["id"], delivery.id):
            kwargs = {"json": body} if body is not None else {}
            response = getattr(other_api, method)(path, **kwargs)
            assert response.status_code == 404, (method, path, response.text)
    assert other_api.ok("get", webhooks_path(other_brand)) == []
    assert_problem(other_api.get(webhooks_path(brand)), 404, "brand_not_found")
    assert stored_delivery(session, delivery.id).status == "FAILED"


def test_a_webhook_is_reached_only_through_its_own_brand(
    api: Api, brand: Json, webhook: Json, failed: WebhookDelivery, unchanged: None
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    delivery = failed
    for method, path, body in _every_route(sibling["id"], webhook["id"], delivery.id):
        kwargs = {"json": body} if body is not None else {}
        response = getattr(api, method)(path, **kwargs)
        assert_problem(response, 404, "webhook_not_found")
    assert list_webhooks(api, sibling) == []


def test_a_delivery_is_reached_only_through_its_own_webhook(
    api: Api, brand: Json, webhook: Json, session: Session
) -> None:
    other = make_webhook(api, brand, events=["ticket.created"])
    delivery = add_delivery(session, webhook, status="FAILED")
    base = webhook_path(brand, other, f"/deliveries/{delivery.id}")
    assert_problem(api.get(base), 404, "delivery_not_found")
    assert_problem(api.post(f"{base}/retry"), 404, "delivery_not_found")
    assert api.ok("get", webhook_path(brand, other, "/deliveries")) == []
    assert stored_delivery(session, delivery.id).status == "FAILED"


def test_unknown_ids_are_404(api: Api, brand: Json, webhook: Json) -> None:
    assert_problem(api.get(webhook_path(brand, "wh_missing")), 404, "webhook_not_found")
    assert_problem(
        api.get(webhook_path(brand, webhook, "/deliveries/whd_missing")), 404, "delivery_not_found"
    )


def test_requests_without_a_key_are_refused(api: Api, brand: Json, webhook: Json) -> None:
    response = api.client.get(f"/v1{webhook_path(brand, webhook)}")
    assert_problem(response, 401, "authentication_error")
