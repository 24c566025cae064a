"""Contacts and companies keep customFields checked against the brand's definitions."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, make_ticket


def _define(api: Api, brand: dict[str, Any], entity: str, **field: Any) -> None:
    api.ok("post", f"/brands/{brand['id']}/fields/{entity}", 201, json=field)


def test_contact_custom_fields_follow_their_definitions(api: Api, brand: dict[str, Any]) -> None:
    _define(
        api,
        brand,
        "contact",
        key="plan",
        label="Plan",
        type="select",
        options=["free", "pro"],
        required=True,
    )
    contacts = f"/brands/{brand['id']}/contacts"

    missing = api.post(contacts, json={"email": "ann@example.com"})
    wrong = api.post(contacts, json={"email": "ann@example.com", "customFields": {"plan": "gold"}})
    created = api.ok(
        "post", contacts, 201, json={"email": "ann@example.com", "customFields": {"plan": "pro"}}
    )

    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["customFields.plan"]
    assert wrong.status_code == 422
    assert created["customFields"] == {"plan": "pro"}
    bad_patch = api.patch(f"{contacts}/{created['id']}", json={"customFields": {"plan": None}})
    assert bad_patch.status_code == 422
    assert api.ok("get", f"{contacts}/{created['id']}")["customFields"] == {"plan": "pro"}


def test_company_custom_fields_follow_their_definitions(api: Api, brand: dict[str, Any]) -> None:
    _define(api, brand, "company", key="seats", label="Seats", type="number", defaultValue=5)
    companies = f"/brands/{brand['id']}/companies"

    created = api.ok("post", companies, 201, json={"name": "Initech"})
    refused = api.patch(f"{companies}/{created['id']}", json={"customFields": {"seats": "many"}})

    assert created["customFields"] == {"seats": 5}
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["customFields.seats"]


def test_contacts_created_by_tickets_skip_required_contact_fields(
    api: Api, brand: dict[str, Any]
) -> None:
    """A required contact field must not stop a customer from opening a ticket."""
    _define(api, brand, "contact", key="plan", label="Plan", type="text", required=True)

    ticket = make_ticket(api, brand, customerEmail="new@example.com")

    assert ticket["customer"]["email"] == "new@example.com"
    assert ticket["customer"]["customFields"] == {}
