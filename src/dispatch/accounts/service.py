"""Accounts, API keys and team members."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dispatch.accounts import policy, repository
from dispatch.accounts.models import Account, ApiKey, Member
from dispatch.accounts.schemas import NewMember, UsageOut
from dispatch.brands import repository as brands_repository
from dispatch.brands.models import Brand
from dispatch.core import clock
from dispatch.core.actor import Actor, Channel, Role
from dispatch.core.errors import Conflict, Forbidden, InvalidApiKey, NotFound, ValidationFailed
from dispatch.core.ids import new_id, random_token
from dispatch.tickets import repository as tickets_repository

KEY_PREFIX = "sk_live_"
KEY_RANDOM_LENGTH = 32


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedKey:
    record: ApiKey
    secret: str


def create_account(session: Session, *, name: str) -> tuple[Account, IssuedKey]:
    """A new account with its first key, which may use every brand."""
    now = clock.now()
    account = Account(id=new_id("acc"), name=name, created_at=now, updated_at=now)
    session.add(account)
    session.flush()
    issued = _issue_key(session, account.id, name="Default key", brand_ids=None, expires_at=None)
    return account, issued


def get_account(session: Session, actor: Actor) -> Account:
    account = repository.get_account(session, actor.account_id)
    if account is None:
        raise NotFound("account", actor.account_id)
    return account


def get_usage(session: Session, actor: Actor) -> UsageOut:
    """Live tickets (in total and created this UTC calendar month) and live brands, of the
    brands the caller may use."""
    month_start = (
        clock.now().astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    total, this_month = tickets_repository.count_account_tickets(
        session, actor.account_id, actor.brand_ids, since=month_start
    )
    return UsageOut(
        tickets_this_month=this_month,
        tickets_total=total,
        brands_count=brands_repository.count_brands(session, actor.account_id, actor.brand_ids),
    )


def authenticate(
    session: Session, secret: str, *, with_brand: str | None = None
) -> tuple[ApiKey, Brand | None]:
    """The key behind a secret (401 otherwise) and, looked up in the same query, the
    account's live brand `with_brand` names (None if there is no such brand)."""
    found = repository.find_key_by_hash(session, hash_secret(secret), with_brand=with_brand)
    if found is None:
        raise InvalidApiKey()
    key, brand = found
    if key.expires_at is not None and key.expires_at <= clock.now():
        raise InvalidApiKey("This API key has expired")
    return key, brand


def needs_touch(key: ApiKey, touch_after_seconds: int) -> bool:
    """lastUsedAt is refreshed at most every `touch_after_seconds`, not on every request."""
    if key.last_used_at is None:
        return True
    return (clock.now() - key.last_used_at).total_seconds() >= touch_after_seconds


def touch_key(session: Session, key_id: str) -> None:
    repository.touch_key(session, key_id, clock.now())


def actor_for(key: ApiKey) -> Actor:
    return Actor.api_key(
        account_id=key.account_id,
        key_id=key.id,
        prefix=key.prefix,
        name=key.name,
        brand_ids=None if key.all_brands else frozenset(key.brand_ids),
    )


def _check_brand_scope(session: Session, account_id: str, brand_ids: list[str]) -> list[str]:
    unique = list(dict.fromkeys(brand_ids))
    found = brands_repository.existing_brand_ids(session, account_id, unique)
    missing = [b for b in unique if b not in found]
    if missing:
        raise ValidationFailed("brandIds", f"Unknown brand ids: {', '.join(missing)}")
    return unique


def _issue_key(
    session: Session,
    account_id: str,
    *,
    name: str,
    brand_ids: list[str] | None,
    expires_at: datetime | None,
) -> IssuedKey:
    secret = KEY_PREFIX + random_token(KEY_RANDOM_LENGTH)
    key = ApiKey(
        id=new_id("key"),
        account_id=account_id,
        name=name,
        secret_hash=hash_secret(secret),
        prefix=secret[: len(KEY_PREFIX) + 4],
        last_four=secret[-4:],
        all_brands=brand_ids is None,
        brand_ids=brand_ids or [],
        created_at=clock.now(),
        last_used_at=None,
        expires_at=expires_at,
        revoked_at=None,
    )
    session.add(key)
    session.flush()
    return IssuedKey(record=key, secret=secret)


def create_key(
    session: Session,
    actor: Actor,
    *,
    name: str,
    all_brands: bool | None,
    brand_ids: list[str] | None,
    expires_at: datetime | None,
) -> IssuedKey:
    policy.require_account_admin(actor, "manage API keys")
    return issue_key(
        session,
        actor.account_id,
        name=name,
        all_brands=all_brands,
        brand_ids=brand_ids,
        expires_at=expires_at,
    )


