"""Reading the stream: a reader starts now or right after its last event (no gap, no
repeat), is told to resync after an event the stream does not keep, and reads only the
brands its actor reaches, one or several."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dispatch.core.actor import Actor, Channel, Role
from dispatch.core.errors import NotFound
from dispatch.stream import consumer, service
from dispatch.stream.errors import ResyncRequired
from dispatch.stream.service import Cursor
from dispatch.tickets.policy import StaffOnly
from tests.stream.conftest import World


def _read_all(world: World, actor: Actor, cursor: Cursor, *, limit: int = 2) -> list[str]:
    """Every event id after `cursor`, read `limit` at a time as a stream would."""
    ids: list[str] = []
    while rows := service.events_after(world.session, actor, cursor, limit=limit):
        ids += [row.event_id for row in rows]
        cursor = cursor.past(rows)
    return ids


def test_a_reader_without_an_id_starts_now(world: World) -> None:
    world.ticket(title="Before")
    world.append()
    before = {row.event_id for row in world.streamed(world.brand)}
    cursor = service.start(world.session, world.key, [world.brand.id], None)
    assert service.events_after(world.session, world.key, cursor) == []
    world.ticket(title="After")
    world.append()
    after = [row.event_id for row in world.streamed(world.brand) if row.event_id not in before]
    assert before
    assert after
    assert _read_all(world, world.key, cursor) == after


def test_a_reader_resumes_right_after_its_last_event(world: World) -> None:
    for n in range(3):
        world.ticket(title=f"Ticket {n}")
    world.append()
    streamed = [row.event_id for row in world.streamed(world.brand)]
    assert len(streamed) >= 3
    for index, last in enumerate(streamed):
        cursor = service.start(world.session, world.key, [world.brand.id], last)
        assert _read_all(world, world.key, cursor) == streamed[index + 1 :]


@pytest.mark.parametrize("last_event_id", ["evt_unknown", "not an id"])
def test_an_unknown_event_id_asks_the_client_to_resync(world: World, last_event_id: str) -> None:
    with pytest.raises(ResyncRequired) as refused:
        service.start(world.session, world.key, [world.brand.id], last_event_id)
    assert (refused.value.status, refused.value.code) == (409, "stream_resync_required")
    assert last_event_id in refused.value.message


def test_an_event_no_longer_kept_asks_the_client_to_resync(world: World, frozen_clock: Any) -> None:
    world.ticket()
    world.append()
    last = world.streamed(world.brand)[-1].event_id
    service.start(world.session, world.key, [world.brand.id], last)
    frozen_clock.advance(days=8)
    consumer.prune(world.session, older_than=timedelta(days=7))
    with pytest.raises(ResyncRequired):
        service.start(world.session, world.key, [world.brand.id], last)


def test_another_brands_event_is_unknown_to_this_brands_stream(world: World) -> None:
    world.ticket(world.second_brand)
    world.append()
    theirs = world.streamed(world.second_brand)[-1].event_id
    with pytest.raises(ResyncRequired):
        service.start(world.session, world.key, [world.brand.id], theirs)


def test_a_brand_outside_the_account_does_not_exist_for_the_reader(world: World) -> None:
    for brand_id in (world.foreign_brand.id, "br_missing"):
        with pytest.raises(NotFound) as refused:
            service.start(world.session, world.key, [world.brand.id, brand_id], None)
        assert (refused.value.status, refused.value.code) == (404, "brand_not_found")


def test_a_reader_sees_only_its_brands_events(world: World) -> None:
    cursor = service.start(world.session, world.key, [world.brand.id], None)
    world.ticket(world.second_brand)
    world.ticket(world.foreign_brand)
    world.append()
    assert world.streamed(world.second_brand)
    assert world.streamed(world.foreign_brand)
    assert _read_all(world, world.key, cursor) == []


def test_a_key_limited_to_one_brand_cannot_follow_another(world: World) -> None:
    limited = Actor.api_key(
        account_id=world.key.account_id,
        key_id="key_limited",
        prefix="sk_live_lim",
        name="Limited",
        brand_ids=frozenset({world.brand.id}),
    )
    service.start(world.session, limited, [world.brand.id], None)
    with pytest.raises(NotFound):
        service.start(world.session, limited, [world.second_brand.id], None)
    # A cursor made for another actor does not widen this one's reach.
    theirs = service.start(world.session, world.key, [world.second_brand.id], None)
    with pytest.raises(NotFound):
        service.events_after(world.session, limited, theirs)


def test_a_member_follows_all_their_inboxes_in_one_order(world: World) -> None:
    member = Actor.member(
        account_id=world.key.account_id,
        member_id="mem_agent",
        email="agent@acme.test",
        name="Agent",
        role=Role.MEMBER,
        brand_ids=frozenset({world.brand.id, world.second_brand.id}),
    )
    both = [world.brand.id, world.second_brand.id]
    cursor = service.start(world.session, member, both, None)
    world.ticket(world.brand, title="One")
    world.ticket(world.second_brand, title="Two")
    world.ticket(world.foreign_brand, title="Not theirs")
    world.ticket(world.brand, title="Three")
    world.append()
    ours = world.streamed(world.brand) + world.streamed(world.second_brand)
    expected = [row.event_id for row in sorted(ours, key=lambda row: row.seq)]
    assert {row.brand_id for row in ours} == set(both)
    assert _read_all(world, member, cursor) == expected


def test_customers_cannot_follow_the_stream(world: World) -> None:
    customer = Actor.customer(
        account_id=world.key.account_id,
        brand_id=world.brand.id,
        contact_id="con_customer",
        email="pat@example.com",
        name="Pat",
        channel=Channel.PORTAL,
    )
    with pytest.raises(StaffOnly):
        service.start(world.session, customer, [world.brand.id], None)
