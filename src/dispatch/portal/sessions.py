"""The hosted portal's sign-in sessions: a customer's browser at /support/<slug>.

A session starts when a magic link is redeemed and is bound to one contact of one brand.
The browser holds a random secret (its cookie); only the secret's SHA-256 is stored. A
session ends at its absolute expiry, after the idle limit, on sign-out, and for every
customer of the brand at once when the brand's portal secret is rotated: each session
keeps the fingerprint of the secret it was started under (`tokens.secret_version`).

Functions take the caller's session and flush; the web layer commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.ids import new_id
from dispatch.portal import tokens
from dispatch.portal.models import PortalSession

# A customer comes back now and then: a week without a visit ends the session, a month
# ends it whatever happens (the next magic link starts a new one).
IDLE = timedelta(days=7)
LIFETIME = timedelta(days=30)
# last_seen_at is written at most this often, so most pages write nothing.
TOUCH_EVERY = timedelta(minutes=5)
SECRET_MAX = 100


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Started:
    portal_session: PortalSession
    # The cookie's value: given to the browser once, never stored.
    secret: str


def start(session: Session, brand: Brand, contact_id: str) -> Started:
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    row = PortalSession(
        id=new_id("pss"),
        brand_id=brand.id,
        contact_id=contact_id,
        token_hash=_hash(secret),
        secret_version=tokens.secret_version(brand),
        created_at=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return Started(row, secret)


def resume(session: Session, brand: Brand, secret: str) -> PortalSession | None:
    """The live session behind a cookie for this brand; None when there is none, it
    belongs to another brand, or it ended (expired, idle, signed out, secret rotated)."""
    if not secret or len(secret) > SECRET_MAX:
        return None
    row = session.query(PortalSession).filter_by(token_hash=_hash(secret)).one_or_none()
    now = clock.now()
    if (
        row is None
        or row.brand_id != brand.id
        or row.revoked_at is not None
        or row.secret_version != tokens.secret_version(brand)
        or row.expires_at <= now
        or row.last_seen_at + IDLE <= now
    ):
        return None
    return row


def needs_touch(row: PortalSession) -> bool:
    return clock.now() - row.last_seen_at >= TOUCH_EVERY


def touch(session: Session, session_id: str) -> None:
    session.execute(
        update(PortalSession).where(PortalSession.id == session_id).values(last_seen_at=clock.now())
    )


def end(session: Session, session_id: str) -> None:
    """Sign out: the row stays, revoked (its cookie never works again)."""
    session.execute(
        update(PortalSession)
        .where(PortalSession.id == session_id, PortalSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def purge(session: Session) -> int:
    """Forget sessions that ended a day ago or more: expired, idle too long or signed out
    (a periodic job). A rotated secret's sessions go when they reach one of those."""
    cutoff = clock.now() - timedelta(days=1)
    result = session.execute(
        delete(PortalSession).where(
            or_(
                PortalSession.expires_at <= cutoff,
                PortalSession.last_seen_at <= cutoff - IDLE,
                PortalSession.revoked_at <= cutoff,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
