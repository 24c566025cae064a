"""Getting a portal token: minted by the brand's backend, or by a magic link; refreshed;
refused when expired, forged, rotated or otherwise no good."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.portal.helpers import (
    APP_ORIGIN,
    Customer,
    customer,
    links_sent,
    mint,
    portal_brand,
    problem,
    sent_link_token,
)


def test_minting_finds_or_creates_the_customer_and_company(api: Api) -> None:
    brand = portal_brand(api)
    first = mint(
        api, brand, "Jane@Corp.test", name="Jane", companyName="Corp Inc", sourceOrgId="org_42"
    )
    assert set(first) == {"token", "expiresAt", "customerId", "email", "name"}
    assert (first["email"], first["name"]) == ("jane@corp.test", "Jane")
    assert first["customerId"].startswith("cus_")
    again = mint(api, brand, "jane@corp.test")
    assert again["customerId"] == first["customerId"]
    contact = api.ok("get", f"/brands/{brand['id']}/contacts/{first['customerId']}")
    assert contact["company"]["name"] == "Corp Inc"
    assert contact["metadata"] == {"sourceOrgId": "org_42"}


def test_minting_needs_a_key_that_reaches_the_brand(api: Api, other_api: Api) -> None:
    brand = portal_brand(api)
    response = other_api.post(f"/brands/{brand['id']}/portal/token", json={"email": "a@b.test"})
    problem(response, 404, "brand_not_found")
    response = api.client.post(f"/v1/brands/{brand['id']}/portal/token", json={"email": "a@b.test"})
    assert response.status_code == 401


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": "a@b.test", "extra": 1}])
def test_minting_refuses_bad_input(api: Api, body: dict[str, Any]) -> None:
    brand = portal_brand(api)
    response = api.post(f"/brands/{brand['id']}/portal/token", json=body)
    assert response.status_code == 422, response.text


def test_a_minted_token_works_and_refreshes(api: Api) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    fresh = jane.ok("post", "/refresh")
    assert fresh["customerId"] == jane.id
    renewed = Customer(jane.client, fresh["token"], jane.id, jane.email)
    assert renewed.ok("get", "/tickets")["data"] == []


def test_an_expired_token_is_refused(api: Api, frozen_clock: Any) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    frozen_clock.advance(hours=1, seconds=1)
    problem(jane.get("/tickets"), 401, "invalid_token")
    problem(jane.post("/refresh"), 401, "invalid_token")


def test_rotating_the_secret_ends_every_token(api: Api) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    assert api.ok("post", f"/brands/{brand['id']}/portal/rotate-secret") == {"success": True}
    problem(jane.get("/tickets"), 401, "invalid_token")
    assert customer(api, brand, "jane@corp.test").get("/tickets").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer garbage", "Basic abc", "Bearer a.b.c"])
def test_missing_or_garbage_tokens_are_refused(api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/v1/portal/tickets", headers=headers)
    problem(response, 401, "invalid_token")
    assert "data" not in response.json()


def test_an_api_key_is_no_portal_token_and_a_portal_token_no_api_key(api: Api) -> None:
    brand = portal_brand(api)
    problem(api.get("/portal/tickets"), 401, "invalid_token")
    jane = customer(api, brand, "jane@corp.test")
    response = api.client.get(f"/v1/brands/{brand['id']}/tickets", headers=jane.headers())
    assert response.status_code == 401


def test_a_token_of_a_deleted_customer_is_refused(api: Api) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    api.ok("delete", f"/brands/{brand['id']}/contacts/{jane.id}")
    problem(jane.get("/tickets"), 401, "invalid_token")


# --- magic links ----------------------------------------------------------------------------


def _send(api: Api, brand: dict[str, Any], email: str, url: str = f"{APP_ORIGIN}/portal") -> Any:
    return api.post(
        f"/brands/{brand['id']}/portal/magic-link", json={"email": email, "portalUrl": url}
    )


def test_a_magic_link_signs_the_customer_in_once(api: Api, session: Session) -> None:
    brand = portal_brand(api)
    assert _send(api, brand, "New@Corp.test").json() == {"success": True}
    raw = sent_link_token(session, "new@corp.test")
    signed_in = api.client.post("/v1/portal/verify", json={"token": raw})
    assert signed_in.status_code == 200, signed_in.text
    body = signed_in.json()
    assert set(body) == {"token", "expiresAt", "customerId", "email", "name"}
    assert body["email"] == "new@corp.test"
    new = Customer(api.client, body["token"], body["customerId"], body["email"])
    assert new.ok("get", "/tickets")["data"] == []
    problem(api.client.post("/v1/portal/verify", json={"token": raw}), 401, "invalid_token")


def test_the_link_is_the_portal_url_with_the_token(api: Api, session: Session) -> None:
    brand = portal_brand(api)
    _send(api, brand, "jane@corp.test", f"{APP_ORIGIN}/help?lang=en#top")
    session.expire_all()
    from sqlalchemy import select

    from dispatch.email.models import OutboundEmail

    email = session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "portal_link")).one()
    assert f"{APP_ORIGIN}/help?lang=en&token=" in email.text_body
    assert email.from_name == "Acme Store"


def test_a_magic_link_expires(api: Api, session: Session, frozen_clock: Any) -> None:
    brand = portal_brand(api)
    _send(api, brand, "jane@corp.test")
    frozen_clock.advance(minutes=16)
    raw = sent_link_token(session, "jane@corp.test")
    problem(api.client.post("/v1/portal/verify", json={"token": raw}), 401, "invalid_token")


def test_a_magic_link_never_tells_whether_the_address_is_known(api: Api, session: Session) -> None:
    brand = portal_brand(api)
    customer(api, brand, "known@corp.test")
    known = _send(api, brand, "known@corp.test")
    unknown = _send(api, brand, "stranger@corp.test")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.json() == {"success": True}


def test_too_many_links_to_one_address_are_dropped_quietly(api: Api, session: Session) -> None:
    brand = portal_brand(api)
    for _ in range(7):
        assert _send(api, brand, "flood@corp.test").json() == {"success": True}
    assert links_sent(session, "flood@corp.test") == 5


@pytest.mark.parametrize(
    "url",
    [
        "https://phish.test/login",
        "https://app.acme.test.phish.test/",
        "http://app.acme.test/",
        "javascript:alert(1)",
        "ftp://app.acme.test/",
        "not a url",
    ],
)
def test_magic_links_only_point_at_the_brand_s_portal(api: Api, session: Session, url: str) -> None:
    brand = portal_brand(api)
    response = _send(api, brand, "jane@corp.test", url)
    assert response.status_code == 422, response.text
    assert links_sent(session, "jane@corp.test") == 0


def test_magic_links_may_point_at_the_hosted_portal(api: Api, session: Session) -> None:
    brand = portal_brand(api, origins=[])
    url = f"http://testserver/support/{brand['slug']}/verify"
    assert _send(api, brand, "jane@corp.test", url).json() == {"success": True}
    assert links_sent(session, "jane@corp.test") == 1
    other = f"http://testserver/support/{brand['slug']}-evil/verify"
    assert _send(api, brand, "jane@corp.test", other).status_code == 422


def test_verify_refuses_garbage(api: Api) -> None:
    problem(api.client.post("/v1/portal/verify", json={"token": "x" * 40}), 401, "invalid_token")
    assert api.client.post("/v1/portal/verify", json={}).status_code == 422
