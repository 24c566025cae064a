"""Ticket search (`GET …/tickets?search=`): every word of the query, each as a prefix,
found in the ticket's title, body or requester, in one of its comments, or in its
contact; only ever the brand's own tickets."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from dispatch.core import transaction
from dispatch.core.db import Database
from dispatch.tickets import repository
from dispatch.tickets.repository import TicketFilter
from tests.comments.helpers import comment_path, post_comment
from tests.conftest import BACKEND, Api, make_ticket
from tests.contacts.helpers import contact_path
from tests.tickets.helpers import listed_ids, patch_ticket, ticket_path, tickets_path

Json = dict[str, Any]


def found(api: Api, brand: Json, query: str, **params: Any) -> list[str]:
    return sorted(listed_ids(api, brand, search=query, **params))


@pytest.fixture
def corpus(api: Api, brand: Json) -> dict[str, Json]:
    """Tickets whose words live in different places."""
    titled = make_ticket(api, brand, title="Refund for a broken zipper", body="Order 1042")
    bodied = make_ticket(api, brand, title="Question", body="The parcel arrived damaged")
    commented = make_ticket(api, brand, title="Another question", body="See below")
    post_comment(api, brand, commented, body="Customer says the invoice total is wrong")
    requested = make_ticket(
        api, brand, title="Hello", customerEmail="ann.lee@initech.com", customerName="Ann Lee"
    )
    by_form = make_ticket(
        api,
        brand,
        title="Hi",
        customFields={"requesterEmail": "zed@example.org", "requesterName": "Zed Quark"},
    )
    return {
        "titled": titled,
        "bodied": bodied,
        "commented": commented,
        "requested": requested,
        "by_form": by_form,
    }


def ids(corpus: dict[str, Json], *names: str) -> list[str]:
    return sorted(corpus[name]["id"] for name in names)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zipper", ["titled"]),
        ("1042", ["titled"]),
        ("damaged", ["bodied"]),
        ("invoice", ["commented"]),
        ("ann", ["requested"]),
        ("initech", ["requested"]),
        ("ann.lee@initech.com", ["requested"]),
        ("Quark", ["by_form"]),
        ("zed@example.org", ["by_form"]),
        ("question", ["bodied", "commented"]),
    ],
)
def test_search_finds_words_wherever_they_are(
    api: Api, brand: Json, corpus: dict[str, Json], query: str, expected: list[str]
) -> None:
    assert found(api, brand, query) == ids(corpus, *expected)


def test_search_matches_prefixes_without_regard_to_case(
    api: Api, brand: Json, corpus: dict[str, Json]
) -> None:
    assert found(api, brand, "REFU") == ids(corpus, "titled")
    assert found(api, brand, "inv") == ids(corpus, "commented")
    assert found(api, brand, "dama parc") == ids(corpus, "bodied")
    assert found(api, brand, "104") == ids(corpus, "titled")
    assert found(api, brand, "efund") == []


def test_search_needs_every_word(api: Api, brand: Json, corpus: dict[str, Json]) -> None:
    assert found(api, brand, "refund zipper") == ids(corpus, "titled")
    assert found(api, brand, "refund parcel") == []
    assert found(api, brand, "invoice total wrong") == ids(corpus, "commented")
    assert found(api, brand, "invoice missing") == []
    assert found(api, brand, "ann lee") == ids(corpus, "requested")
    assert found(api, brand, "ann zed") == []


def test_search_finds_the_contact_by_its_current_name(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, title="Hello", customerEmail="p@example.com")
    assert found(api, brand, "Priya") == []

    api.ok("patch", contact_path(brand, ticket["customerId"]), json={"name": "Priya Patel"})

    assert found(api, brand, "priya patel") == [ticket["id"]]
    assert found(api, brand, "patel") == [ticket["id"]]


def test_search_follows_changes_to_tickets_and_comments(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, title="Old words")
    comment = post_comment(api, brand, ticket, body="temporary remark")
    assert found(api, brand, "temporary") == [ticket["id"]]

    patch_ticket(api, brand, ticket, title="Fresh words")
    api.ok("patch", comment_path(brand, ticket, comment), json={"body": "edited remark"})

    assert found(api, brand, "fresh") == [ticket["id"]]
    assert found(api, brand, "old") == []
    assert found(api, brand, "temporary") == []
    assert found(api, brand, "edited") == [ticket["id"]]

    api.ok("delete", comment_path(brand, ticket, comment))

    assert found(api, brand, "edited") == []


def test_search_combines_with_other_filters(api: Api, brand: Json, corpus: dict[str, Json]) -> None:
    patch_ticket(api, brand, corpus["bodied"], status="pending")

    assert found(api, brand, "question", status="pending") == ids(corpus, "bodied")
    assert found(api, brand, "question", status="open") == ids(corpus, "commented")


def test_search_leaves_out_deleted_spam_and_merged_tickets(api: Api, brand: Json) -> None:
    kept, deleted, spam, merged = (
        make_ticket(api, brand, title=f"walrus {name}") for name in ("kept", "d", "s", "m")
    )
    api.ok("delete", ticket_path(brand, deleted))
    api.ok("post", f"{ticket_path(brand, spam)}/spam", json={"isSpam": True})
    api.ok("post", f"{ticket_path(brand, kept)}/merge", json={"sourceTicketIds": [merged["id"]]})

    assert found(api, brand, "walrus") == [kept["id"]]
    assert found(api, brand, "walrus", isSpam="true") == [spam["id"]]


def test_comments_of_a_merged_ticket_are_found_on_the_target(api: Api, brand: Json) -> None:
    target = make_ticket(api, brand, title="Target")
    source = make_ticket(api, brand, title="Source")
    post_comment(api, brand, source, body="platypus sighting")

    api.ok("post", f"{ticket_path(brand, target)}/merge", json={"sourceTicketIds": [source["id"]]})

    assert found(api, brand, "platypus") == [target["id"]]


def test_search_never_returns_other_brands_tickets(
    api: Api, other_api: Api, brand: Json, other_brand: Json
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    mine = make_ticket(api, brand, title="Shared word kumquat")
    of_sibling = make_ticket(api, sibling, title="kumquat", customerEmail="kumquat@example.com")
    post_comment(api, sibling, of_sibling, body="kumquat kumquat")
    theirs = make_ticket(other_api, other_brand, title="kumquat", customerName="Kumquat Fan")
    post_comment(other_api, other_brand, theirs, body="kumquat")
    # A contact of another brand with the word in its name, with the same address as ours.
    api.ok(
        "post",
        f"/brands/{sibling['id']}/contacts",
        201,
        json={"email": "x@example.com", "name": "Kumquat"},
    )
    make_ticket(api, brand, title="plain", customerEmail="x@example.com")

    assert found(api, brand, "kumquat") == [mine["id"]]
    assert found(api, sibling, "kumquat") == [of_sibling["id"]]
    assert found(other_api, other_brand, "kumquat") == [theirs["id"]]
    assert other_api.get(tickets_path(brand), params={"search": "kumquat"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("* OR *", "or"),
        ("a:*", "a"),
        ("NEAR(order 1042)", "near order 1042"),
        ("refund') OR ('1", "refund or 1"),
        ('"zipper" AND', "zipper and"),
        ("!!!", None),
        ("\"'", None),
    ],
)
def test_search_syntax_in_the_query_is_just_words(
    api: Api, brand: Json, corpus: dict[str, Json], query: str, words: str | None
) -> None:
    response = api.get(tickets_path(brand), params={"search": query})

    assert response.status_code == 200, response.text
    got = sorted(t["id"] for t in response.json()["data"])
    assert got == (found(api, brand, words) if words else [])


def test_an_empty_search_is_ignored(api: Api, brand: Json, corpus: dict[str, Json]) -> None:
    assert found(api, brand, "") == ids(corpus, *corpus)
    assert found(api, brand, "   ") == ids(corpus, *corpus)


def test_search_results_page_like_any_list(api: Api, brand: Json) -> None:
    made = [make_ticket(api, brand, title=f"gizmo {i}") for i in range(5)]
    make_ticket(api, brand, title="other")

    first = api.ok("get", tickets_path(brand), params={"search": "gizmo", "limit": 3})
    rest = api.ok(
        "get",
        tickets_path(brand),
        params={"search": "gizmo", "limit": 3, "cursor": first["pagination"]["nextCursor"]},
    )

    assert len(first["data"]) == 3
    assert rest["pagination"]["hasMore"] is False
    assert sorted(t["id"] for t in first["data"] + rest["data"]) == sorted(t["id"] for t in made)


def test_the_list_documents_search_and_the_ticket_data_filters(client: Any) -> None:
    doc = client.get("/openapi.json").json()

    operation = doc["paths"]["/v1/brands/{brandId}/tickets"]["get"]

    names = {p["name"] for p in operation["parameters"]}
    assert names >= {
        "search",
        "customerId",
        "customerEmail",
        "categoryId",
        "tagIds",
        "hasAttachments",
        "isSpam",
        "source",
    }
    assert "search" in operation["description"]


# --- What search leaves out, and what it folds


def test_the_status_history_is_not_searched(api: Api, brand: Json) -> None:
    moved = make_ticket(api, brand, title="Hello")
    patch_ticket(api, brand, moved, status="pending")
    pending = make_ticket(api, brand, title="Pending refund")

    assert found(api, brand, "changed") == []
    assert found(api, brand, "pending") == [pending["id"]]


def test_accents_are_ignored_on_every_database(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, title="Café crème", customerName="José")

    assert found(api, brand, "cafe creme") == [ticket["id"]]
    assert found(api, brand, "jose") == [ticket["id"]]


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's plan cache")
def test_a_search_is_planned_for_its_own_words(database: Database, api: Api, brand: Json) -> None:
    """A prepared statement's generic plan is blind to how common the words are: a
    transaction that searches plans each statement for its values."""
    make_ticket(api, brand, title="Refund for a broken zipper")

    def mode(search: str | None) -> str | None:
        def work(session: Session) -> str | None:
            listed = repository.list_tickets(
                session, [brand["id"]], TicketFilter(search=search),
                sort="createdAt", descending=True, cursor=None, limit=25,
            )  # fmt: skip
            assert len(listed) == 1
            return session.scalar(text("SHOW plan_cache_mode"))

        return transaction.run(database, work, write=False)

    # In this order: tests run in one outer transaction, which a SET LOCAL outlives.
    assert mode(None) == "auto"
    assert mode("zipper") == "force_custom_plan"


# --- PostgreSQL's stored document (search/models.py), kept by triggers


def _scalar(database: Database, sql: str, **params: Any) -> Any:
    return transaction.run(database, lambda session: session.scalar(text(sql), params), write=False)


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's stored search document")
def test_a_new_comment_adds_the_words_a_recomputed_document_holds(
    database: Database, api: Api, brand: Json
) -> None:
    """A comment appends its own words (migration 0026) instead of recomputing the whole
    conversation: the words must be those of a recomputed document, whatever was written."""
    ticket = make_ticket(api, brand, title="Printer", customerEmail="ann@initech.com")
    post_comment(api, brand, ticket, body="Mail it to ops.team@initech.com — Café crème")
    post_comment(api, brand, ticket, body="internal: check the toner", isInternal=True)
    post_comment(api, brand, ticket, body="It works again", authorType="CUSTOMER")
    patch_ticket(api, brand, ticket, status="resolved")

    same = _scalar(
        database,
        "SELECT strip(search_document) = strip(dispatch_ticket_document(id, title, body, "
        "customer_email, customer_name, customer_id)) FROM tickets WHERE id = :id",
        id=ticket["id"],
    )

    assert same is True
    assert found(api, brand, "ops team cafe toner works") == [ticket["id"]]


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL's row versions")
def test_a_status_change_writes_its_ticket_row_once(
    database: Database, api: Api, brand: Json
) -> None:
    """The SYSTEM comment recording a status change is not searched, so it leaves the
    ticket's document alone: one new version of the ticket's row, not two (each rewrites
    every index of `tickets`)."""
    ticket = make_ticket(api, brand, title="Printer")
    # Counted within the test's transaction, which every request of the test joins.
    updates = "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'tickets'"
    before = _scalar(database, updates)

    patch_ticket(api, brand, ticket, status="pending")

    assert _scalar(database, updates) - before == 1
