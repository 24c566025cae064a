"""Ticket counts per status: GET /statuses/stats and the kept counts behind it
(`dispatch.statuses.counts`), checked against counts recomputed from the tickets."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts_service
from dispatch.brands import service as brands_service
from dispatch.brands.models import Brand
from dispatch.brands.schemas import BrandCreate
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.statuses import counts
from dispatch.statuses import loading as statuses_loading
from dispatch.statuses import service as statuses_service
from dispatch.statuses.models import StatusTicketCount
from dispatch.statuses.schemas import StatusCreate
from dispatch.tickets import repository as tickets_repository
from dispatch.tickets import service as tickets_service
from dispatch.tickets.schemas import TicketCreate, TicketUpdate
from tests.conftest import Api, make_ticket
from tests.statuses.helpers import (
    Json,
    oracle_by_key,
    stats_by_key,
    statuses_path,
    tickets_path,
    update_ticket,
)

EMPTY = {"open": 0, "pending": 0, "resolved": 0, "closed": 0}


def assert_stats(api: Api, brand: Json, session: Session, expected: dict[str, int]) -> None:
    """The API's stats are the expected numbers, and agree with a recount of the tickets."""
    stats = api.ok("get", statuses_path(brand, "/stats"))
    shown = {s["key"]: s["count"] for s in stats}
    assert shown == expected
    assert all(s["ticketCount"] == s["count"] for s in stats)
    ids_to_keys = {s["statusId"]: s["key"] for s in stats}
    assert oracle_by_key(session, brand["id"], ids_to_keys) == expected


# --- Through the API ----------------------------------------------------------------------


def test_a_new_brand_has_zero_tickets_in_every_status(
    api: Api, brand: Json, session: Session
) -> None:
    assert_stats(api, brand, session, EMPTY)


def test_stats_count_tickets_as_they_are_created(
    api: Api, brand: Json, session: Session, in_progress: Json
) -> None:
    make_ticket(api, brand)  # open by default
    make_ticket(api, brand, status="pending")
    make_ticket(api, brand, statusId=in_progress["id"])
    make_ticket(api, brand, status="in_progress")
    assert_stats(api, brand, session, {**EMPTY, "open": 1, "pending": 1, "in_progress": 2})


def test_stats_follow_status_changes(
    api: Api, brand: Json, session: Session, in_progress: Json
) -> None:
    first, second = make_ticket(api, brand), make_ticket(api, brand)
    update_ticket(api, brand, first, status="in_progress")
    assert_stats(api, brand, session, {**EMPTY, "open": 1, "in_progress": 1})
    update_ticket(api, brand, first, status="resolved")
    update_ticket(api, brand, second, statusId=in_progress["id"])
    assert_stats(api, brand, session, {**EMPTY, "in_progress": 1, "resolved": 1})
    update_ticket(api, brand, first, status="resolved")  # unchanged: counts unchanged
    update_ticket(api, brand, second, title="Renamed only")
    assert_stats(api, brand, session, {**EMPTY, "in_progress": 1, "resolved": 1})


def test_stats_drop_deleted_tickets(api: Api, brand: Json, session: Session) -> None:
    kept, gone = make_ticket(api, brand), make_ticket(api, brand, status="closed")
    api.ok("delete", tickets_path(brand, f"/{gone['id']}"))
    assert_stats(api, brand, session, {**EMPTY, "open": 1})
    api.ok("delete", tickets_path(brand, f"/{kept['id']}"))
    assert_stats(api, brand, session, EMPTY)


def test_stats_move_counts_to_the_replacement_when_a_status_is_deleted(
    api: Api, brand: Json, session: Session, in_progress: Json, waiting_eng: Json
) -> None:
    for key in ("in_progress", "in_progress", "waiting_eng", "pending"):
        make_ticket(api, brand, status=key)
    gone = make_ticket(api, brand, status="in_progress")
    api.ok("delete", tickets_path(brand, f"/{gone['id']}"))
    assert_stats(api, brand, session, {**EMPTY, "in_progress": 2, "waiting_eng": 1, "pending": 1})

    api.ok(
        "delete",
        statuses_path(brand, f"/{in_progress['id']}"),
        params={"replacementStatusId": waiting_eng["id"]},
    )
    assert_stats(api, brand, session, {**EMPTY, "waiting_eng": 3, "pending": 1})
    remaining = session.scalars(
        select(StatusTicketCount).where(StatusTicketCount.status_id == in_progress["id"])
    ).all()
    assert remaining == [], "the deleted status's counts go with it"


