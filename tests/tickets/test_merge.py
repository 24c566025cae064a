"""Merging tickets: the sources' comments and attachments move to the target, the sources
close as duplicates pointing at it and leave the lists, each ticket gets one
`ticket.merged` activity entry, and later replies to a source land on the target."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.errors import ValidationFailed
from dispatch.tickets import merge as merge_module
from dispatch.tickets import service as tickets_service
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketCreate
from tests.attachments.helpers import attachments_path, png, upload
from tests.comments.helpers import comments_path, list_comments, post_comment
from tests.conftest import Api, make_ticket
from tests.tickets.helpers import (
    assert_counts_agree,
    committed_brand,
    error_fields,
    events_of,
    events_of_brand,
    get_ticket,
    listed_ids,
    pausing_after_first_call,
    problem,
    ticket_logs,
    ticket_path,
)
from tests.watchers.helpers import list_watchers

Json = dict[str, Any]


def merge_path(brand: Json, target: Json | str) -> str:
    return f"{ticket_path(brand, target)}/merge"


def merge(api: Api, brand: Json, target: Json, *sources: Json) -> Json:
    body = {"sourceTicketIds": [s["id"] for s in sources]}
    return api.ok("post", merge_path(brand, target), json=body)  # type: ignore[no-any-return]


def conversation(api: Api, brand: Json, ticket: Json) -> list[str]:
    """Bodies of the ticket's comments other than its SYSTEM status history."""
    return [c["body"] for c in list_comments(api, brand, ticket) if c["authorType"] != "SYSTEM"]


@pytest.fixture
def tickets(api: Api, brand: Json) -> dict[str, Json]:
    """A target and two sources, each with a comment; the first source has a file."""
    target = make_ticket(api, brand, title="Original", body="Order 12 never arrived")
    first = make_ticket(api, brand, title="Where is my order?", body="Still waiting")
    second = make_ticket(api, brand, title="Order 12", status="pending")
    post_comment(api, brand, target, body="target comment")
    post_comment(api, brand, first, body="first comment", authorType="CUSTOMER")
    post_comment(api, brand, second, body="second comment")
    upload(api, brand, first, png(), "receipt.png")
    return {"target": target, "first": first, "second": second}


def test_merge_moves_comments_and_attachments_to_the_target(
    api: Api, brand: Json, tickets: dict[str, Json]
) -> None:
    target, first, second = tickets["target"], tickets["first"], tickets["second"]

    merged = merge(api, brand, target, first, second)

    assert merged["id"] == target["id"]
    assert merged["targetTicketId"] == target["id"]
    assert merged["mergedTicketIds"] == [first["id"], second["id"]]
    assert merged["mergedCount"] == 2
    assert merged["commentCount"] == 3
    assert merged["attachmentCount"] == 1
    assert sorted(conversation(api, brand, target)) == [
        "first comment",
        "second comment",
        "target comment",
    ]
    [file] = api.ok("get", attachments_path(brand, target))
    assert (file["filename"], file["ticketId"]) == ("receipt.png", target["id"])
    got = api.ok("get", attachments_path(brand, target, f"/{file['id']}"))
    assert api.client.get(got["downloadUrl"]).content == png()
    for source in (first, second):
        assert conversation(api, brand, source) == []
        assert api.ok("get", attachments_path(brand, source)) == []
        stored = get_ticket(api, brand, source)
        assert (stored["commentCount"], stored["attachmentCount"]) == (0, 0)
    fresh = get_ticket(api, brand, target)
    assert (fresh["commentCount"], fresh["attachmentCount"]) == (3, 1)


def test_sources_close_as_duplicates_pointing_at_the_target_and_leave_lists(
    api: Api, brand: Json, tickets: dict[str, Json]
) -> None:
    target, first, second = tickets["target"], tickets["first"], tickets["second"]

    merge(api, brand, target, first, second)

    for source in (first, second):
        stored = get_ticket(api, brand, source)
        assert stored["mergedIntoId"] == target["id"]
        assert stored["status"] == "closed"
        assert stored["closeReason"] == "duplicate"
    assert get_ticket(api, brand, target)["mergedIntoId"] is None
    assert listed_ids(api, brand) == [target["id"]]
    assert listed_ids(api, brand, status="closed") == []
    assert listed_ids(api, brand, isSpam="true") == []


