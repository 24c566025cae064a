"""Signing team members in: password or emailed link, sessions, resets, invitations.

Every function takes the caller's session and flushes; the web layer commits. What a
browser holds (the session cookie, a link's token) is a random secret of which only the
SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from dispatch.accounts import policy
from dispatch.accounts import repository as accounts_repository
from dispatch.accounts import service as accounts
from dispatch.accounts.models import Member
from dispatch.accounts.schemas import NewMember
from dispatch.core import clock
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.settings import Settings
from dispatch.signin import mail, passwords, repository
from dispatch.signin.errors import LinkInvalid, SignInRefused, SignInThrottled
from dispatch.signin.models import MemberToken, SignInFailure, WebSession

# A session's last_seen_at is written at most this often (reads stay cheap).
TOUCH_EVERY = timedelta(minutes=1)
# First-run links are printed, not emailed: they may wait a while to be opened.
SETUP_LINK_TTL = timedelta(days=7)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Client:
    """Where a sign-in comes from, kept with the session (shown in the session list)."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class SignedIn:
    web_session: WebSession
    member: Member
    # The cookie's value: shown to the browser once, never stored.
    secret: str


# ---- sessions ------------------------------------------------------------------------


def start_session(session: Session, settings: Settings, member: Member, client: Client) -> SignedIn:
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    web_session = WebSession(
        id=new_id("ses"),
        token_hash=_hash(secret),
        member_id=member.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.session_max_days),
        user_agent=(client.user_agent or "")[:300] or None,
        ip=(client.ip or "")[:64] or None,
    )
    session.add(web_session)
    member.last_sign_in_at = now
    session.flush()
    return SignedIn(web_session, member, secret)


def resume(session: Session, settings: Settings, secret: str) -> tuple[WebSession, Member] | None:
    """The live session behind a cookie and its member; None when it ended (expired,
    idle too long, signed out, or the member was deactivated)."""
    if not secret or len(secret) > 100:
        return None
    found = repository.session_with_member(session, _hash(secret))
    if found is None:
        return None
    web_session, member = found
    now = clock.now()
    idle = timedelta(minutes=settings.session_idle_minutes)
    if (
        web_session.expires_at <= now
        or web_session.last_seen_at + idle <= now
        or member.deactivated_at is not None
    ):
        return None
    return web_session, member


def needs_touch(web_session: WebSession) -> bool:
    """The idle clock is moved at most every TOUCH_EVERY, so most reads write nothing."""
    return clock.now() - web_session.last_seen_at >= TOUCH_EVERY


def touch(session: Session, web_session_id: str) -> None:
    repository.touch_session(session, web_session_id, clock.now())


def sign_out(session: Session, web_session: WebSession) -> None:
    repository.delete_session(session, web_session.id)


def sign_out_everywhere(session: Session, member_id: str, *, keep: str | None = None) -> int:
    """End every session of the member but `keep` (the browser asking, if it stays
    signed in); returns how many ended."""
    return repository.delete_member_sessions(session, member_id, keep=keep)


def purge(session: Session, settings: Settings) -> int:
    """Forget ended sessions and old failed attempts (a periodic job)."""
    now = clock.now()
    ended = repository.delete_expired_sessions(
        session, now, now - timedelta(minutes=settings.session_idle_minutes)
    )
    repository.delete_failures_before(
        session, now - timedelta(minutes=settings.sign_in_window_minutes)
    )
    return ended


# ---- password sign-in and throttling --------------------------------------------------


def _throttle(session: Session, settings: Settings, email: str, client: Client) -> None:
    now = clock.now()
    window = timedelta(minutes=settings.sign_in_window_minutes)
    limits = [("email", email, settings.sign_in_failures_per_address)]
    if client.ip:
        limits.append(("ip", client.ip, settings.sign_in_failures_per_client))
    for scope, key, limit in limits:
        count, oldest = repository.failures_since(session, scope, key, now - window)
        if count >= limit and oldest is not None:
            retry_after = int((oldest + window - now).total_seconds()) + 1
            raise SignInThrottled(max(retry_after, 1))


