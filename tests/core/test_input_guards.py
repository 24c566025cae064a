"""NUL characters: PostgreSQL stores them in neither text nor JSON, so they are refused at
the edge on every route, never left to fail in the database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/brands", {"name": "Acme\x00"}, "name"),
        ("/accounts/me/members", {"email": "a@example.com", "name": "N\x00"}, "name"),
        ("/accounts/me/api-keys", {"name": "ci\x00"}, "name"),
    ],
)
def test_a_nul_character_in_any_request_body_is_a_422_naming_the_field(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    response = api.post(path, json=body)

    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_nul_character_nested_in_a_status_body_is_refused(
    api: Api, brand: dict[str, Any]
) -> None:
    response = api.post(f"/brands/{brand['id']}/statuses", json={"name": "Wait\x00", "key": "wait"})

    assert response.status_code == 422
    assert api.ok("get", f"/brands/{brand['id']}/statuses")[-1]["key"] == "closed"


@pytest.mark.parametrize("path", ["/brands/br_%00x", "/brands/br_%00x/tickets", "/brands?x=%00"])
def test_a_nul_character_in_the_url_is_a_400_before_routing(api: Api, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"
    assert response.headers["x-request-id"].startswith("req_")