def test_the_target_body_gains_the_merge_history(
    api: Api, brand: Json, tickets: dict[str, Json]
) -> None:
    target, first, second = tickets["target"], tickets["first"], tickets["second"]

    merged = merge(api, brand, target, first, second)

    assert merged["body"] == (
        "Order 12 never arrived\n\n---\nMerged into this ticket:\n"
        f"- {first['publicId']}: Where is my order?\n"
        f"- {second['publicId']}: Order 12"
    )
    assert get_ticket(api, brand, target)["body"] == merged["body"]


def test_a_target_without_a_body_gets_just_the_history(api: Api, brand: Json) -> None:
    target = api.ok("post", f"/brands/{brand['id']}/tickets", 201, json={"title": "No body"})
    source = make_ticket(api, brand, title="Dupe")

    merged = merge(api, brand, target, source)

    assert merged["body"] == f"Merged into this ticket:\n- {source['publicId']}: Dupe"


def test_each_ticket_gets_one_merged_activity_entry(
    api: Api, brand: Json, tickets: dict[str, Json]
) -> None:
    target, first, second = tickets["target"], tickets["first"], tickets["second"]

    merge(api, brand, target, first, second)

    [entry] = [e for e in ticket_logs(api, brand, target) if e["event"] == "ticket.merged"]
    assert entry["metadata"]["sourceTicketIds"] == [first["id"], second["id"]]
    assert entry["metadata"]["movedComments"] == 2
    assert entry["metadata"]["movedAttachments"] == 1
    assert set(entry["changes"]) == {"body"}
    for source in (first, second):
        [entry] = [e for e in ticket_logs(api, brand, source) if e["event"] == "ticket.merged"]
        assert entry["metadata"]["mergedIntoId"] == target["id"]
        assert entry["changes"]["mergedIntoId"] == {"old": None, "new": target["id"]}
        assert entry["changes"]["closeReason"]["new"] == "duplicate"
        assert entry["changes"]["status"]["new"] == "closed"


def test_merge_emits_updated_and_closed_events(
    api: Api, brand: Json, session: Session, tickets: dict[str, Json]
) -> None:
    target, first = tickets["target"], tickets["first"]

    merge(api, brand, target, first)

    source_events = [e for e in events_of(session, first["id"]) if e.data.get("trigger") == "merge"]
    assert [e.type for e in source_events] == ["ticket.updated", "ticket.closed"]
    assert set(source_events[0].data["changes"]) == {"status", "closeReason", "mergedIntoId"}
    assert source_events[0].data["ticket"]["mergedIntoId"] == target["id"]
    [target_event] = [
        e for e in events_of(session, target["id"]) if e.data.get("trigger") == "merge"
    ]
    assert target_event.type == "ticket.updated"
    assert target_event.data["changes"] == ["body"]
    assert target_event.data["ticket"]["commentCount"] == 2


def test_status_counts_follow_a_merge(
    api: Api, brand: Json, session: Session, tickets: dict[str, Json]
) -> None:
    assert sum(assert_counts_agree(session, brand["id"]).values()) == 3

    merge(api, brand, tickets["target"], tickets["first"], tickets["second"])

    kept = assert_counts_agree(session, brand["id"])
    assert sum(kept.values()) == 1
    stats = {s["key"]: s["count"] for s in api.ok("get", f"/brands/{brand['id']}/statuses/stats")}
    assert (stats["open"], stats["pending"], stats["closed"]) == (1, 0, 0)


def test_a_later_comment_on_a_merged_source_lands_on_the_target(
    api: Api, brand: Json, tickets: dict[str, Json]
) -> None:
    target, first = tickets["target"], tickets["first"]
    merge(api, brand, target, first)

    reply = post_comment(api, brand, first, body="any news?", authorType="CUSTOMER")

    assert reply["ticketId"] == target["id"]
    assert "any news?" in conversation(api, brand, target)
    assert conversation(api, brand, first) == []
    assert get_ticket(api, brand, target)["commentCount"] == 3


