"""The account (§3.1): `GET /accounts/me` and its usage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from dispatch.accounts import service
from dispatch.core.actor import Actor, ActorKind, Channel
from tests.accounts.conftest import scoped_api
from tests.conftest import Api, make_ticket
from tests.contacts.helpers import counting_statements


def test_account_carries_the_reference_billing_ids_as_null(api: Api) -> None:
    me = api.ok("get", "/accounts/me")

    assert me["stackbeCustomerId"] is None
    assert me["stackbeOrganizationId"] is None


def test_usage_counts_live_tickets_of_live_brands_this_utc_month_and_in_total(
    api: Api, other_api: Api, other_brand: dict[str, Any], frozen_clock: Any
) -> None:
    frozen_clock.now = datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)
    brand = api.ok("post", "/brands", 201, json={"name": "Acme"})
    make_ticket(api, brand)  # last month
    frozen_clock.now = datetime(2026, 2, 1, 0, 0, tzinfo=UTC)
    make_ticket(api, brand)
    deleted = make_ticket(api, brand)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{deleted['id']}")
    gone = api.ok("post", "/brands", 201, json={"name": "Gone"})
    make_ticket(api, gone)
    api.ok("delete", f"/brands/{gone['id']}", 204, params={"confirm": "true"})
    api.ok("post", "/brands", 201, json={"name": "Empty"})
    make_ticket(other_api, other_brand)
    frozen_clock.now = datetime(2026, 2, 28, 23, 59, tzinfo=UTC)

    usage = api.ok("get", "/accounts/me/usage")

    assert usage == {"ticketsThisMonth": 1, "ticketsTotal": 2, "brandsCount": 2, "plan": None}


def test_usage_starts_a_new_month_at_midnight_utc(api: Api, frozen_clock: Any) -> None:
    brand = api.ok("post", "/brands", 201, json={"name": "Acme"})
    frozen_clock.now = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    make_ticket(api, brand)

    frozen_clock.now = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    usage = api.ok("get", "/accounts/me/usage")

    assert (usage["ticketsThisMonth"], usage["ticketsTotal"]) == (0, 1)


def test_usage_of_a_brand_scoped_key_counts_only_its_brands(api: Api) -> None:
    mine = api.ok("post", "/brands", 201, json={"name": "Mine"})
    hidden = api.ok("post", "/brands", 201, json={"name": "Hidden"})
    make_ticket(api, mine)
    make_ticket(api, hidden)
    make_ticket(api, hidden)

    usage = scoped_api(api, mine["id"]).ok("get", "/accounts/me/usage")

    assert usage == {"ticketsThisMonth": 1, "ticketsTotal": 1, "brandsCount": 1, "plan": None}


def test_usage_is_counted_by_the_database_in_two_count_queries(
    api: Api, brand: dict[str, Any], session: Session, connection: Connection
) -> None:
    for _ in range(3):
        make_ticket(api, brand)
    actor = Actor(ActorKind.API_KEY, Channel.API, api.account_id, brand_ids=None)

    with counting_statements(connection) as statements:
        usage = service.get_usage(session, actor)

    queries = [s for s in statements if s.startswith("SELECT")]
    assert (usage.tickets_total, usage.brands_count) == (3, 1)
    assert len(queries) == 2
    assert all(q.startswith("SELECT count(*)") for q in queries), queries
