"""Reading comments: chronological flat lists, threads, single comments."""

from __future__ import annotations

from typing import Any

from tests.comments.helpers import (
    Json,
    comment_path,
    list_comments,
    post_comment,
    problem,
)
from tests.conftest import Api, make_ticket


def test_comments_are_listed_oldest_first_as_a_flat_list_with_parent_ids(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    ticket = make_ticket(api, brand)
    first = post_comment(api, brand, ticket, body="one")
    frozen_clock.advance(seconds=1)
    second = post_comment(api, brand, ticket, body="two")
    frozen_clock.advance(seconds=1)
    reply = post_comment(api, brand, ticket, body="re: one", parentId=first["id"])

    listed = list_comments(api, brand, ticket)

    assert [c["id"] for c in listed] == [first["id"], second["id"], reply["id"]]
    assert [c["parentId"] for c in listed] == [None, None, first["id"]]
    assert all("replies" not in c for c in listed)
    assert listed[0] == first


def test_comments_written_within_the_same_instant_keep_their_order(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    ticket = make_ticket(api, brand)
    posted = [post_comment(api, brand, ticket, body=f"c{i}")["id"] for i in range(6)]

    assert [c["id"] for c in list_comments(api, brand, ticket)] == posted


def test_threaded_list_nests_replies_under_their_parents(
    api: Api, brand: Json, frozen_clock: Any
) -> None:
    ticket = make_ticket(api, brand)
    first = post_comment(api, brand, ticket, body="one")
    second = post_comment(api, brand, ticket, body="two")
    reply = post_comment(api, brand, ticket, body="re: one", parentId=first["id"])
    nested = post_comment(api, brand, ticket, body="re: re: one", parentId=reply["id"])
    later = post_comment(api, brand, ticket, body="re: one again", parentId=first["id"])

    threaded = list_comments(api, brand, ticket, threaded="true")

    assert [c["id"] for c in threaded] == [first["id"], second["id"]]
    assert [r["id"] for r in threaded[0]["replies"]] == [reply["id"], later["id"]]
    assert [r["id"] for r in threaded[0]["replies"][0]["replies"]] == [nested["id"]]
    assert threaded[0]["replies"][0]["replies"][0]["replies"] == []
    assert threaded[1]["replies"] == []
    assert {k: v for k, v in threaded[0].items() if k != "replies"} == first


def test_a_reply_to_a_deleted_comment_moves_to_the_top_of_the_thread(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    first = post_comment(api, brand, ticket, body="one")
    reply = post_comment(api, brand, ticket, body="re: one", parentId=first["id"])
    api.ok("delete", comment_path(brand, ticket, first))

    threaded = list_comments(api, brand, ticket, threaded="true")

    assert [c["id"] for c in threaded] == [reply["id"]]
    assert threaded[0]["parentId"] == first["id"]


def test_a_ticket_without_comments_lists_none(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    assert list_comments(api, brand, ticket) == []
    assert list_comments(api, brand, ticket, threaded="true") == []


def test_a_comment_can_be_read_by_id(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    comment = post_comment(api, brand, ticket, links=["https://x.example"])

    assert api.ok("get", comment_path(brand, ticket, comment)) == comment


def test_a_comment_is_not_found_through_another_ticket_of_the_brand(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    other = make_ticket(api, brand, title="Other")
    comment = post_comment(api, brand, ticket)

    problem(api.get(comment_path(brand, other, comment)), 404, "comment_not_found")
    assert list_comments(api, brand, other) == []


def test_an_unknown_comment_is_404(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    problem(api.get(comment_path(brand, ticket, "cmt_nope")), 404, "comment_not_found")


def test_threaded_takes_only_a_boolean(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    problem(api.get(f"/brands/{brand['id']}/tickets/{ticket['id']}/comments?threaded=maybe"), 422)