def test_stats_count_only_the_brands_own_tickets(
    api: Api,
    brand: Json,
    sibling_brand: Json,
    other_api: Api,
    other_brand: Json,
    session: Session,
) -> None:
    make_ticket(api, brand)
    make_ticket(api, sibling_brand)
    make_ticket(api, sibling_brand, status="closed")
    make_ticket(other_api, other_brand, status="pending")
    assert_stats(api, brand, session, {**EMPTY, "open": 1})
    assert_stats(api, sibling_brand, session, {**EMPTY, "open": 1, "closed": 1})
    assert stats_by_key(other_api, other_brand) == {**EMPTY, "pending": 1}


def test_refused_requests_leave_the_counts_unchanged(
    api: Api, brand: Json, session: Session, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand, status="in_progress")
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("patch", tickets_path(brand, f"/{ticket['id']}"), {"status": "nope"}),
        (
            "patch",
            tickets_path(brand, f"/{ticket['id']}"),
            {"status": "open", "statusId": in_progress["id"]},
        ),
        (
            "patch",
            tickets_path(brand, f"/{ticket['id']}"),
            {"status": "pending", "closeReason": "duplicate"},
        ),
        ("post", tickets_path(brand), {"title": "x", "status": "nope"}),
        ("delete", statuses_path(brand, f"/{in_progress['id']}"), {}),
    ]
    for method, path, body in attempts:
        response = getattr(api, method)(path, json=body or None)
        assert response.status_code == 422, (path, body, response.text)
    assert_stats(api, brand, session, {**EMPTY, "in_progress": 1})


def test_stats_of_another_accounts_brand_are_not_found(
    api: Api, other_api: Api, other_brand: Json
) -> None:
    make_ticket(other_api, other_brand)
    response = api.get(statuses_path(other_brand, "/stats"))
    assert response.status_code == 404
    assert "count" not in response.text


# --- The kept counts ----------------------------------------------------------------------


