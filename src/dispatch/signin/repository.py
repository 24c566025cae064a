"""Every query of signing in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dispatch.accounts.models import Member
from dispatch.signin.models import MemberToken, SignInFailure, WebSession


def active_members_by_email(session: Session, email: str) -> list[Member]:
    """The active members with this address in every account, the most recently signed
    in first (one person may belong to several accounts)."""
    stmt = (
        select(Member)
        .where(Member.email == email, Member.deactivated_at.is_(None))
        .order_by(Member.last_sign_in_at.desc().nulls_last(), Member.created_at)
    )
    return list(session.scalars(stmt))


def session_with_member(session: Session, token_hash: str) -> tuple[WebSession, Member] | None:
    row = session.execute(
        select(WebSession, Member)
        .join(Member, Member.id == WebSession.member_id)
        .where(WebSession.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def touch_session(session: Session, session_id: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def delete_session(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def delete_member_sessions(session: Session, member_id: str, *, keep: str | None = None) -> int:
    stmt = delete(WebSession).where(WebSession.member_id == member_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    result = session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


def delete_expired_sessions(session: Session, now: datetime, idle_since: datetime) -> int:
    result = session.execute(
        delete(WebSession).where(
            (WebSession.expires_at <= now) | (WebSession.last_seen_at <= idle_since)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def token_with_member(
    session: Session, token_hash: str, purpose: str
) -> tuple[MemberToken, Member | None] | None:
    row = session.execute(
        select(MemberToken, Member)
        .outerjoin(Member, Member.id == MemberToken.member_id)
        .where(MemberToken.token_hash == token_hash, MemberToken.purpose == purpose)
        .with_for_update(of=MemberToken)
    ).first()
    return None if row is None else (row[0], row[1])


def spend_tokens(session: Session, token: MemberToken, now: datetime) -> None:
    """Mark every unused link like this one used (the same member's, or for a first-run
    link the account's): the newest one sent wins, and a reset password makes older reset
    links worthless."""
    owner = (
        MemberToken.member_id == token.member_id
        if token.member_id is not None
        else MemberToken.account_id == token.account_id
    )
    session.execute(
        update(MemberToken)
        .where(owner, MemberToken.purpose == token.purpose, MemberToken.used_at.is_(None))
        .values(used_at=now)
    )


def failures_since(
    session: Session, scope: str, key: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many failures of this address or client since `since`, and the oldest."""
    count, oldest = session.execute(
        select(func.count(), func.min(SignInFailure.at)).where(
            SignInFailure.scope == scope, SignInFailure.key == key, SignInFailure.at > since
        )
    ).one()
    return int(count), oldest


def forget_failures(session: Session, scope: str, key: str) -> None:
    session.execute(
        delete(SignInFailure).where(SignInFailure.scope == scope, SignInFailure.key == key)
    )


def delete_failures_before(session: Session, before: datetime) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.at <= before))
