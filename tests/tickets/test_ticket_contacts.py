"""Tickets and their contact: both request forms (`customerEmail`/`customerName` and
`customFields.requesterEmail`/`requesterName`) find or create the brand's contact, which
the ticket embeds with its company."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from dispatch.contacts.models import Contact
from tests.conftest import Api, make_ticket
from tests.contacts.helpers import (
    company_object,
    contact_path,
    contacts_path,
    counting_statements,
    get_contact,
    make_company,
    make_contact,
)
from tests.tickets.helpers import (
    error_fields,
    events_of,
    events_of_brand,
    get_ticket,
    listed_ids,
    problem,
    ticket_rows,
    tickets_path,
)

Json = dict[str, Any]
# The two request forms of one contact.
FORMS = {
    "customer": lambda email, name: {"customerEmail": email, "customerName": name},
    "requester": lambda email, name: {
        "customFields": {"requesterEmail": email, "requesterName": name}
    },
}


def contact_rows(session: Session, brand_id: str) -> list[Contact]:
    session.expire_all()
    stmt = select(Contact).where(Contact.brand_id == brand_id).order_by(Contact.created_at)
    return list(session.scalars(stmt))


@pytest.mark.parametrize("form", FORMS)
def test_create_makes_a_contact_and_links_and_embeds_it(
    api: Api, brand: Json, session: Session, form: str
) -> None:
    ticket = make_ticket(api, brand, **FORMS[form]("Jane@Example.com", "Jane Doe"))

    [row] = contact_rows(session, brand["id"])
    assert row.email == "jane@example.com"
    assert row.name == "Jane Doe"
    assert ticket["customerId"] == row.id
    assert ticket["customerEmail"] == "jane@example.com"
    assert ticket["customerName"] == "Jane Doe"
    customer = ticket["customer"]
    assert customer["id"] == row.id
    assert customer["email"] == "jane@example.com"
    assert customer["name"] == "Jane Doe"
    assert customer["company"] is None
    assert customer["_count"] == {"tickets": 1}
    assert get_ticket(api, brand, ticket)["customer"] == customer
    assert get_contact(api, brand, row.id)["email"] == "jane@example.com"


@pytest.mark.parametrize(
    ("first", "second"), [("customer", "requester"), ("requester", "customer")]
)
def test_repeated_emails_in_any_case_and_form_share_one_contact(
    api: Api, brand: Json, session: Session, first: str, second: str
) -> None:
    one = make_ticket(api, brand, **FORMS[first]("sam@example.org", "Sam"))
    two = make_ticket(api, brand, **FORMS[second]("SAM@Example.ORG", "Samuel"))
    three = make_ticket(api, brand, customerEmail="Sam@example.org")

    [row] = contact_rows(session, brand["id"])
    assert one["customerId"] == two["customerId"] == three["customerId"] == row.id
    assert row.name == "Sam"  # a known contact keeps its name
    assert get_contact(api, brand, row.id)["_count"] == {"tickets": 3}
    assert get_ticket(api, brand, one)["customer"]["_count"] == {"tickets": 3}


def test_a_contact_created_beforehand_is_used_and_a_missing_name_filled(
    api: Api, brand: Json, session: Session
) -> None:
    named = make_contact(api, brand, "named@example.com", name="Named Already")
    nameless = make_contact(api, brand, "nameless@example.com")

    first = make_ticket(api, brand, customerEmail="NAMED@example.com", customerName="Other")
    second = make_ticket(
        api, brand, customFields={"requesterEmail": "nameless@example.com", "requesterName": "Nia"}
    )

    assert first["customerId"] == named["id"]
    assert second["customerId"] == nameless["id"]
    assert len(contact_rows(session, brand["id"])) == 2
    assert get_contact(api, brand, named)["name"] == "Named Already"
    assert get_contact(api, brand, nameless)["name"] == "Nia"
    assert second["customer"]["name"] == "Nia"
    # The ticket keeps the name it was given for its own record.
    assert first["customerName"] == "Other"


def test_a_new_contact_emits_customer_created_once(api: Api, brand: Json, session: Session) -> None:
    make_ticket(api, brand, customerEmail="new@example.com")
    make_ticket(api, brand, customerEmail="New@example.com")

    events = events_of_brand(session, brand["id"])
    for event_type in ("customer.created", "contact.created"):
        created = [e for e in events if e.type == event_type]
        assert [e.data["email"] for e in created] == ["new@example.com"]


@pytest.mark.parametrize("form", FORMS)
def test_a_contact_at_a_company_domain_is_linked_and_embedded_with_the_company(
    api: Api, brand: Json, form: str
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")

    ticket = make_ticket(api, brand, **FORMS[form]("Bob@INITECH.com", "Bob"))

    customer = ticket["customer"]
    assert customer["companyId"] == company["id"]
    assert customer["company"] == company_object(api, brand, company)
    assert get_ticket(api, brand, ticket)["customer"]["company"] == customer["company"]
    [listed] = api.ok("get", tickets_path(brand))["data"]
    assert listed["customer"]["company"] == customer["company"]


def test_listing_tickets_of_contacts_at_many_companies_runs_the_same_queries_as_at_few(
    api: Api, brand: Json, connection: Connection
) -> None:
    def statements_for_list() -> int:
        with counting_statements(connection) as statements:
            api.ok("get", tickets_path(brand))
        return len(statements)

    def add_tickets(first: int, last: int) -> None:
        for i in range(first, last):
            make_company(api, brand, f"Company {i}", domain=f"c{i}.example.com")
            make_ticket(api, brand, customerEmail=f"p{i}@c{i}.example.com")

    add_tickets(0, 2)
    few = statements_for_list()
    add_tickets(2, 10)

    many = statements_for_list()

    assert many == few
    listed = api.ok("get", tickets_path(brand))["data"]
    assert all(t["customer"]["company"]["_count"] == {"customers": 1} for t in listed)


def test_a_contact_at_another_domain_or_free_mail_gets_no_company(api: Api, brand: Json) -> None:
    make_company(api, brand, "Initech", domain="initech.com")

    elsewhere = make_ticket(api, brand, customerEmail="bob@initech.co")
    free = make_ticket(api, brand, customerEmail="bob@gmail.com")

    assert elsewhere["customer"]["company"] is None
    assert free["customer"]["company"] is None


def test_the_ticket_created_event_names_the_contact(
    api: Api, brand: Json, session: Session
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    ticket = make_ticket(api, brand, customerEmail="bob@initech.com", customerName="Bob")

    [event] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.created"]

    assert event.data["customerId"] == ticket["customerId"]
    assert event.data["customerEmail"] == "bob@initech.com"
    assert event.data["customerName"] == "Bob"
    assert event.data["ticket"]["customer"]["company"]["id"] == company["id"]


def test_contacts_are_per_brand(api: Api, brand: Json, session: Session) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})

    here = make_ticket(api, brand, customerEmail="jane@example.com")
    there = make_ticket(api, sibling, customerEmail="jane@example.com")

    assert here["customerId"] != there["customerId"]
    assert len(contact_rows(session, brand["id"])) == 1
    assert len(contact_rows(session, sibling["id"])) == 1
    assert there["customer"]["brandId"] == sibling["id"]


def test_a_deleted_contacts_address_makes_a_new_contact(api: Api, brand: Json) -> None:
    old = make_ticket(api, brand, customerEmail="gone@example.com")
    api.ok("delete", contact_path(brand, old["customerId"]))

    new = make_ticket(api, brand, customerEmail="gone@example.com")

    assert new["customerId"] != old["customerId"]
    assert new["customer"]["email"] == "gone@example.com"
    assert get_ticket(api, brand, old)["customer"] is None


def test_a_ticket_without_an_address_has_no_contact(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerName="Anonymous", customFields={"requesterName": "X"})

    assert ticket["customerId"] is None
    assert ticket["customer"] is None
    assert contact_rows(session, brand["id"]) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customerEmail": "not-an-address"}, "customerEmail"),
        ({"customFields": {"requesterEmail": "not-an-address"}}, "customFields.requesterEmail"),
        ({"customFields": {"requesterEmail": 42}}, "customFields.requesterEmail"),
    ],
)
def test_a_bad_address_is_422_and_creates_nothing(
    api: Api, brand: Json, session: Session, body: Json, field: str
) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", **body})

    assert error_fields(problem(response, 422)) == [field]
    assert contact_rows(session, brand["id"]) == []
    assert ticket_rows(session, brand["id"]) == 0


def test_list_filters_by_customer_id_and_customer_email(api: Api, brand: Json) -> None:
    jane = make_ticket(api, brand, customerEmail="jane@example.com")
    jane_again = make_ticket(api, brand, customFields={"requesterEmail": "JANE@example.com"})
    sam = make_ticket(api, brand, customerEmail="sam@example.com")
    make_ticket(api, brand)

    by_id = listed_ids(api, brand, customerId=jane["customerId"])
    by_email = listed_ids(api, brand, customerEmail="Jane@Example.com")

    assert sorted(by_id) == sorted([jane["id"], jane_again["id"]])
    assert sorted(by_email) == sorted(by_id)
    assert listed_ids(api, brand, customerId=sam["customerId"]) == [sam["id"]]
    assert listed_ids(api, brand, customerEmail="nobody@example.com") == []


def test_a_contacts_ticket_count_follows_its_tickets(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    make_ticket(api, brand, customerEmail="jane@example.com")

    api.ok("delete", f"{tickets_path(brand)}/{ticket['id']}")

    listed = api.ok("get", contacts_path(brand))["data"]
    assert [(c["email"], c["_count"]["tickets"]) for c in listed] == [("jane@example.com", 1)]


def test_one_contact_row_per_address_whatever_the_number_of_tickets(
    api: Api, brand: Json, session: Session
) -> None:
    for i in range(4):
        make_ticket(api, brand, customerEmail=["a@x.io", "A@x.io", "b@x.io", "B@X.IO"][i])

    stmt = select(func.count()).select_from(Contact).where(Contact.brand_id == brand["id"])
    assert session.scalar(stmt) == 2