def record_failure(session: Session, email: str, client: Client) -> None:
    """Count a refused sign-in against the address and the client. Runs in its own
    transaction (the refused one rolls back)."""
    now = clock.now()
    session.add(SignInFailure(id=new_id("sif"), scope="email", key=email, at=now))
    if client.ip:
        session.add(SignInFailure(id=new_id("sif"), scope="ip", key=client.ip, at=now))
    session.flush()


def sign_in_with_password(
    session: Session, settings: Settings, email: str, password: str, client: Client
) -> SignedIn:
    """A new session for the member with this address and password. Refused alike for an
    unknown address, a wrong password and a deactivated member; refused for every
    password once the address or the client failed too often in the window."""
    email = email.strip().lower()
    _throttle(session, settings, email, client)
    members = repository.active_members_by_email(session, email)
    if not members:
        passwords.verify(None, password)  # as long as a wrong password takes
    for member in members:
        stored = member.password_hash
        if passwords.verify(stored, password) and stored is not None:
            if passwords.needs_rehash(stored):
                member.password_hash = passwords.hash_password(password)
            repository.forget_failures(session, "email", email)
            return start_session(session, settings, member, client)
    raise SignInRefused()


# ---- emailed links -------------------------------------------------------------------


def _issue(
    session: Session, account_id: str, member: Member | None, purpose: str, ttl: timedelta
) -> str:
    """A new link; the older unused ones like it stop working (the newest sent wins)."""
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    token = MemberToken(
        id=new_id("mtk"),
        token_hash=_hash(secret),
        purpose=purpose,
        account_id=account_id,
        member_id=member.id if member else None,
        created_at=now,
        expires_at=now + ttl,
        used_at=None,
    )
    repository.spend_tokens(session, token, now)
    session.add(token)
    session.flush()
    return secret


def _live_token(session: Session, secret: str, purpose: str) -> tuple[MemberToken, Member | None]:
    found = repository.token_with_member(session, _hash(secret), purpose) if secret else None
    if found is None:
        raise LinkInvalid()
    token, member = found
    dead_member = member is not None and member.deactivated_at is not None
    if token.used_at is not None or token.expires_at <= clock.now() or dead_member:
        raise LinkInvalid()
    if member is None and purpose != "setup":
        raise LinkInvalid()
    return token, member


def _spend(session: Session, secret: str, purpose: str) -> tuple[MemberToken, Member | None]:
    """A single-use link and its member (None for the first run's), marked used with its
    older siblings."""
    token, member = _live_token(session, secret, purpose)
    repository.spend_tokens(session, token, clock.now())
    return token, member


