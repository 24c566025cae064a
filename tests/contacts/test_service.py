"""The functions ticket creation calls: find_or_create_contact, find_contact_by_email,
get_contact and contacts_for."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.contacts import service
from dispatch.contacts.schemas import ContactOut
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.core.errors import NotFound, ValidationFailed
from tests.conftest import Api
from tests.contacts.helpers import (
    Json,
    activity,
    brand_events,
    company_object,
    contact_path,
    counting_statements,
    get_contact,
    make_company,
    make_contact,
    ticket_of,
)


@pytest.fixture
def brand_row(session: Session, brand: Json) -> Brand:
    found = session.get(Brand, brand["id"])
    assert found is not None
    return found


@pytest.fixture
def actor(api: Api) -> Actor:
    return Actor(ActorKind.API_KEY, Channel.API, api.account_id, name="Ticket intake")


def test_find_or_create_creates_a_contact_with_its_events_and_activity(
    api: Api, brand: Json, session: Session, brand_row: Brand, actor: Actor
) -> None:
    contact = service.find_or_create_contact(
        session, actor, brand_row, email="  Jane@Example.COM ", name=" Jane "
    )

    assert contact.id.startswith("cus_")
    assert (contact.email, contact.name, contact.brand_id) == (
        "jane@example.com",
        "Jane",
        brand["id"],
    )
    session.commit()  # events and activity are written at the commit
    got = get_contact(api, brand, contact.id)
    assert got["email"] == "jane@example.com"
    types = [
        e.type for e in brand_events(session, brand["id"], "contact.created", "customer.created")
    ]
    assert types == ["contact.created", "customer.created"]
    [entry] = activity(session, brand["id"], "contact")
    assert (entry.event, entry.entity_id) == ("contact.created", contact.id)
    assert entry.performed_by == {"type": "api", "name": "Ticket intake"}


def test_find_or_create_finds_an_existing_contact_ignoring_case_and_writes_nothing(
    api: Api, brand: Json, session: Session, brand_row: Brand, actor: Actor
) -> None:
    existing = make_contact(api, brand, "jane@example.com", name="Jane")
    events_before = len(brand_events(session, brand["id"]))

    found = service.find_or_create_contact(
        session, actor, brand_row, email="JANE@example.com", name="Someone Else"
    )

    assert found.id == existing["id"]
    assert found.name == "Jane"
    assert len(brand_events(session, brand["id"])) == events_before
    assert get_contact(api, brand, existing) == existing


def test_find_or_create_fills_a_missing_name_as_an_update(
    api: Api, brand: Json, session: Session, brand_row: Brand, actor: Actor
) -> None:
    existing = make_contact(api, brand, "jane@example.com")

    found = service.find_or_create_contact(
        session, actor, brand_row, email="jane@example.com", name="Jane"
    )

    session.commit()
    assert found.id == existing["id"]
    assert get_contact(api, brand, existing)["name"] == "Jane"
    [event] = brand_events(session, brand["id"], "contact.updated")
    assert event.data["previous"] == {"name": None}
    [entry] = [e for e in activity(session, brand["id"], "contact") if e.event == "contact.updated"]
    assert entry.changes == {"name": {"old": None, "new": "Jane"}}


def test_find_or_create_without_a_name_leaves_the_contact_unnamed(
    session: Session, brand_row: Brand, actor: Actor
) -> None:
    contact = service.find_or_create_contact(
        session, actor, brand_row, email="anon@example.com", name="   "
    )

    assert contact.name is None


def test_find_or_create_links_a_new_contact_to_the_company_of_its_domain(
    api: Api, brand: Json, session: Session, brand_row: Brand, actor: Actor
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")

    contact = service.find_or_create_contact(
        session, actor, brand_row, email="peter@initech.com", name=None
    )

    assert contact.company_id == company["id"]


def test_find_or_create_recreates_a_deleted_contact(
    api: Api, brand: Json, session: Session, brand_row: Brand, actor: Actor
) -> None:
    gone = make_contact(api, brand, "jane@example.com")
    api.ok("delete", contact_path(brand, gone))

    contact = service.find_or_create_contact(
        session, actor, brand_row, email="jane@example.com", name=None
    )

    assert contact.id != gone["id"]


def test_find_or_create_refuses_an_invalid_address(
    session: Session, brand: Json, brand_row: Brand, actor: Actor
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.find_or_create_contact(session, actor, brand_row, email="nope", name=None)

    [error] = refused.value.errors or []
    assert error["field"] == "email"
    assert error["message"].startswith("not a valid email address")
    assert brand_events(session, brand["id"]) == []


def test_find_or_create_truncates_a_long_name(
    session: Session, brand_row: Brand, actor: Actor
) -> None:
    contact = service.find_or_create_contact(
        session, actor, brand_row, email="long@example.com", name="x" * 300
    )

    assert contact.name == "x" * 200


def test_find_contact_by_email_matches_live_contacts_of_the_brand_only(
    api: Api, brand: Json, session: Session
) -> None:
    jane = make_contact(api, brand, "jane@example.com")
    gone = make_contact(api, brand, "gone@example.com")
    api.ok("delete", contact_path(brand, gone))
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    make_contact(api, second, "bob@example.com")

    found = service.find_contact_by_email(session, brand["id"], "JANE@example.com")

    assert found is not None
    assert found.id == jane["id"]
    assert service.find_contact_by_email(session, brand["id"], "gone@example.com") is None
    assert service.find_contact_by_email(session, brand["id"], "bob@example.com") is None


def test_get_contact_is_not_found_for_other_brands_and_deleted_contacts(
    api: Api, brand: Json, session: Session, brand_row: Brand
) -> None:
    jane = make_contact(api, brand, "jane@example.com")
    gone = make_contact(api, brand, "gone@example.com")
    api.ok("delete", contact_path(brand, gone))
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    foreign = make_contact(api, second, "bob@example.com")

    assert service.get_contact(session, brand_row, jane["id"]).email == "jane@example.com"
    for contact_id in (gone["id"], foreign["id"], "cus_missing"):
        with pytest.raises(NotFound) as missing:
            service.get_contact(session, brand_row, contact_id)
        assert missing.value.code == "contact_not_found"


def test_contacts_for_renders_contacts_with_company_and_counts_in_three_queries(
    api: Api, brand: Json, session: Session, connection: Connection
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    contacts = [make_contact(api, brand, f"p{i}@initech.com") for i in range(5)]
    plain = make_contact(api, brand, "solo@example.com")
    ticket_of(api, brand, session, contacts[0])
    ticket_of(api, brand, session, contacts[0])
    gone = make_contact(api, brand, "gone@example.com")
    api.ok("delete", contact_path(brand, gone))
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    foreign = make_contact(api, second, "bob@example.com")
    wanted = [c["id"] for c in contacts] + [plain["id"], gone["id"], foreign["id"], "cus_none"]
    session.expire_all()

    with counting_statements(connection) as statements:
        found = service.contacts_for(session, brand["id"], wanted)

    assert len(statements) <= 3
    assert set(found) == {c["id"] for c in contacts} | {plain["id"]}
    assert all(isinstance(out, ContactOut) for out in found.values())
    first = found[contacts[0]["id"]].model_dump(mode="json", by_alias=True)
    assert first == {**get_contact(api, brand, contacts[0]), "_count": {"tickets": 2}}
    assert first["company"] == company_object(api, brand, company)
    assert found[plain["id"]].company is None


def test_contacts_for_no_ids_runs_no_query(session: Session, connection: Connection) -> None:
    with counting_statements(connection) as statements:
        assert service.contacts_for(session, "br_any", []) == {}

    assert statements == []