def issue_key(
    session: Session,
    account_id: str,
    *,
    name: str,
    all_brands: bool | None = None,
    brand_ids: list[str] | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Issue a key for an account (used by the API and the CLI)."""
    if repository.get_account(session, account_id) is None:
        raise NotFound("account", account_id)
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationFailed("expiresAt", "expiresAt must be in the future")
    scoped = all_brands is False or (all_brands is None and bool(brand_ids))
    scope = _check_brand_scope(session, account_id, brand_ids or []) if scoped else None
    return _issue_key(session, account_id, name=name, brand_ids=scope, expires_at=expires_at)


def list_keys(session: Session, actor: Actor) -> list[ApiKey]:
    policy.require_account_admin(actor, "manage API keys")
    return repository.list_keys(session, actor.account_id)


def get_key(session: Session, actor: Actor, key_id: str) -> ApiKey:
    policy.require_account_admin(actor, "manage API keys")
    key = repository.get_key(session, actor.account_id, key_id)
    if key is None:
        raise NotFound("api_key", key_id)
    return key


def update_key_scope(
    session: Session,
    actor: Actor,
    key_id: str,
    *,
    all_brands: bool | None,
    brand_ids: list[str] | None,
) -> ApiKey:
    policy.require_account_admin(actor, "manage API keys")
    key = repository.get_key(session, actor.account_id, key_id)
    if key is None:
        raise NotFound("api_key", key_id)
    if all_brands is True:
        key.all_brands, key.brand_ids = True, []
    else:
        key.all_brands = False
        key.brand_ids = _check_brand_scope(session, actor.account_id, brand_ids or [])
    session.flush()
    return key


def revoke_key(session: Session, actor: Actor, key_id: str) -> ApiKey:
    key = get_key(session, actor, key_id)
    key.revoked_at = clock.now()
    session.flush()
    return key


def add_member(session: Session, account_id: str, data: NewMember) -> Member:
    if repository.get_account(session, account_id) is None:
        raise NotFound("account", account_id)
    email = data.email.lower()
    if repository.find_member_by_email(session, account_id, email) is not None:
        raise Conflict(f"A team member with email {email} already exists", code="member_exists")
    scoped = data.all_brands is False or (data.all_brands is None and bool(data.brand_ids))
    brand_ids = _check_brand_scope(session, account_id, data.brand_ids or []) if scoped else []
    now = clock.now()
    member = Member(
        id=new_id("user"),
        account_id=account_id,
        email=email,
        name=data.name,
        role=data.role,
        all_brands=not scoped,
        brand_ids=brand_ids,
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    session.flush()
    return member


def create_member(session: Session, actor: Actor, data: NewMember) -> Member:
    policy.require_account_admin(actor, "manage team members")
    return add_member(session, actor.account_id, data)


def member_actor(member: Member, *, channel: Channel = Channel.DASHBOARD) -> Actor:
    """A signed-in team member, acting through the dashboard (or another channel)."""
    return Actor.member(
        account_id=member.account_id,
        member_id=member.id,
        email=member.email,
        name=member.name,
        role=Role(member.role),
        brand_ids=None if member.all_brands else frozenset(member.brand_ids),
        channel=channel,
    )


def list_members(session: Session, actor: Actor) -> list[Member]:
    return repository.list_members(session, actor.account_id)


def find_member(
    session: Session, account_id: str, *, member_id: str | None = None, email: str | None = None
) -> Member | None:
    if member_id is not None:
        return repository.get_member(session, account_id, member_id)
    if email is not None:
        return repository.find_member_by_email(session, account_id, email)
    return None


# --- the team: roles, brand access, deactivation ------------------------------------------


def _managed_member(session: Session, actor: Actor, member_id: str) -> Member:
    """A teammate the actor may change: owners change anyone; an admin changes members
    and themselves, never another admin or an owner (the reference's rule)."""
    policy.require_account_admin(actor, "manage team members")
    member = repository.get_member(session, actor.account_id, member_id)
    if member is None:
        raise NotFound("member", member_id)
    if (
        actor.role is not Role.OWNER
        and member.role in (Role.OWNER, Role.ADMIN)
        and member.id != actor.member_id
    ):
        raise Forbidden(f"Only an owner can change another {member.role}")
    return member


def _keep_an_owner(session: Session, member: Member) -> None:
    """The account always keeps an active owner to manage it."""
    if member.role == Role.OWNER and member.deactivated_at is None:
        others = repository.count_active_owners(session, member.account_id, except_id=member.id)
        if others == 0:
            raise Conflict(
                "The account's last owner stays an active owner: make another member owner first",
                code="last_owner",
            )


def change_role(session: Session, actor: Actor, member_id: str, role: str) -> Member:
    member = _managed_member(session, actor, member_id)
    if role not in tuple(Role):
        raise ValidationFailed("role", f"Unknown role {role!r}")
    if role == member.role:
        return member
    if Role.OWNER in (role, member.role) and actor.role is not Role.OWNER:
        raise Forbidden("Only an owner can make or unmake owners")
    _keep_an_owner(session, member)
    member.role = role
    member.updated_at = clock.now()
    session.flush()
    return member


def set_brand_access(
    session: Session, actor: Actor, member_id: str, *, all_brands: bool, brand_ids: list[str]
) -> Member:
    """Which brands a member (role `member`) works in; owners and admins reach all."""
    member = _managed_member(session, actor, member_id)
    if not all_brands and not brand_ids:
        raise ValidationFailed("brand_ids", "Choose at least one brand, or all brands")
    scope = [] if all_brands else _check_brand_scope(session, actor.account_id, brand_ids)
    member.all_brands, member.brand_ids = all_brands, scope
    member.updated_at = clock.now()
    session.flush()
    return member


def deactivate_member(session: Session, actor: Actor, member_id: str) -> Member:
    """The member can no longer sign in (their sessions and links stop working at once);
    their tickets, comments and history stay theirs."""
    member = _managed_member(session, actor, member_id)
    if member.id == actor.member_id:
        raise Conflict("You cannot deactivate yourself", code="cannot_deactivate_self")
    if member.deactivated_at is None:
        _keep_an_owner(session, member)
        member.deactivated_at = member.updated_at = clock.now()
        session.flush()
    return member


def reactivate_member(session: Session, actor: Actor, member_id: str) -> Member:
    member = _managed_member(session, actor, member_id)
    if member.deactivated_at is not None:
        member.deactivated_at = None
        member.updated_at = clock.now()
        session.flush()
    return member


def get_member(session: Session, actor: Actor, member_id: str) -> Member:
    member = repository.get_member(session, actor.account_id, member_id)
    if member is None:
        raise NotFound("member", member_id)
    return member
