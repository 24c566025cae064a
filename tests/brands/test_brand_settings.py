"""PATCH /brands/:id settings: CSAT, portal origins, SLA; a refused change changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api


def patch_refused(api: Api, brand: dict[str, Any], body: Any, *, field: str) -> dict[str, Any]:
    """PATCH must fail with 422 naming `field`, and leave the brand exactly as it was."""
    before = api.ok("get", f"/brands/{brand['id']}")
    kwargs = {"content": body, "headers": {"Content-Type": "application/json"}}
    response = (
        api.patch(f"/brands/{brand['id']}", **kwargs)
        if isinstance(body, str)
        else api.patch(f"/brands/{brand['id']}", json=body)
    )
    assert response.status_code == 422, response.text
    problem: dict[str, Any] = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["field"].split(".")[0] == field, problem
    assert api.ok("get", f"/brands/{brand['id']}") == before
    return problem


# --- CSAT ----------------------------------------------------------------------------------


@pytest.mark.parametrize("csat_type", ["thumbs", "scale5", "scale10"])
def test_csat_type_accepts_the_three_kinds(api: Api, brand: dict[str, Any], csat_type: str) -> None:
    updated = api.ok(
        "patch",
        f"/brands/{brand['id']}",
        json={"csatEnabled": True, "csatType": csat_type, "csatDelayMinutes": 120},
    )
    assert (updated["csatEnabled"], updated["csatType"], updated["csatDelayMinutes"]) == (
        True,
        csat_type,
        120,
    )


@pytest.mark.parametrize("csat_type", ["stars", "SCALE5", "", 5])
def test_unknown_csat_type_is_422(api: Api, brand: dict[str, Any], csat_type: Any) -> None:
    patch_refused(api, brand, {"csatType": csat_type, "name": "Changed"}, field="csatType")


@pytest.mark.parametrize("minutes", [0, -5, 43_201, 1.5])
def test_csat_delay_out_of_range_is_422(api: Api, brand: dict[str, Any], minutes: Any) -> None:
    patch_refused(api, brand, {"csatDelayMinutes": minutes}, field="csatDelayMinutes")


# --- Portal origins ------------------------------------------------------------------------


def test_portal_origins_are_normalised(api: Api, brand: dict[str, Any]) -> None:
    updated = api.ok(
        "patch",
        f"/brands/{brand['id']}",
        json={
            "portalOrigins": [
                "https://App.Example.com/",
                " http://localhost:3000 ",
                "https://shop.example.com:443",
                "http://[::1]:8080",
            ]
        },
    )
    assert updated["portalOrigins"] == [
        "https://app.example.com",
        "http://localhost:3000",
        "https://shop.example.com",
        "http://[::1]:8080",
    ]
    assert api.ok("get", f"/brands/{brand['id']}")["portalOrigins"] == updated["portalOrigins"]


def test_portal_origins_can_be_cleared(api: Api, brand: dict[str, Any]) -> None:
    api.ok("patch", f"/brands/{brand['id']}", json={"portalOrigins": ["https://a.example.com"]})
    assert (
        api.ok("patch", f"/brands/{brand['id']}", json={"portalOrigins": []})["portalOrigins"] == []
    )
    api.ok("patch", f"/brands/{brand['id']}", json={"portalOrigins": ["https://a.example.com"]})
    assert (
        api.ok("patch", f"/brands/{brand['id']}", json={"portalOrigins": None})["portalOrigins"]
        == []
    )


@pytest.mark.parametrize(
    "origins",
    [
        pytest.param(["https://a.example.com", "https://A.example.com/"], id="same-after-case"),
        pytest.param(["https://a.example.com", "https://a.example.com:443"], id="default-port"),
        pytest.param(["http://a.example.com:80", "http://a.example.com"], id="default-http-port"),
    ],
)
def test_duplicate_portal_origins_are_refused(
    api: Api, brand: dict[str, Any], origins: list[str]
) -> None:
    problem = patch_refused(api, brand, {"portalOrigins": origins}, field="portalOrigins")
    assert "duplicate" in problem["message"]


@pytest.mark.parametrize(
    "origin",
    [
        "example.com",
        "ftp://example.com",
        "https://",
        "https://example.com/path",
        "https://example.com?x=1",
        "https://example.com#top",
        "https://user@example.com",
        "https://:secret@example.com",
        "https://example.com:99999",
        "https://example.com:abc",
        "javascript:alert(1)",
        "*",
    ],
)
def test_invalid_portal_origin_is_refused(api: Api, brand: dict[str, Any], origin: str) -> None:
    patch_refused(api, brand, {"portalOrigins": [origin]}, field="portalOrigins")


def test_too_many_portal_origins_are_refused(api: Api, brand: dict[str, Any]) -> None:
    origins = [f"https://s{i}.example.com" for i in range(101)]
    patch_refused(api, brand, {"portalOrigins": origins}, field="portalOrigins")


# --- SLA -----------------------------------------------------------------------------------


def test_sla_settings_are_stored(api: Api, brand: dict[str, Any]) -> None:
    hours = {"start": "08:30", "end": "18:00", "days": [5, 1, 3], "timezone": "Europe/Berlin"}
    updated = api.ok(
        "patch",
        f"/brands/{brand['id']}",
        json={
            "slaEnabled": True,
            "slaDefaultHours": 48,
            "slaByPriority": {"urgent": 2, "high": 8.5, "medium": 36},
            "slaBusinessHoursOnly": True,
            "slaBusinessHours": hours,
            "slaNotifyOverdue": False,
        },
    )
    assert updated["slaEnabled"] is True
    assert updated["slaDefaultHours"] == 48
    assert updated["slaByPriority"] == {"urgent": 2, "high": 8.5, "medium": 36}
    assert updated["slaBusinessHours"] == {**hours, "days": [1, 3, 5]}
    assert updated["slaBusinessHoursOnly"] is True
    assert updated["slaNotifyOverdue"] is False
    assert api.ok("get", f"/brands/{brand['id']}") == updated


@pytest.mark.parametrize(
    "hours",
    [
        pytest.param({"start": "25:00", "end": "17:00"}, id="hour-25"),
        pytest.param({"start": "9:00", "end": "17:00"}, id="one-digit-hour"),
        pytest.param({"start": "09:60", "end": "17:00"}, id="minute-60"),
        pytest.param({"start": "09:00", "end": "5pm"}, id="am-pm"),
        pytest.param({"start": "09:00", "end": "17:00:00"}, id="seconds"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, id="unknown-zone"),
        pytest.param({"timezone": ""}, id="empty-zone"),
        pytest.param({"timezone": "../../etc/passwd"}, id="path-as-zone"),
        pytest.param({"days": [7]}, id="day-7"),
        pytest.param({"days": [-1]}, id="day-negative"),
        pytest.param({"days": [1, 1]}, id="day-twice"),
        pytest.param({"days": []}, id="no-days"),
        pytest.param({"days": ["mon"]}, id="day-name"),
        pytest.param({"extra": True}, id="unknown-key"),
    ],
)
def test_invalid_business_hours_are_refused(
    api: Api, brand: dict[str, Any], hours: dict[str, Any]
) -> None:
    valid = {"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5], "timezone": "UTC"}
    patch_refused(
        api,
        brand,
        {"slaEnabled": True, "slaBusinessHours": {**valid, **hours}},
        field="slaBusinessHours",
    )


def test_business_hours_missing_a_part_are_refused(api: Api, brand: dict[str, Any]) -> None:
    patch_refused(
        api,
        brand,
        {"slaBusinessHours": {"start": "09:00", "end": "17:00"}},
        field="slaBusinessHours",
    )


@pytest.mark.parametrize(
    "by_priority",
    [
        pytest.param({"critical": 1}, id="unknown-priority"),
        pytest.param({"Urgent": 1}, id="wrong-case"),
        pytest.param({"urgent": 0}, id="zero-hours"),
        pytest.param({"urgent": -4}, id="negative-hours"),
        pytest.param({"urgent": "soon"}, id="not-a-number"),
        pytest.param({"urgent": 1_000_000}, id="absurdly-long"),
    ],
)
def test_invalid_sla_by_priority_is_refused(
    api: Api, brand: dict[str, Any], by_priority: dict[str, Any]
) -> None:
    patch_refused(api, brand, {"slaByPriority": by_priority}, field="slaByPriority")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(api: Api, brand: dict[str, Any], constant: str) -> None:
    # Python's JSON parser accepts these tokens; they are not JSON and no column can hold them.
    for body in (
        f'{{"slaByPriority": {{"urgent": {constant}}}}}',
        f'{{"slaDefaultHours": {constant}}}',
        f'{{"metadata": {{"score": {constant}}}}}',
    ):
        before = api.ok("get", f"/brands/{brand['id']}")
        response = api.patch(
            f"/brands/{brand['id']}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= response.status_code < 500, (body, response.text)
        assert response.headers["content-type"] == "application/json"
        assert api.ok("get", f"/brands/{brand['id']}") == before


@pytest.mark.parametrize("value", [0, -1, 100_001])
def test_sla_default_hours_out_of_range_is_refused(
    api: Api, brand: dict[str, Any], value: int
) -> None:
    patch_refused(api, brand, {"slaDefaultHours": value}, field="slaDefaultHours")


def test_one_bad_field_refuses_the_whole_patch(api: Api, brand: dict[str, Any]) -> None:
    patch_refused(
        api,
        brand,
        {
            "name": "Renamed",
            "csatEnabled": True,
            "portalOrigins": ["https://ok.example.com"],
            "slaByPriority": {"urgent": 1, "someday": 1000},
        },
        field="slaByPriority",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fromEmail", "not-an-email"),
        ("autoresponseSubject", "x" * 201),
        ("iconUrl", "ftp://example.com/icon.png"),
        ("inboundEmailEnabled", "sometimes"),
        ("settings", ["not", "an", "object"]),
    ],
)
def test_other_invalid_fields_are_refused(
    api: Api, brand: dict[str, Any], field: str, value: Any
) -> None:
    patch_refused(api, brand, {field: value, "name": "Renamed"}, field=field)