def link_url(base_url: str, purpose: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/auth/{purpose.replace('_', '-')}/{secret}"


def _minutes(ttl: timedelta) -> str:
    minutes = int(ttl.total_seconds() // 60)
    if minutes >= 24 * 60:
        return f"{minutes // (24 * 60)} day(s)"
    return f"{minutes} minutes"


def _account_name(session: Session, member: Member) -> str:
    account = accounts_repository.get_account(session, member.account_id)
    return account.name if account is not None else "Dispatch"


def request_link(
    session: Session, settings: Settings, email: str, purpose: str, base_url: str
) -> None:
    """Email a sign-in (`sign_in`) or password-reset (`reset`) link to every active
    member with this address. Says nothing either way: the page answers the same whether
    or not the address belongs to anyone."""
    ttl = timedelta(minutes=settings.sign_in_link_minutes)
    for member in repository.active_members_by_email(session, email.strip().lower()):
        secret = _issue(session, member.account_id, member, purpose, ttl)
        mail.queue_link(
            session,
            settings,
            member,
            purpose,
            link_url(base_url, purpose, secret),
            account_name=_account_name(session, member),
            expiry=f"The link works once, within {_minutes(ttl)}.",
        )


def sign_in_with_link(
    session: Session, settings: Settings, secret: str, client: Client
) -> SignedIn:
    _, member = _spend(session, secret, "sign_in")
    if member is None:  # sign-in links always name their member (see _live_token)
        raise LinkInvalid()
    return start_session(session, settings, member, client)


def peek_link(session: Session, secret: str, purpose: str) -> str:
    """The address a link is for ("" for the first run's), without spending it: the page
    that asks for a new password shows whose it is. Raises LinkInvalid like spending."""
    _, member = _live_token(session, secret, purpose)
    return member.email if member else ""


def set_password_with_link(
    session: Session,
    settings: Settings,
    secret: str,
    purpose: str,
    password: str,
    client: Client,
    *,
    name: str | None = None,
    email: str | None = None,
) -> SignedIn:
    """Reset a password (`reset`), accept an invitation (`invite`) or finish the first
    run (`setup`: whoever opens it becomes an owner with the address they give). The
    member's other sessions end, and this browser is signed in."""
    password_hash = passwords.hash_password(password)
    token, member = _spend(session, secret, purpose)
    if member is None:
        member = _first_owner(session, token.account_id, email or "", name)
    elif name is not None and name.strip():
        member.name = name.strip()[:200]
    member.password_hash = password_hash
    member.updated_at = clock.now()
    repository.delete_member_sessions(session, member.id)
    return start_session(session, settings, member, client)


def _first_owner(session: Session, account_id: str, email: str, name: str | None) -> Member:
    if not email.strip():
        raise ValidationFailed("email", "Give the address you will sign in with")
    existing = accounts_repository.find_member_by_email(session, account_id, email.strip())
    if existing is not None:
        existing.role = "owner"
        return existing
    data = NewMember(email=email.strip(), name=(name or "").strip()[:200] or None, role="owner")
    return accounts.add_member(session, account_id, data)


def change_password(
    session: Session, settings: Settings, web_session: WebSession, member: Member,
    current: str, new: str,
) -> None:  # fmt: skip
    """A signed-in member's new password: the current one is asked again, and every
    other session ends (this one stays)."""
    if member.password_hash is not None and not passwords.verify(member.password_hash, current):
        raise ValidationFailed("currentPassword", "The current password is not right")
    member.password_hash = passwords.hash_password(new)
    member.updated_at = clock.now()
    repository.delete_member_sessions(session, member.id, keep=web_session.id)


# ---- the team ------------------------------------------------------------------------


def invite(
    session: Session, settings: Settings, actor: Actor, data: NewMember, base_url: str
) -> Member:
    """Add a member (owners and admins only) and email them a link to choose a
    password."""
    member = accounts.create_member(session, actor, data)
    send_invitation(session, settings, actor, member, base_url)
    return member


def send_invitation(
    session: Session, settings: Settings, actor: Actor, member: Member, base_url: str
) -> None:
    ttl = timedelta(days=settings.invite_days)
    secret = _issue(session, member.account_id, member, "invite", ttl)
    mail.queue_link(
        session,
        settings,
        member,
        "invite",
        link_url(base_url, "invite", secret),
        account_name=_account_name(session, member),
        expiry=f"The invitation is valid for {_minutes(ttl)}.",
        inviter=actor.name or actor.email,
    )


def resend_invitation(
    session: Session, settings: Settings, actor: Actor, member_id: str, base_url: str
) -> Member:
    policy.require_account_admin(actor, "invite team members")
    member = accounts_repository.get_member(session, actor.account_id, member_id)
    if member is None:
        raise NotFound("member", member_id)
    send_invitation(session, settings, actor, member, base_url)
    return member


def setup_link(session: Session, account_id: str, base_url: str) -> str | None:
    """First run: a link that makes whoever opens it the account's owner (they choose
    the address and password). None once someone can sign in."""
    members = accounts_repository.list_members(session, account_id)
    if any(m.password_hash is not None and m.deactivated_at is None for m in members):
        return None
    return link_url(base_url, "setup", _issue(session, account_id, None, "setup", SETUP_LINK_TTL))