def test_counts_spread_over_slots_are_summed(
    api: Api,
    brand: Json,
    session: Session,
    statuses: dict[str, Json],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = iter(range(counts.SLOTS))
    # Only the counts module's choice of slot is scripted, nothing else that uses random.
    monkeypatch.setattr(counts, "random", SimpleNamespace(randrange=lambda _n: next(slots)))
    for _ in range(3):
        make_ticket(api, brand)
    rows = session.scalars(
        select(StatusTicketCount).where(StatusTicketCount.status_id == statuses["open"]["id"])
    ).all()
    assert sorted((r.slot, r.count) for r in rows) == [(0, 1), (1, 1), (2, 1)]
    assert counts.read(session, brand["id"]) == {statuses["open"]["id"]: 3}
    assert stats_by_key(api, brand)["open"] == 3


def test_counts_of_a_rolled_back_transaction_are_discarded(
    api: Api, brand: Json, session: Session
) -> None:
    actor = Actor(ActorKind.API_KEY, Channel.API, api.account_id)
    model = session.get_one(Brand, brand["id"])
    tickets_service.create_ticket(
        session, actor, model, TicketCreate.model_validate({"title": "a"})
    )
    session.rollback()
    tickets_service.create_ticket(
        session, actor, model, TicketCreate.model_validate({"title": "b"})
    )
    session.commit()
    assert stats_by_key(api, brand) == {**EMPTY, "open": 1}


def test_counts_replace_repairs_a_brands_counts(
    api: Api, brand: Json, session: Session, statuses: dict[str, Json]
) -> None:
    make_ticket(api, brand)
    make_ticket(api, brand, status="closed")
    counts.replace(session, brand["id"], {statuses["open"]["id"]: 40})
    session.commit()
    assert stats_by_key(api, brand) == {**EMPTY, "open": 40}
    counts.replace(session, brand["id"], tickets_repository.count_by_status(session, brand["id"]))
    session.commit()
    assert stats_by_key(api, brand) == {**EMPTY, "open": 1, "closed": 1}


# --- Property: random workloads keep the counts exact --------------------------------------


class StatusCountsMachine(RuleBasedStateMachine):
    """Random ticket creates, status changes (by key and by id), deletes, custom statuses
    coming and going, and rolled-back changes, on a brand of its own; after every step the
    kept counts equal a recount of the tickets."""

    def __init__(self, session: Session, account_id: str) -> None:
        super().__init__()
        self.session = session
        self.actor = Actor(ActorKind.API_KEY, Channel.API, account_id)
        self.brand = brands_service.create_brand(
            session, self.actor, BrandCreate.model_validate({"name": "Property"})
        )
        session.commit()
        self.tickets: list[str] = []
        self.next_key = 0

    def _statuses(self) -> list[Any]:
        return statuses_loading.list_for_brand(self.session, self.brand.id)

    def _customs(self) -> list[Any]:
        return [s for s in self._statuses() if not s.is_system]

    def _change(self, ticket: int, pick: int, by_key: bool) -> None:
        status = self._statuses()[pick % len(self._statuses())]
        body = {"status": status.key} if by_key else {"statusId": status.id}
        ticket_id = self.tickets[ticket % len(self.tickets)]
        tickets_service.update_ticket(
            self.session, self.actor, self.brand, ticket_id, TicketUpdate.model_validate(body)
        )

    @rule(pick=st.integers(0, 10), commit=st.booleans())
    def create_ticket(self, pick: int, commit: bool) -> None:
        status = self._statuses()[pick % len(self._statuses())]
        data = TicketCreate.model_validate({"title": "Printer on fire", "statusId": status.id})
        out = tickets_service.create_ticket(self.session, self.actor, self.brand, data)
        if commit:
            self.session.commit()
            self.tickets.append(out.id)
        else:
            self.session.rollback()

    @precondition(lambda self: self.tickets)
    @rule(ticket=st.integers(0, 50), pick=st.integers(0, 10), by_key=st.booleans())
    def change_status(self, ticket: int, pick: int, by_key: bool) -> None:
        self._change(ticket, pick, by_key)
        self.session.commit()

    @precondition(lambda self: self.tickets)
    @rule(ticket=st.integers(0, 50), pick=st.integers(0, 10))
    def change_status_then_roll_back(self, ticket: int, pick: int) -> None:
        self._change(ticket, pick, by_key=False)
        self.session.rollback()

    @precondition(lambda self: self.tickets)
    @rule(ticket=st.integers(0, 50))
    def delete_ticket(self, ticket: int) -> None:
        ticket_id = self.tickets.pop(ticket % len(self.tickets))
        tickets_service.delete_ticket(self.session, self.actor, self.brand, ticket_id)
        self.session.commit()

    @precondition(lambda self: len(self._customs()) < 3)
    @rule()
    def add_custom_status(self) -> None:
        self.next_key += 1
        data = StatusCreate.model_validate(
            {"name": f"Custom {self.next_key}", "key": f"custom_{self.next_key}"}
        )
        statuses_service.create_status(self.session, self.actor, self.brand, data)
        self.session.commit()

    @precondition(lambda self: self._customs())
    @rule(pick=st.integers(0, 10), replacement=st.integers(0, 10))
    def delete_custom_status(self, pick: int, replacement: int) -> None:
        customs = self._customs()
        doomed = customs[pick % len(customs)]
        others = [s for s in self._statuses() if s.id != doomed.id]
        target = others[replacement % len(others)]
        statuses_service.delete_status(
            self.session,
            self.actor,
            self.brand,
            doomed.id,
            replacement_id=target.id,
            replacement_key=None,
        )
        self.session.commit()

    @invariant()
    def kept_counts_equal_a_recount_of_the_tickets(self) -> None:
        kept = counts.read(self.session, self.brand.id)
        assert all(n >= 0 for n in kept.values()), kept
        oracle = tickets_repository.count_by_status(self.session, self.brand.id)
        assert {k: n for k, n in kept.items() if n} == oracle
        assert sum(oracle.values()) == len(self.tickets)


def test_random_ticket_workloads_keep_status_counts_equal_to_a_recount(
    session: Session,
) -> None:
    account, _key = accounts_service.create_account(session, name="Property")
    session.commit()
    run_state_machine_as_test(
        lambda: StatusCountsMachine(session, account.id),
        settings=settings(
            max_examples=30,
            stateful_step_count=10,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