def test_a_merged_target_can_be_merged_on_and_replies_follow_the_chain(
    api: Api, brand: Json
) -> None:
    a, b, c = (make_ticket(api, brand, title=t) for t in ("A", "B", "C"))
    post_comment(api, brand, a, body="from a")
    merge(api, brand, b, a)

    merge(api, brand, c, b)

    assert conversation(api, brand, c) == ["from a"]
    assert post_comment(api, brand, a, body="late")["ticketId"] == c["id"]
    assert listed_ids(api, brand) == [c["id"]]


def test_tags_and_watchers_of_the_sources_carry_over(api: Api, brand: Json) -> None:
    target = make_ticket(api, brand, tags=["vip"], watchers=["ops@example.com"])
    source = make_ticket(
        api, brand, tags=["VIP", "refund"], watchers=["ops@example.com", "lee@x.io"]
    )

    merged = merge(api, brand, target, source)

    assert sorted(t["name"] for t in merged["tags"]) == ["refund", "vip"]
    assert sorted(w["memberEmail"] for w in list_watchers(api, brand, target)) == [
        "lee@x.io",
        "ops@example.com",
    ]


def test_merging_a_ticket_into_itself_is_422_and_changes_nothing(
    api: Api, brand: Json, session: Session, tickets: dict[str, Json]
) -> None:
    target, first = tickets["target"], tickets["first"]
    before = len(events_of_brand(session, brand["id"]))
    target_before, first_before = get_ticket(api, brand, target), get_ticket(api, brand, first)

    response = api.post(
        merge_path(brand, target), json={"sourceTicketIds": [first["id"], target["id"]]}
    )

    assert error_fields(problem(response, 422, "merge_into_self")) == ["sourceTicketIds"]
    assert len(events_of_brand(session, brand["id"])) == before
    assert get_ticket(api, brand, target) == target_before
    assert get_ticket(api, brand, first) == first_before
    assert conversation(api, brand, first) == ["first comment"]


@pytest.mark.parametrize("merged_one", ["target", "source"])
def test_a_ticket_already_merged_cannot_take_part_in_a_merge(
    api: Api, brand: Json, session: Session, merged_one: str
) -> None:
    gone, into, other = (make_ticket(api, brand, title=t) for t in ("gone", "into", "other"))
    merge(api, brand, into, gone)
    before = len(events_of_brand(session, brand["id"]))
    target, source = (gone, other) if merged_one == "target" else (other, gone)

    response = api.post(merge_path(brand, target), json={"sourceTicketIds": [source["id"]]})

    problem(response, 422, "ticket_already_merged")
    assert len(events_of_brand(session, brand["id"])) == before
    assert get_ticket(api, brand, other)["mergedIntoId"] is None
    assert get_ticket(api, brand, gone)["mergedIntoId"] == into["id"]


