"""Spam: marking a ticket spam hides it from lists and status counts and blocks its sender,
whose later tickets then arrive as spam; unmarking restores both. `POST …/spam` and
`PATCH {isSpam}` are the same change."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.brands.models import Brand
from dispatch.spam import service as spam_service
from dispatch.spam.models import BlockedSender
from dispatch.tickets import service as tickets_service
from dispatch.tickets.schemas import TicketCreate
from tests.conftest import Api, make_ticket
from tests.tickets.helpers import (
    assert_counts_agree,
    committed_brand,
    error_fields,
    events_of,
    get_ticket,
    listed_ids,
    patch_ticket,
    problem,
    ticket_logs,
    ticket_path,
)

Json = dict[str, Any]
Mark = Callable[[Json, bool], Json]


def stats(api: Api, brand: Json) -> dict[str, int]:
    return {s["key"]: s["count"] for s in api.ok("get", f"/brands/{brand['id']}/statuses/stats")}


def blocked(session: Session, brand: Json) -> list[str]:
    session.expire_all()
    stmt = select(BlockedSender.email).where(BlockedSender.brand_id == brand["id"])
    return sorted(session.scalars(stmt))


@pytest.fixture(params=["spam_endpoint", "patch"])
def mark(request: pytest.FixtureRequest, api: Api, brand: Json) -> Mark:
    """Mark or unmark a ticket as spam, through either endpoint."""

    def by_endpoint(ticket: Json, is_spam: bool) -> Json:
        path = f"{ticket_path(brand, ticket)}/spam"
        return api.ok("post", path, json={"isSpam": is_spam})  # type: ignore[no-any-return]

    def by_patch(ticket: Json, is_spam: bool) -> Json:
        return patch_ticket(api, brand, ticket, isSpam=is_spam)

    return by_endpoint if request.param == "spam_endpoint" else by_patch


def test_marking_spam_hides_the_ticket_from_lists_and_status_counts(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    spam = make_ticket(api, brand, customerEmail="spammer@example.com")
    fine = make_ticket(api, brand, customerEmail="jane@example.com", status="pending")
    assert stats(api, brand)["open"] == 1

    marked = mark(spam, True)

    assert marked["isSpam"] is True
    assert marked["version"] == spam["version"] + 1
    assert get_ticket(api, brand, spam)["isSpam"] is True
    assert listed_ids(api, brand) == [fine["id"]]
    assert listed_ids(api, brand, status="open") == []
    assert listed_ids(api, brand, isSpam="true") == [spam["id"]]
    assert listed_ids(api, brand, isSpam="false") == [fine["id"]]
    assert stats(api, brand)["open"] == 0
    assert stats(api, brand)["pending"] == 1
    assert sum(assert_counts_agree(session, brand["id"]).values()) == 1


def test_marking_spam_blocks_the_sender_so_their_next_ticket_arrives_as_spam(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    first = make_ticket(api, brand, customerEmail="Spammer@Example.com")
    mark(first, True)

    again = make_ticket(api, brand, customerEmail="SPAMMER@example.com")
    by_form = make_ticket(api, brand, customFields={"requesterEmail": "spammer@example.com"})
    other = make_ticket(api, brand, customerEmail="jane@example.com")

    assert blocked(session, brand) == ["spammer@example.com"]
    assert again["isSpam"] is True
    assert by_form["isSpam"] is True
    assert other["isSpam"] is False
    assert listed_ids(api, brand) == [other["id"]]
    assert sorted(listed_ids(api, brand, isSpam="true")) == sorted(
        [first["id"], again["id"], by_form["id"]]
    )
    assert stats(api, brand)["open"] == 1
    assert_counts_agree(session, brand["id"])
    [entry] = [e for e in ticket_logs(api, brand, again) if e["event"] == "ticket.created"]
    assert entry["metadata"]["spam"] == "sender is blocked"


def test_unmarking_restores_the_ticket_and_unblocks_the_sender(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com", status="pending")
    mark(ticket, True)

    restored = mark(ticket, False)

    assert restored["isSpam"] is False
    assert restored["status"] == "pending"
    assert listed_ids(api, brand) == [ticket["id"]]
    assert listed_ids(api, brand, isSpam="true") == []
    assert stats(api, brand)["pending"] == 1
    assert blocked(session, brand) == []
    assert make_ticket(api, brand, customerEmail="jane@example.com")["isSpam"] is False
    assert_counts_agree(session, brand["id"])


def test_a_ticket_that_arrived_as_spam_can_be_unmarked_which_unblocks_its_sender(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    mark(make_ticket(api, brand, customerEmail="x@example.com"), True)
    arrived = make_ticket(api, brand, customerEmail="x@example.com")
    assert arrived["isSpam"] is True

    mark(arrived, False)

    assert blocked(session, brand) == []
    assert listed_ids(api, brand) == [arrived["id"]]
    assert stats(api, brand)["open"] == 1
    assert_counts_agree(session, brand["id"])


def test_marking_and_unmarking_are_recorded_as_activity_and_events(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    ticket = make_ticket(api, brand, customerEmail="x@example.com")

    mark(ticket, True)
    mark(ticket, False)

    logs = ticket_logs(api, brand, ticket)
    spam_entries = [e for e in logs if e["event"].startswith("ticket.spam")]
    assert [e["event"] for e in spam_entries] == ["ticket.spam_marked", "ticket.spam_unmarked"]
    assert spam_entries[0]["changes"] == {"isSpam": {"old": False, "new": True}}
    sender_entries = [e for e in logs if e["event"].startswith("sender.")]
    assert [e["event"] for e in sender_entries] == ["sender.blocked", "sender.unblocked"]
    assert all(e["metadata"] == {"email": "x@example.com"} for e in sender_entries)
    updated = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert [e.data["changes"] for e in updated] == [["isSpam"], ["isSpam"]]
    assert [e.data["ticket"]["isSpam"] for e in updated] == [True, False]
    assert [e.sequence for e in updated] == [2, 3]


def test_marking_twice_changes_and_records_nothing_more(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    ticket = make_ticket(api, brand, customerEmail="x@example.com")
    first = mark(ticket, True)

    second = mark(ticket, True)

    assert second["version"] == first["version"]
    assert len([e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]) == 1
    assert blocked(session, brand) == ["x@example.com"]
    unmarked = mark(make_ticket(api, brand), False)
    assert unmarked["version"] == 1


def test_a_ticket_without_a_sender_can_be_spam_without_blocking_anyone(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    ticket = make_ticket(api, brand)

    assert mark(ticket, True)["isSpam"] is True

    assert blocked(session, brand) == []
    assert listed_ids(api, brand) == []
    assert make_ticket(api, brand)["isSpam"] is False


def test_a_blocked_sender_is_blocked_in_one_brand_only(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    mark(make_ticket(api, brand, customerEmail="x@example.com"), True)

    assert make_ticket(api, sibling, customerEmail="x@example.com")["isSpam"] is False


def test_patch_with_is_spam_and_other_fields_still_blocks_the_sender(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand, customerEmail="x@example.com")

    updated = patch_ticket(api, brand, ticket, isSpam=True, priority="low")

    assert (updated["isSpam"], updated["priority"]) == (True, "low")
    assert blocked(session, brand) == ["x@example.com"]
    [event] = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert sorted(event.data["changes"]) == ["isSpam", "priority"]


def test_a_blocked_sender_is_hidden_from_the_contact_list(
    api: Api, brand: Json, mark: Mark
) -> None:
    spam = make_ticket(api, brand, customerEmail="x@example.com")
    make_ticket(api, brand, customerEmail="jane@example.com")

    mark(spam, True)
    hidden = [c["email"] for c in api.ok("get", f"/brands/{brand['id']}/contacts")["data"]]
    mark(spam, False)
    shown = [c["email"] for c in api.ok("get", f"/brands/{brand['id']}/contacts")["data"]]

    assert hidden == ["jane@example.com"]
    assert sorted(shown) == ["jane@example.com", "x@example.com"]


def test_a_deleted_spam_ticket_keeps_the_counts_right(
    api: Api, brand: Json, session: Session, mark: Mark
) -> None:
    ticket = make_ticket(api, brand, customerEmail="x@example.com")
    make_ticket(api, brand)
    mark(ticket, True)

    api.ok("delete", ticket_path(brand, ticket))

    assert stats(api, brand)["open"] == 1
    assert sum(assert_counts_agree(session, brand["id"]).values()) == 1
    assert listed_ids(api, brand, isSpam="true") == []


@pytest.mark.parametrize("body", [{}, {"isSpam": None}, {"isSpam": "maybe"}, {"spam": True}])
def test_a_malformed_spam_request_is_422_and_changes_nothing(
    api: Api, brand: Json, session: Session, body: Json
) -> None:
    ticket = make_ticket(api, brand, customerEmail="x@example.com")

    response = api.post(f"{ticket_path(brand, ticket)}/spam", json=body)

    problem(response, 422)
    assert get_ticket(api, brand, ticket) == ticket
    assert blocked(session, brand) == []


def test_patch_is_spam_null_is_422(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)

    response = api.patch(ticket_path(brand, ticket), json={"isSpam": None})

    assert error_fields(problem(response, 422)) == ["isSpam"]


def test_spam_on_a_ticket_of_another_account_or_a_deleted_one_is_404(
    api: Api, other_api: Api, brand: Json, other_brand: Json, session: Session
) -> None:
    theirs = make_ticket(other_api, other_brand, customerEmail="x@example.com")
    deleted = make_ticket(api, brand, customerEmail="y@example.com")
    api.ok("delete", ticket_path(brand, deleted))

    for path in (
        f"{ticket_path(brand, theirs)}/spam",
        f"{ticket_path(other_brand, theirs)}/spam",
        f"{ticket_path(brand, deleted)}/spam",
    ):
        problem(api.post(path, json={"isSpam": True}), 404)

    assert get_ticket(other_api, other_brand, theirs)["isSpam"] is False
    assert blocked(session, brand) == []
    assert blocked(session, other_brand) == []


def test_the_spam_route_is_documented(client: Any) -> None:
    doc = client.get("/openapi.json").json()

    operation = doc["paths"]["/v1/brands/{brandId}/tickets/{ticketId}/spam"]["post"]

    assert operation["summary"]
    assert operation["tags"] == ["Tickets"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SpamRequest"}
    assert doc["components"]["schemas"]["SpamRequest"]["required"] == ["isSpam"]
    assert "isSpam" in doc["components"]["schemas"]["TicketUpdate"]["properties"]


# --- Concurrency, with real commits -------------------------------------------------------


@pytest.mark.committed
def test_two_tickets_of_one_sender_marked_spam_at_once_block_the_sender_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests see the sender unblocked and both block them: the second must find
    the sender blocked, not fail on the unique (brand, email) row."""
    with committed_brand(database_url) as (database, actor, brand_id):
        with database.session() as s:
            brand = s.get(Brand, brand_id)
            assert brand is not None
            ids = [
                tickets_service.create_ticket(
                    s,
                    actor,
                    brand,
                    TicketCreate.model_validate(
                        {"title": f"t{i}", "customerEmail": "x@example.com"}
                    ),
                ).id
                for i in range(2)
            ]
            s.commit()
        # Each request pauses after looking the sender up until the other has too (or
        # two seconds passed).
        both_looked = threading.Barrier(2, timeout=2)
        real_is_blocked = spam_service.is_blocked

        def look_then_pause(*args: Any, **kwargs: Any) -> bool:
            found = real_is_blocked(*args, **kwargs)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_looked.wait()
            return found

        monkeypatch.setattr(spam_service, "is_blocked", look_then_pause)

        def mark(ticket_id: str) -> bool:
            with database.session() as s:
                brand = s.get(Brand, brand_id)
                assert brand is not None
                out = tickets_service.set_spam(s, actor, brand, ticket_id, True)
                s.commit()
                return out.is_spam

        with ThreadPoolExecutor(max_workers=2) as pool:
            marked = [f.result(timeout=60) for f in [pool.submit(mark, i) for i in ids]]

        assert marked == [True, True]
        with database.session() as s:
            rows = s.scalars(select(BlockedSender).where(BlockedSender.brand_id == brand_id))
            assert [r.email for r in rows] == ["x@example.com"]
            entries = s.scalars(
                select(AuditLog.event).where(
                    AuditLog.brand_id == brand_id, AuditLog.event == "sender.blocked"
                )
            ).all()
            assert len(entries) == 1
