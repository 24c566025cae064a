"""Bad parameters are a 422 in the error envelope; brands out of reach are a 404."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.conftest import scoped_api
from tests.conftest import Api

REPORTS = ["volume", "backlog", "response-times", "time-in-status", "reopens"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"interval": "month"}, "interval"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-01-10", "to": "2026-01-09"}, "from"),
        ({"to": "2026-01-16"}, "to"),  # tomorrow, for the frozen clock
        ({"from": "2025-01-01", "to": "2026-01-15"}, "from"),  # over a year of days
        ({"priority": "whenever"}, "priority"),
        ({"channel": "carrier_pigeon"}, "channel"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(
    api: Api, brand: dict[str, Any], frozen_clock: Any, params: dict[str, str], field: str
) -> None:
    response = api.get(f"/brands/{brand['id']}/analytics/volume", params=params)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["requestId"]


def test_group_by_takes_only_known_groupings(api: Api, brand: dict[str, Any]) -> None:
    response = api.get(f"/brands/{brand['id']}/analytics/response-times?groupBy=weather")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "groupBy"


def test_weeks_may_span_two_years_days_one(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    two_years = {"from": "2024-01-16", "to": "2026-01-15", "interval": "week"}
    body = api.ok("get", f"/brands/{brand['id']}/analytics/volume", params=two_years)
    assert len(body["data"]) == 105

    by_day = api.get(
        f"/brands/{brand['id']}/analytics/volume", params={**two_years, "interval": "day"}
    )
    assert by_day.status_code == 422


def test_the_default_range_is_the_30_days_up_to_today(
    api: Api, brand: dict[str, Any], frozen_clock: Any
) -> None:
    body = api.ok(
        "get", f"/brands/{brand['id']}/analytics/volume", params={"timezone": "Asia/Tokyo"}
    )

    # 09:00 UTC on 15 January is 18:00 in Tokyo: still the 15th there.
    assert (body["period"]["from"], body["period"]["to"]) == ("2025-12-17", "2026-01-15")
    assert len(body["data"]) == 30
    assert body["period"]["start"] == "2025-12-16T15:00:00Z"


@pytest.mark.parametrize("report", REPORTS)
def test_a_key_scoped_to_another_brand_gets_a_404(
    api: Api, brand: dict[str, Any], report: str
) -> None:
    elsewhere = api.ok("post", "/brands", 201, json={"name": "Elsewhere"})
    scoped = scoped_api(api, elsewhere["id"])

    response = scoped.get(f"/brands/{brand['id']}/analytics/{report}")

    assert response.status_code == 404
    assert response.json()["code"] == "brand_not_found"


@pytest.mark.parametrize("report", REPORTS)
def test_another_accounts_brand_is_a_404(
    other_api: Api, brand: dict[str, Any], report: str
) -> None:
    assert other_api.get(f"/brands/{brand['id']}/analytics/{report}").status_code == 404


def test_a_scoped_key_sees_only_its_brands_across_brands(api: Api, brand: dict[str, Any]) -> None:
    elsewhere = api.ok("post", "/brands", 201, json={"name": "Elsewhere"})
    scoped = scoped_api(api, elsewhere["id"])

    body = scoped.ok("get", "/analytics/reopens")
    assert body["brandIds"] == [elsewhere["id"]]

    response = scoped.get("/analytics/volume", params={"brandIds": brand["id"]})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "brandIds", "message": f"Unknown brand {brand['id']!r}"}
    ]


def test_reports_need_a_key(client: Any, brand: dict[str, Any]) -> None:
    assert client.get(f"/v1/brands/{brand['id']}/analytics/volume").status_code == 401
    assert client.get("/v1/analytics/volume").status_code == 401


def test_the_reports_are_documented_in_openapi(client: Any) -> None:
    spec = client.get("/openapi.json").json()

    for report in REPORTS:
        for path in (f"/v1/brands/{{brandId}}/analytics/{report}", f"/v1/analytics/{report}"):
            operation = spec["paths"][path]["get"]
            assert operation["tags"] == ["Analytics"]
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            assert ok["$ref"].startswith("#/components/schemas/")
            assert "422" in operation["responses"]
            assert "404" in operation["responses"]
            names = {p["name"] for p in operation["parameters"]}
            assert {"from", "to", "timezone", "interval", "assigneeId", "channel"} <= names
    volume = spec["components"]["schemas"]["VolumeReport"]["properties"]
    assert {"period", "brandIds", "totals", "data"} <= set(volume)
    assert "from" in spec["components"]["schemas"]["PeriodOut"]["properties"]
