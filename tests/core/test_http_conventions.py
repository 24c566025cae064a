"""What every response has in common: request ids, rate-limit headers and one error format."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

from tests.conftest import Api

REQUEST_ID = re.compile(r"^req_[A-Za-z0-9_-]{21}$")
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "message", "code", "requestId"}


def assert_common_headers(response: Any) -> None:
    assert REQUEST_ID.match(response.headers["x-request-id"]), response.headers
    assert int(response.headers["x-ratelimit-limit"]) > 0
    assert int(response.headers["x-ratelimit-remaining"]) >= 0
    assert int(response.headers["x-ratelimit-reset"]) > 1_700_000_000


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:dispatch:error:{code}"
    assert body["title"]
    assert body["message"]
    assert body["detail"] == body["message"]
    assert body["requestId"] == response.headers["x-request-id"]
    assert_common_headers(response)
    return body


def test_health_answers_without_auth_or_rate_limit(client: Any) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
    assert REQUEST_ID.match(response.headers["x-request-id"])
    assert "x-ratelimit-limit" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/brands", 200),
        ("post", "/brands", 201),
        ("get", "/brands/br_unknown", 404),
        ("patch", "/brands/br_unknown", 422),
        ("get", "/accounts/me", 200),
    ],
)
def test_every_api_response_carries_request_id_and_rate_limit_headers(
    api: Api, method: str, path: str, status: int
) -> None:
    kwargs = {"json": {"name": "Headers Inc"}} if method == "post" else {}
    if method == "patch":
        kwargs = {"json": {"name": ""}}
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert_common_headers(response)


def test_401_carries_the_common_headers(client: Any) -> None:
    assert_problem(client.get("/v1/brands"), 401, "authentication_error")


def test_request_ids_are_unique_per_request(api: Api) -> None:
    ids = {api.get("/brands").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_unknown_route_is_404_problem_json(client: Any, api: Api) -> None:
    assert_problem(client.get("/nowhere"), 404, "route_not_found")
    assert_problem(api.get("/no-such-resource"), 404, "route_not_found")


def test_wrong_method_is_405_problem_json(api: Api) -> None:
    body = assert_problem(api.client.put("/v1/brands", json={}), 405, "method_not_allowed")
    assert body["title"] == "Method Not Allowed"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/v1/brands", "GET, POST"),
        ("PUT", "/v1/brands", "GET, POST"),
        ("PUT", "/v1/brands/br_unknown", "DELETE, GET, PATCH"),
    ],
)
def test_405_allow_lists_every_method_of_the_path(
    api: Api, method: str, path: str, allowed: str
) -> None:
    response = api.client.request(method, path, headers={"Authorization": f"Bearer {api.key}"})
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


@pytest.mark.parametrize(
    "content",
    [b'{"name": "Acme"', b"not json", b'{"name": "Acme",}', b"\xff\xfe", b"{'name': 'x'}"],
)
def test_malformed_json_is_400_invalid_json(api: Api, content: bytes) -> None:
    response = api.post("/brands", content=content, headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "invalid_json")
    assert api.ok("get", "/brands") == []


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_invalid_json(
    api: Api, brand: dict[str, Any], constant: str
) -> None:
    response = api.post(
        f"/brands/{brand['id']}/tickets",
        content=f'{{"title": "x", "metadata": {{"n": {constant}}}}}',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_json")
    assert api.ok("get", f"/brands/{brand['id']}/tickets")["data"] == []


def test_validation_error_lists_every_field(api: Api) -> None:
    response = api.post("/brands", json={"name": "", "slug": "Bad Slug", "extra": 1})
    body = assert_problem(response, 422, "validation_error")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"name", "slug", "extra"}
    assert all(e["message"] for e in body["errors"])


def test_body_that_is_not_an_object_is_422(api: Api) -> None:
    body = assert_problem(api.post("/brands", json=["name"]), 422, "validation_error")
    assert body["errors"]


def test_unexpected_error_is_500_problem_json_without_internals(app: FastAPI, client: Any) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_api_route("/v1/explode", explode)
    response = client.get("/v1/explode")
    body = assert_problem(response, 500, "server_error")
    assert "hunter2" not in response.text
    assert body["message"] == "Internal server error"


def test_errors_are_plain_json_so_reference_clients_read_their_message(api: Api) -> None:
    # The reference's clients parse an error body only when its type is application/json.
    response = api.post("/brands", json={"name": ""}, headers={"Accept": "application/json"})
    body = assert_problem(response, 422, "validation_error")
    assert body["message"].startswith("Invalid request: name:")
    assert body["errors"][0]["field"] == "name"


@pytest.mark.parametrize(
    "accept",
    [
        "application/problem+json",
        "application/json, application/problem+json",
        "application/problem+json;q=0.9, */*;q=0.1",
    ],
)
def test_errors_are_problem_json_when_accept_asks_for_it(api: Api, accept: str) -> None:
    response = api.post("/brands", json={"name": ""}, headers={"Accept": accept})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


def test_problem_json_refused_with_q_zero_is_not_sent(api: Api) -> None:
    response = api.get("/brands/br_unknown", headers={"Accept": "application/problem+json;q=0"})
    assert_problem(response, 404, "brand_not_found")


def test_errors_answered_by_middleware_follow_accept_too(api: Api) -> None:
    response = api.get("/brands?x=%00", headers={"Accept": "application/problem+json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert_problem(api.get("/brands?x=%00"), 400, "invalid_characters")
