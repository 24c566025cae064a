"""Adding comments: the wire shape, author defaults, internal notes, links, threading
parents, email-channel fields, and what a comment does to its ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.comments.helpers import (
    Json,
    add_member,
    comments_path,
    post_comment,
    stored_comment,
    ticket_of,
)
from tests.conftest import Api, make_ticket

COMMENT_FIELDS = {
    "id",
    "ticketId",
    "body",
    "authorId",
    "authorName",
    "authorEmail",
    "authorType",
    "isInternal",
    "parentId",
    "links",
    "metadata",
    "source",
    "sourceId",
    "sourceData",
    "createdAt",
    "updatedAt",
}


def test_a_new_comment_has_the_reference_shape_and_agent_defaults(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, body="We are on it.")

    assert set(comment) == COMMENT_FIELDS
    assert comment["id"].startswith("cmt_")
    assert len(comment["id"]) == 4 + 21
    assert comment["ticketId"] == ticket["id"]
    assert comment["body"] == "We are on it."
    assert comment["authorType"] == "AGENT"
    assert comment["isInternal"] is False
    assert comment["metadata"] == {"isInternal": False}
    assert comment["parentId"] is None
    assert comment["links"] == []
    assert comment["source"] == "api"
    assert (comment["sourceId"], comment["sourceData"]) == (None, None)
    assert datetime.fromisoformat(comment["createdAt"]).tzinfo is not None
    assert comment["createdAt"] == comment["updatedAt"]


def test_an_agent_comment_without_author_is_signed_with_the_api_key_name(
    api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    key_name = api.ok("get", "/accounts/me/api-keys")[0]["name"]

    comment = post_comment(api, brand, ticket)

    assert comment["authorId"] is None
    assert comment["authorName"] == key_name
    assert comment["authorEmail"] is None


def test_an_author_id_of_a_team_member_fills_in_the_member_name_and_email(
    api: Api, brand: Json
) -> None:
    member = add_member(api, "Dana@Acme.com", "Dana Scully")
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, authorId=member["id"])

    assert comment["authorId"] == member["id"]
    assert comment["authorName"] == "Dana Scully"
    assert comment["authorEmail"] == "dana@acme.com"


def test_given_author_name_wins_over_the_member_name(api: Api, brand: Json) -> None:
    member = add_member(api, "dana@acme.com", "Dana Scully")
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, authorId=member["id"], authorName="D. S.")

    assert (comment["authorName"], comment["authorEmail"]) == ("D. S.", "dana@acme.com")


def test_an_author_id_that_is_no_member_is_kept_and_the_key_name_signs(
    api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    key_name = api.ok("get", "/accounts/me/api-keys")[0]["name"]

    comment = post_comment(api, brand, ticket, authorId="ext_42")

    assert (comment["authorId"], comment["authorName"]) == ("ext_42", key_name)


def test_a_customer_comment_defaults_to_the_ticket_customer(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")

    comment = post_comment(api, brand, ticket, authorType="CUSTOMER", body="Still broken")

    assert comment["authorType"] == "CUSTOMER"
    assert (comment["authorName"], comment["authorEmail"]) == ("Jane", "jane@example.com")


def test_a_customer_comment_keeps_the_author_it_was_given(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", customerName="Jane")

    comment = post_comment(
        api,
        brand,
        ticket,
        authorType="CUSTOMER",
        authorName="Jane's assistant",
        authorEmail="Assistant@Example.com",
        authorId="cus_123",
    )

    assert comment["authorId"] == "cus_123"
    assert comment["authorName"] == "Jane's assistant"
    assert comment["authorEmail"] == "assistant@example.com"


@pytest.mark.parametrize(
    "flag",
    [
        {"isInternal": True},
        {"metadata": {"isInternal": True}},
        {"isInternal": True, "metadata": {"isInternal": True}},
    ],
)
def test_an_internal_note_is_accepted_top_level_or_in_metadata_and_mirrored(
    api: Api, brand: Json, flag: Json
) -> None:
    ticket = make_ticket(api, brand)

    note = post_comment(api, brand, ticket, body="Customer is a VIP", **flag)

    assert note["isInternal"] is True
    assert note["metadata"]["isInternal"] is True
    assert api.ok("get", comments_path(brand, ticket, f"/{note['id']}"))["isInternal"] is True


def test_metadata_is_kept_with_is_internal_mirrored(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(
        api, brand, ticket, metadata={"mentions": [{"memberId": "user_1"}], "origin": "macro"}
    )

    assert comment["metadata"] == {
        "mentions": [{"memberId": "user_1"}],
        "origin": "macro",
        "isInternal": False,
    }


def test_links_are_accepted_as_strings_or_objects(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(
        api,
        brand,
        ticket,
        links=[
            "https://status.example.com",
            {"url": "https://docs.example.com/a", "title": "Guide", "type": "doc"},
        ],
    )

    assert comment["links"] == [
        {"url": "https://status.example.com"},
        {"url": "https://docs.example.com/a", "title": "Guide", "type": "doc"},
    ]


def test_cc_and_connection_id_are_kept_in_metadata_for_the_email_channel(
    api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(
        api, brand, ticket, cc=["Boss@Example.com", "team@example.com"], connectionId="conn_1"
    )

    assert comment["metadata"]["cc"] == ["boss@example.com", "team@example.com"]
    assert comment["metadata"]["connectionId"] == "conn_1"


def test_source_fields_are_stored(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(
        api,
        brand,
        ticket,
        source="email",
        sourceId="<abc@mail.example.com>",
        sourceData={"subject": "Re: help"},
    )

    assert comment["source"] == "email"
    assert comment["sourceId"] == "<abc@mail.example.com>"
    assert comment["sourceData"] == {"subject": "Re: help"}


def test_a_reply_names_its_parent(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    first = post_comment(api, brand, ticket, body="Question?")

    reply = post_comment(api, brand, ticket, body="Answer.", parentId=first["id"])

    assert reply["parentId"] == first["id"]


def test_a_body_of_exactly_100000_characters_is_accepted(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket, body="x" * 100_000)

    assert len(comment["body"]) == 100_000


def test_comments_count_toward_comment_count_and_bump_version_and_updated_at(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    ticket = make_ticket(api, brand)
    frozen_clock.advance(minutes=5)

    post_comment(api, brand, ticket)
    note = post_comment(api, brand, ticket, isInternal=True)

    after = ticket_of(api, brand, ticket)
    assert after["commentCount"] == 2
    assert after["version"] == ticket["version"] + 2
    assert after["updatedAt"] == note["createdAt"]
    assert after["updatedAt"] > ticket["updatedAt"]


def test_the_stored_row_belongs_to_the_brand_and_ticket(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)

    comment = post_comment(api, brand, ticket)

    row = stored_comment(session, comment["id"])
    assert (row.brand_id, row.ticket_id, row.deleted_at) == (brand["id"], ticket["id"], None)


def test_a_repeated_idempotency_key_does_not_add_a_second_comment(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    headers = {"Idempotency-Key": "comment-1"}

    first = api.ok("post", comments_path(brand, ticket), 201, json={"body": "hi"}, headers=headers)
    again = api.ok("post", comments_path(brand, ticket), 201, json={"body": "hi"}, headers=headers)

    assert again == first
    assert ticket_of(api, brand, ticket)["commentCount"] == 1
