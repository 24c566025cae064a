"""CORS of the portal API: exact origins of the brands' portalOrigins, preflights
answered, never a wildcard, `Vary: Origin`; a token's brand decides its real requests."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.portal.helpers import APP_ORIGIN, customer, portal_brand, problem

OTHER_ORIGIN = "https://globex.test"


def _preflight(api: Api, origin: str, path: str = "/v1/portal/tickets") -> Any:
    return api.client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-idempotency-key",
        },
    )


def test_a_preflight_from_a_brand_s_origin_is_answered(api: Api) -> None:
    portal_brand(api)
    response = _preflight(api, APP_ORIGIN)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-idempotency-key"} <= {
        h.strip() for h in allowed.split(",")
    }
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in response.headers


def test_a_preflight_from_any_other_origin_is_refused(api: Api) -> None:
    portal_brand(api)
    for origin in ("https://evil.test", "null", f"{APP_ORIGIN}:8443", "http://app.acme.test"):
        response = _preflight(api, origin)
        problem(response, 401, "origin_not_allowed")
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["vary"] == "Origin"


def test_a_request_from_the_token_s_brand_origin_may_read_the_answer(api: Api) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    response = jane.get("/tickets", headers={"Origin": APP_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "X-Request-Id" in response.headers["access-control-expose-headers"]
    assert response.headers["vary"] == "Origin"


def test_an_origin_of_another_brand_gets_nothing_of_this_one(api: Api) -> None:
    brand = portal_brand(api)
    portal_brand(api, "Globex", origins=[OTHER_ORIGIN])
    jane = customer(api, brand, "jane@corp.test")
    ticket = jane.ok("post", "/tickets", 201, json={"title": "Private"})

    assert _preflight(api, OTHER_ORIGIN).status_code == 204  # Globex's own portal
    for method, path, body in (
        ("get", "/tickets", None),
        ("get", f"/tickets/{ticket['id']}", None),
        ("post", "/tickets", {"title": "Sneaky"}),
    ):
        kwargs: dict[str, Any] = {"headers": {"Origin": OTHER_ORIGIN}}
        if body:
            kwargs["json"] = body
        response = getattr(jane, method)(path, **kwargs)
        problem(response, 401, "origin_not_allowed")
        assert "Private" not in response.text
    assert [t["title"] for t in jane.ok("get", "/tickets")["data"]] == ["Private"]


def test_an_unlisted_origin_gets_no_cors_headers(api: Api) -> None:
    brand = portal_brand(api)
    jane = customer(api, brand, "jane@corp.test")
    response = jane.get("/tickets", headers={"Origin": "https://evil.test"})
    problem(response, 401, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers


def test_errors_are_readable_by_a_portal_origin(api: Api) -> None:
    portal_brand(api)
    response = api.client.get(
        "/v1/portal/tickets", headers={"Origin": APP_ORIGIN, "Authorization": "Bearer expired"}
    )
    problem(response, 401, "invalid_token")
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN


def test_a_server_without_origin_needs_no_cors(api: Api) -> None:
    brand = portal_brand(api, origins=[])
    jane = customer(api, brand, "jane@corp.test")
    response = jane.get("/tickets")
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_verify_from_a_browser_follows_the_link_s_brand(api: Api, session: Any) -> None:
    from tests.portal.helpers import sent_link_token

    brand = portal_brand(api)
    api.ok(
        "post",
        f"/brands/{brand['id']}/portal/magic-link",
        json={"email": "jane@corp.test", "portalUrl": f"{APP_ORIGIN}/in"},
    )
    raw = sent_link_token(session, "jane@corp.test")
    refused = api.client.post(
        "/v1/portal/verify", json={"token": raw}, headers={"Origin": "https://evil.test"}
    )
    problem(refused, 401, "origin_not_allowed")
    accepted = api.client.post(
        "/v1/portal/verify", json={"token": raw}, headers={"Origin": APP_ORIGIN}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["access-control-allow-origin"] == APP_ORIGIN


def test_no_wildcard_ever(api: Api) -> None:
    brand = portal_brand(api, origins=[APP_ORIGIN, OTHER_ORIGIN])
    jane = customer(api, brand, "jane@corp.test")
    for origin in (APP_ORIGIN, OTHER_ORIGIN):
        response = jane.get("/tickets", headers={"Origin": origin})
        assert response.headers["access-control-allow-origin"] == origin
    assert all(
        _preflight(api, o).headers.get("access-control-allow-origin") != "*"
        for o in (APP_ORIGIN, "https://x.test")
    )


def test_the_brand_endpoints_are_server_to_server(api: Api) -> None:
    brand = portal_brand(api)
    response = api.post(
        f"/brands/{brand['id']}/portal/token",
        json={"email": "jane@corp.test"},
        headers={"Origin": APP_ORIGIN},
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
