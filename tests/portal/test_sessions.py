"""Hosted portal sessions (`portal/sessions.py`): only the cookie's hash kept, bound to one
brand, ended by the idle limit, the absolute limit, sign-out and a rotated portal secret,
and forgotten a day after they end."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select

from dispatch.portal import service as portal
from dispatch.portal import sessions
from dispatch.portal.models import PortalSession
from tests.portal.conftest import World


def _contact(world: World) -> str:
    actor = world.customer("pat@customer.test")
    assert actor.contact_id is not None
    return actor.contact_id


def test_a_session_keeps_only_the_hash_of_its_cookie(world: World) -> None:
    started = sessions.start(world.session, world.brand, _contact(world))
    row = started.portal_session
    assert row.token_hash == hashlib.sha256(started.secret.encode()).hexdigest()
    assert started.secret not in (row.token_hash, row.id)
    assert sessions.resume(world.session, world.brand, started.secret) == row


def test_a_session_works_only_for_its_brand(world: World) -> None:
    started = sessions.start(world.session, world.brand, _contact(world))
    assert sessions.resume(world.session, world.other_brand, started.secret) is None
    assert sessions.resume(world.session, world.brand, started.secret + "x") is None
    assert sessions.resume(world.session, world.brand, "") is None


def test_a_session_ends_when_idle_too_long_and_at_its_absolute_expiry(
    world: World, frozen_clock: Any
) -> None:
    idle = sessions.start(world.session, world.brand, _contact(world))
    busy = sessions.start(world.session, world.brand, _contact(world))
    frozen_clock.advance(days=6)
    sessions.touch(world.session, busy.portal_session.id)
    frozen_clock.advance(days=2)
    assert sessions.resume(world.session, world.brand, idle.secret) is None
    assert sessions.resume(world.session, world.brand, busy.secret) is not None
    for _ in range(4):  # kept busy, it still ends after LIFETIME
        frozen_clock.advance(days=6)
        sessions.touch(world.session, busy.portal_session.id)
    assert sessions.resume(world.session, world.brand, busy.secret) is None


def test_the_idle_clock_is_written_only_now_and_then(world: World, frozen_clock: Any) -> None:
    row = sessions.start(world.session, world.brand, _contact(world)).portal_session
    assert not sessions.needs_touch(row)
    frozen_clock.advance(seconds=sessions.TOUCH_EVERY.total_seconds())
    assert sessions.needs_touch(row)


def test_signing_out_and_rotating_the_secret_end_sessions(world: World) -> None:
    contact = _contact(world)
    out = sessions.start(world.session, world.brand, contact)
    other = sessions.start(world.session, world.brand, contact)
    sessions.end(world.session, out.portal_session.id)
    assert sessions.resume(world.session, world.brand, out.secret) is None
    assert sessions.resume(world.session, world.brand, other.secret) is not None
    portal.rotate_secret(world.session, world.key, world.brand)
    assert sessions.resume(world.session, world.brand, other.secret) is None


def test_ended_sessions_are_purged_a_day_later(world: World, frozen_clock: Any) -> None:
    contact = _contact(world)
    live = sessions.start(world.session, world.brand, contact)
    ended = sessions.start(world.session, world.brand, contact)
    sessions.end(world.session, ended.portal_session.id)
    assert sessions.purge(world.session) == 0
    frozen_clock.advance(days=1, minutes=1)
    sessions.touch(world.session, live.portal_session.id)
    assert sessions.purge(world.session) == 1
    left = world.session.scalar(select(func.count()).select_from(PortalSession))
    assert left == 1
    assert sessions.resume(world.session, world.brand, live.secret) is not None