def test_merging_across_brands_is_404_and_changes_nothing(
    api: Api, other_api: Api, brand: Json, other_brand: Json, session: Session
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    mine = make_ticket(api, brand)
    post_comment(api, brand, mine, body="mine")
    of_sibling = make_ticket(api, sibling)
    theirs = make_ticket(other_api, other_brand)
    before = len(events_of_brand(session, brand["id"]))

    for path, sources in (
        (merge_path(brand, mine), [of_sibling["id"]]),
        (merge_path(brand, mine), [theirs["id"]]),
        (merge_path(brand, of_sibling), [mine["id"]]),
        (merge_path(sibling, of_sibling), [mine["id"]]),
        (merge_path(other_brand, theirs), [mine["id"]]),
        (merge_path(brand, theirs), [mine["id"]]),
    ):
        problem(api.post(path, json={"sourceTicketIds": sources}), 404)

    assert len(events_of_brand(session, brand["id"])) == before
    assert get_ticket(api, brand, mine)["mergedIntoId"] is None
    assert conversation(api, brand, mine) == ["mine"]
    assert get_ticket(api, sibling, of_sibling)["mergedIntoId"] is None
    assert get_ticket(other_api, other_brand, theirs)["mergedIntoId"] is None


def test_an_unknown_or_deleted_source_is_404_and_the_good_ones_stay_unmerged(
    api: Api, brand: Json, session: Session
) -> None:
    target, good, deleted = (make_ticket(api, brand, title=t) for t in ("t", "good", "del"))
    api.ok("delete", ticket_path(brand, deleted))

    for missing in (deleted["id"], "tkt_nope"):
        response = api.post(
            merge_path(brand, target), json={"sourceTicketIds": [good["id"], missing]}
        )
        problem(response, 404, "ticket_not_found")

    assert get_ticket(api, brand, good)["mergedIntoId"] is None
    assert get_ticket(api, brand, good)["status"] == "open"
    assert sorted(listed_ids(api, brand)) == sorted([target["id"], good["id"]])
    assert_counts_agree(session, brand["id"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sourceTicketIds": []},
        {"sourceTicketIds": "tkt_x"},
        {"sourceTicketIds": ["tkt_a", "tkt_a"]},
        {"sourceTicketIds": [f"tkt_{i}" for i in range(51)]},
    ],
)
def test_a_malformed_merge_request_is_422(api: Api, brand: Json, body: Json) -> None:
    target = make_ticket(api, brand)

    response = api.post(merge_path(brand, target), json=body)

    assert error_fields(problem(response, 422)) == ["sourceTicketIds"]
    assert get_ticket(api, brand, target) == target


def test_a_merge_of_a_deleted_target_is_404(api: Api, brand: Json) -> None:
    target, source = make_ticket(api, brand), make_ticket(api, brand)
    api.ok("delete", ticket_path(brand, target))

    problem(api.post(merge_path(brand, target), json={"sourceTicketIds": [source["id"]]}), 404)

    assert get_ticket(api, brand, source)["mergedIntoId"] is None


def test_a_merged_source_keeps_only_its_status_history(
    api: Api, brand: Json, tickets: dict[str, Json]
) -> None:
    merge(api, brand, tickets["target"], tickets["second"])

    comments = api.ok("get", comments_path(brand, tickets["second"]))

    assert [c["metadata"]["to"] for c in comments] == ["closed"]
    assert {c["authorType"] for c in comments} == {"SYSTEM"}


def test_the_merge_route_is_documented(client: Any) -> None:
    doc = client.get("/openapi.json").json()

    operation = doc["paths"]["/v1/brands/{brandId}/tickets/{ticketId}/merge"]["post"]

    assert operation["summary"]
    assert operation["tags"] == ["Tickets"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/MergeRequest"}
    assert doc["components"]["schemas"]["MergeRequest"]["required"] == ["sourceTicketIds"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/MergeOut"}
    merged = doc["components"]["schemas"]["MergeOut"]["properties"]
    assert {"targetTicketId", "mergedTicketIds", "mergedCount", "id", "mergedIntoId"} <= set(merged)


# --- Concurrency, with real commits -------------------------------------------------------


@pytest.mark.committed
def test_two_merges_of_the_same_tickets_in_opposite_directions_do_not_deadlock(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A into B and B into A at the same time: one merge wins, the other is refused
    (the ticket is merged by then) instead of both waiting on each other's lock."""
    with committed_brand(database_url) as (database, actor, brand_id):
        with database.session() as s:
            brand = s.get(Brand, brand_id)
            assert brand is not None
            a, b = (
                tickets_service.create_ticket(s, actor, brand, TicketCreate(title=t)).id
                for t in "AB"
            )
            s.commit()
        # Each merge pauses after locking its first ticket until the other has locked one.
        monkeypatch.setattr(merge_module, "_lock", pausing_after_first_call(merge_module._lock))

        def run(target: str, source: str) -> str:
            with database.session() as s:
                brand = s.get(Brand, brand_id)
                assert brand is not None
                try:
                    merge_module.merge_tickets(s, actor, brand, target, [source])
                except ValidationFailed as refused:
                    s.rollback()
                    return refused.code
                s.commit()
                return "merged"

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(
                f.result(timeout=60) for f in [pool.submit(run, a, b), pool.submit(run, b, a)]
            )

        assert outcomes == ["merged", "ticket_already_merged"]
        with database.session() as s:
            rows = {t.id: t for t in s.scalars(select(Ticket).where(Ticket.id.in_([a, b])))}
        # Exactly one of the two was merged into the other.
        assert sorted([rows[a].merged_into_id, rows[b].merged_into_id], key=str) in (
            [None, a],
            [None, b],
        )
