"""Every contact and company change writes its activity entry and its events, in the
same transaction; a change that changes nothing writes neither."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.contacts.helpers import (
    Json,
    brand_events,
    company_path,
    contact_path,
    make_company,
    make_contact,
)


def logs(api: Api, brand: Json, **params: str) -> list[Json]:
    page = api.ok("get", f"/brands/{brand['id']}/logs", params={"limit": 100, **params})
    entries: list[Json] = page["data"]
    return entries


def test_creating_a_contact_emits_contact_created_and_customer_created_with_the_contact(
    api: Api, brand: Json, session: Session
) -> None:
    contact = make_contact(api, brand, "jane@example.com", name="Jane")

    events = brand_events(session, brand["id"], "contact.created", "customer.created")

    assert [e.type for e in events] == ["contact.created", "customer.created"]
    assert all(e.data == contact for e in events)
    assert all(e.ticket_id is None for e in events)


def test_creating_a_contact_writes_an_activity_entry(api: Api, brand: Json) -> None:
    contact = make_contact(api, brand, "jane@example.com")

    [entry] = logs(api, brand, entityType="contact")

    assert entry["event"] == "contact.created"
    assert entry["entityId"] == contact["id"]
    assert entry["changes"] is None
    assert entry["performedBy"]["type"] == "api"
    assert entry["source"] == "api"


def test_an_auto_linked_contact_names_the_company_in_its_activity_entry(
    api: Api, brand: Json
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")

    make_contact(api, brand, "peter@initech.com")

    [entry] = logs(api, brand, entityType="contact")
    assert entry["metadata"] == {"autoLinkedCompanyId": company["id"]}


def test_updating_a_contact_records_old_and_new_values(
    api: Api, brand: Json, session: Session
) -> None:
    contact = make_contact(api, brand, "jane@example.com", name="Jane", metadata={"a": 1})

    updated = api.ok(
        "patch",
        contact_path(brand, contact),
        json={"name": "Jane Roe", "email": "jroe@example.com", "metadata": {"b": 2}},
    )

    entry = logs(api, brand, entityType="contact", event="contact.updated")[0]
    assert entry["entityId"] == contact["id"]
    assert entry["changes"] == {
        "name": {"old": "Jane", "new": "Jane Roe"},
        "email": {"old": "jane@example.com", "new": "jroe@example.com"},
        "metadata": {"old": {"a": 1}, "new": {"a": 1, "b": 2}},
    }
    [event] = brand_events(session, brand["id"], "contact.updated")
    assert {k: v for k, v in event.data.items() if k not in ("changes", "previous")} == updated
    assert sorted(event.data["changes"]) == ["email", "metadata", "name"]
    assert event.data["previous"]["name"] == "Jane"


def test_a_patch_that_changes_nothing_writes_no_entry_and_no_event(
    api: Api, brand: Json, session: Session
) -> None:
    contact = make_contact(api, brand, "jane@example.com", name="Jane")
    count = len(brand_events(session, brand["id"]))

    same = api.ok("patch", contact_path(brand, contact), json={"name": "Jane", "metadata": {}})

    assert same == contact
    assert len(brand_events(session, brand["id"])) == count
    assert logs(api, brand, event="contact.updated") == []


def test_deleting_a_contact_emits_contact_deleted_with_the_contact(
    api: Api, brand: Json, session: Session
) -> None:
    contact = make_contact(api, brand, "jane@example.com")

    api.ok("delete", contact_path(brand, contact))

    [event] = brand_events(session, brand["id"], "contact.deleted")
    assert event.data["id"] == contact["id"]
    assert event.data["email"] == "jane@example.com"
    assert event.data["deletedAt"] is not None
    [entry] = logs(api, brand, event="contact.deleted")
    assert (entry["entityType"], entry["entityId"]) == ("contact", contact["id"])


def test_company_changes_emit_company_events_and_activity_entries(
    api: Api, brand: Json, session: Session
) -> None:
    company = make_company(api, brand, "Initech")
    updated = api.ok("patch", company_path(brand, company), json={"domain": "initech.com"})
    api.ok("delete", company_path(brand, company), 204)

    events = brand_events(
        session, brand["id"], "company.created", "company.updated", "company.deleted"
    )
    assert [e.type for e in events] == ["company.created", "company.updated", "company.deleted"]
    assert events[0].data == company
    assert {k: v for k, v in events[1].data.items() if k not in ("changes", "previous")} == updated
    assert events[1].data["changes"] == ["domain"]
    assert events[2].data["id"] == company["id"]
    assert events[2].data["deletedAt"] is not None

    entries = logs(api, brand, entityType="company")
    assert [e["event"] for e in reversed(entries)] == [
        "company.created",
        "company.updated",
        "company.deleted",
    ]
    assert entries[1]["changes"] == {"domain": {"old": None, "new": "initech.com"}}
    assert all(e["entityId"] == company["id"] for e in entries)


def test_deleting_a_company_records_each_unlinked_contact(
    api: Api, brand: Json, session: Session
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    peter = make_contact(api, brand, "peter@initech.com")

    api.ok("delete", company_path(brand, company), 204)

    [event] = brand_events(session, brand["id"], "contact.updated")
    assert event.data["id"] == peter["id"]
    assert event.data["companyId"] is None
    assert event.data["previous"] == {"companyId": company["id"]}
    assert event.data["trigger"] == "company_deleted"
    [entry] = logs(api, brand, entityType="contact", event="contact.updated")
    assert entry["changes"] == {"companyId": {"old": company["id"], "new": None}}
    assert entry["metadata"] == {"trigger": "company_deleted"}


def test_a_refused_request_writes_no_event(api: Api, brand: Json, session: Session) -> None:
    make_contact(api, brand, "jane@example.com")
    count = len(brand_events(session, brand["id"]))

    response: Any = api.post(f"/brands/{brand['id']}/contacts", json={"email": "jane@example.com"})

    assert response.status_code == 409
    assert len(brand_events(session, brand["id"])) == count
