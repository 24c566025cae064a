"""The contact list (filters, sorts, cursor pages, ticket counts, blocked senders) and
the autocomplete search."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tests.conftest import Api
from tests.contacts.helpers import (
    CONTACT_COLLECTIONS,
    Json,
    all_pages,
    assert_problem,
    block_sender,
    company_object,
    contact_path,
    contacts_path,
    counting_statements,
    get_contact,
    list_contacts,
    listed_emails,
    make_company,
    make_contact,
    ticket_of,
)


@pytest.fixture
def people(api: Api, brand: Json, frozen_clock: Any) -> list[Json]:
    """Four contacts created a second apart: carol, alice, dave (no name), bob."""
    created = []
    for email, name in (
        ("carol@example.com", "carol"),
        ("alice@initech.com", "alice"),
        ("dave@example.org", None),
        ("bob@example.com", "bob"),
    ):
        created.append(make_contact(api, brand, email, **({"name": name} if name else {})))
        frozen_clock.advance(seconds=1)
    return created


def test_contacts_are_listed_newest_first_by_default(
    api: Api, brand: Json, people: list[Json]
) -> None:
    page = list_contacts(api, brand)

    assert [c["id"] for c in page["data"]] == [p["id"] for p in reversed(people)]
    assert page["pagination"] == {"hasMore": False, "nextCursor": None, "cursor": None}


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("createdAt", "asc", ["carol", "alice", "dave", "bob"]),
        ("name", "asc", ["alice", "bob", "carol", "dave"]),
        ("name", "desc", ["carol", "bob", "alice", "dave"]),
        ("email", "asc", ["alice", "bob", "carol", "dave"]),
        ("email", "desc", ["dave", "carol", "bob", "alice"]),
    ],
)
def test_contacts_sort_by_creation_name_or_email_in_either_order(
    api: Api, brand: Json, people: list[Json], sort: str, order: str, expected: list[str]
) -> None:
    emails = listed_emails(api, brand, sort=sort, order=order)

    assert [e.split("@")[0] for e in emails] == expected


@pytest.mark.parametrize("sort", ["createdAt", "name", "email"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pages_cover_every_contact_once_in_order(
    api: Api, brand: Json, frozen_clock: Any, sort: str, order: str
) -> None:
    for i in range(7):
        # Two contacts share a name and one has none: ties and NULLs cross page edges.
        name = None if i == 3 else ("same" if i in (1, 2) else f"n{i}")
        make_contact(api, brand, f"c{i}@example.com", **({"name": name} if name else {}))
        frozen_clock.advance(seconds=1 if i != 4 else 0)

    pages = all_pages(api, contacts_path(brand), {"sort": sort, "order": order, "limit": 2})
    whole = listed_emails(api, brand, sort=sort, order=order)

    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [c["email"] for p in pages for c in p] == whole
    assert len(set(whole)) == 7


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_search_matches_name_or_email_ignoring_case(
    api: Api, brand: Json, people: list[Json], collection: str
) -> None:
    def found(search: str) -> set[str]:
        page = api.ok("get", contacts_path(brand, collection=collection), params={"search": search})
        return {c["email"] for c in page["data"]}

    assert found("ALI") == {"alice@initech.com"}
    assert found("example.com") == {"carol@example.com", "bob@example.com"}
    assert found("initech") == {"alice@initech.com"}
    assert found("_") == set()
    assert found("  ") == {p["email"] for p in people}


def test_company_filter_lists_a_companys_contacts_or_those_without_one(
    api: Api, brand: Json, people: list[Json]
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")

    assert listed_emails(api, brand, companyId=company["id"]) == ["alice@initech.com"]
    assert set(listed_emails(api, brand, companyId="null")) == {
        "carol@example.com",
        "dave@example.org",
        "bob@example.com",
    }


def test_an_unknown_company_filter_is_a_422(api: Api, brand: Json) -> None:
    assert_problem(
        api.get(contacts_path(brand), params={"companyId": "com_nope"}), 422, "unknown_company"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"sort": "updatedAt"},
        {"order": "up"},
        {"includeBlocked": "maybe"},
        {"search": "x" * 201},
    ],
)
def test_bad_list_parameters_are_a_422(api: Api, brand: Json, params: Json) -> None:
    assert_problem(api.get(contacts_path(brand), params=params), 422, "validation_error")


def test_a_cursor_of_another_sort_or_garbage_is_a_400(
    api: Api, brand: Json, people: list[Json]
) -> None:
    cursor = list_contacts(api, brand, limit=1)["pagination"]["nextCursor"]

    for params in ({"sort": "email", "cursor": cursor}, {"cursor": "garbage!"}):
        assert_problem(api.get(contacts_path(brand), params=params), 400, "invalid_cursor")


def test_ticket_count_counts_live_tickets_only(api: Api, brand: Json, session: Session) -> None:
    jane = make_contact(api, brand, "jane@example.com")
    bob = make_contact(api, brand, "bob@example.com")
    ticket_of(api, brand, session, jane)
    ticket_of(api, brand, session, jane)
    merged = ticket_of(api, brand, session, jane)
    ticket_of(api, brand, session, jane, merged_into_id=merged["id"])
    deleted = ticket_of(api, brand, session, jane)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{deleted['id']}")
    ticket_of(api, brand, session, bob)
    # Last: marking it spam blocks Jane, whose later tickets would arrive as spam.
    ticket_of(api, brand, session, jane, is_spam=True)

    # Marking her ticket spam blocked Jane as a sender: blocked contacts are listed on ask.
    listed = list_contacts(api, brand, includeBlocked="true")["data"]
    counts = {c["email"]: c["_count"]["tickets"] for c in listed}

    assert counts == {"jane@example.com": 3, "bob@example.com": 1}
    assert get_contact(api, brand, jane)["_count"] == {"tickets": 3}


def test_listing_contacts_runs_the_same_queries_for_many_rows_as_for_few(
    api: Api, brand: Json, session: Session, connection: Connection
) -> None:
    def statements_for_list() -> int:
        with counting_statements(connection) as statements:
            list_contacts(api, brand)
        return len(statements)

    company = make_company(api, brand, "Initech", domain="initech.com")
    for i in range(2):
        ticket_of(api, brand, session, make_contact(api, brand, f"p{i}@initech.com"))
    few = statements_for_list()
    for i in range(2, 12):
        ticket_of(api, brand, session, make_contact(api, brand, f"p{i}@initech.com"))

    many = statements_for_list()

    assert few > 0
    assert many == few
    assert all(c["companyId"] == company["id"] for c in list_contacts(api, brand)["data"])


def test_blocked_senders_are_hidden_unless_asked_for(
    api: Api, brand: Json, session: Session, people: list[Json]
) -> None:
    block_sender(session, brand["id"], "bob@example.com")
    second = api.ok("post", "/brands", 201, json={"name": "Second"})
    block_sender(session, second["id"], "carol@example.com")

    hidden = set(listed_emails(api, brand))
    shown = set(listed_emails(api, brand, includeBlocked="true"))

    assert hidden == {"carol@example.com", "alice@initech.com", "dave@example.org"}
    assert shown == hidden | {"bob@example.com"}
    # Still reachable directly.
    assert get_contact(api, brand, people[3])["email"] == "bob@example.com"


def test_a_blocked_sender_stored_in_another_case_is_hidden_too(
    api: Api, brand: Json, session: Session, people: list[Json]
) -> None:
    block_sender(session, brand["id"], "Bob@Example.com")

    assert "bob@example.com" not in listed_emails(api, brand)


def test_autocomplete_returns_whole_contacts_with_their_company(
    api: Api, brand: Json, session: Session
) -> None:
    company = make_company(api, brand, "Initech", domain="initech.com")
    peter = make_contact(
        api, brand, "peter@initech.com", name="Peter", avatarUrl="https://x.example/p.png"
    )
    ticket_of(api, brand, session, peter)

    found = api.ok("get", contacts_path(brand, "/search"), params={"q": "pete"})

    assert found == [get_contact(api, brand, peter)]
    assert found[0]["company"] == company_object(api, brand, company)
    assert found[0]["_count"] == {"tickets": 1}


def test_listing_and_searching_contacts_of_many_companies_runs_the_same_queries_as_of_few(
    api: Api, brand: Json, session: Session, connection: Connection
) -> None:
    def statements_for_reads() -> tuple[int, int]:
        counted = []
        for path, params in (
            (contacts_path(brand), {}),
            (contacts_path(brand, "/search"), {"q": "p"}),
        ):
            with counting_statements(connection) as statements:
                api.ok("get", path, params=params)
            counted.append(len(statements))
        return counted[0], counted[1]

    def add_people(first: int, last: int) -> None:
        for i in range(first, last):
            make_company(api, brand, f"Company {i}", domain=f"c{i}.example.com")
            ticket_of(api, brand, session, make_contact(api, brand, f"p{i}@c{i}.example.com"))

    add_people(0, 2)
    few = statements_for_reads()
    add_people(2, 10)

    many = statements_for_reads()

    assert many == few
    listed = list_contacts(api, brand)["data"]
    assert all(c["company"]["_count"] == {"customers": 1} for c in listed)


@pytest.mark.parametrize("collection", CONTACT_COLLECTIONS)
def test_autocomplete_returns_at_most_ten_and_puts_prefix_matches_first(
    api: Api, brand: Json, collection: str
) -> None:
    for i in range(12):
        make_contact(api, brand, f"user{i:02d}@annex.com")
    make_contact(api, brand, "ann@example.com", name="Ann")

    found = api.ok(
        "get", contacts_path(brand, "/search", collection=collection), params={"q": "ann"}
    )

    assert len(found) == 10
    assert found[0]["email"] == "ann@example.com"
    assert found[0]["company"] is None


def test_autocomplete_leaves_out_blocked_and_deleted_contacts(
    api: Api, brand: Json, session: Session
) -> None:
    make_contact(api, brand, "spammer@example.com")
    gone = make_contact(api, brand, "gone@example.com")
    kept = make_contact(api, brand, "kept@example.com")
    api.ok("delete", contact_path(brand, gone))
    block_sender(session, brand["id"], "spammer@example.com")

    found = api.ok("get", contacts_path(brand, "/search"), params={"q": "example"})

    assert [c["id"] for c in found] == [kept["id"]]


def test_autocomplete_needs_q_and_a_blank_q_finds_nothing(api: Api, brand: Json) -> None:
    make_contact(api, brand, "jane@example.com")

    assert_problem(api.get(contacts_path(brand, "/search")), 422, "validation_error")
    assert api.ok("get", contacts_path(brand, "/search"), params={"q": "  "}) == []
    assert api.ok("get", contacts_path(brand, "/search"), params={"q": "%"}) == []


def test_a_contacts_ticket_count_is_kept_as_tickets_change_not_counted_per_render(
    api: Api, brand: Json, session: Session, connection: Connection
) -> None:
    jane = make_contact(api, brand, "jane@example.com")
    tickets = [ticket_of(api, brand, session, jane) for _ in range(3)]
    base = f"/brands/{brand['id']}/tickets"
    api.ok("post", f"{base}/{tickets[0]['id']}/spam", json={"isSpam": True})
    assert get_contact(api, brand, jane)["_count"] == {"tickets": 2}
    api.ok("post", f"{base}/{tickets[0]['id']}/spam", json={"isSpam": False})
    api.ok("delete", f"{base}/{tickets[1]['id']}")

    with counting_statements(connection) as statements:
        listed = api.ok("get", base, params={"customerId": jane["id"]})["data"]

    assert {t["customer"]["_count"]["tickets"] for t in listed} == {2}
    assert not [s for s in statements if "count(" in s.lower() and "customer_id" in s]
