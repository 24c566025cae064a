"""Portal API tokens: stateless, signed with the brand's portal secret, one hour.

A token is a JWT (HS256, what the reference's clients receive; PyJWT makes and reads
it): the claims name the brand (`bid`), the contact (`sub`) and the expiry (`exp`),
signed with the brand's `portal_secret`. Rotating that secret
(`portal.service.rotate_secret`) makes every token of the brand fail at once; a deleted
contact or brand makes its tokens fail too. Nothing is stored per token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.contacts import repository as contacts_repository
from dispatch.contacts.models import Contact
from dispatch.core import clock
from dispatch.core.actor import Actor, Channel
from dispatch.portal import repository
from dispatch.portal.errors import InvalidPortalToken

TOKEN_TTL = timedelta(hours=1)
TOKEN_TYPE = "portal"  # noqa: S105 - the `typ` claim, not a secret
MAX_TOKEN_LENGTH = 2048
# A secret shorter than this (the migration's empty placeholder) signs nothing.
MIN_SECRET_LENGTH = 32
_ALGORITHM = "HS256"
_REQUIRED = ["typ", "bid", "sub", "exp"]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def _secret(brand: Brand) -> str:
    if len(brand.portal_secret) < MIN_SECRET_LENGTH:
        raise InvalidPortalToken()
    return brand.portal_secret


def secret_version(brand: Brand) -> str:
    """A short fingerprint of the brand's current portal secret (what hosted sessions
    remember, so a rotation ends them); reveals nothing about the secret."""
    return hashlib.sha256(brand.portal_secret.encode()).hexdigest()[:16]


def issue(brand: Brand, contact_id: str, *, now: datetime | None = None) -> IssuedToken:
    """A token for the brand's contact, valid for TOKEN_TTL from `now`."""
    issued_at = now or clock.now()
    # Whole seconds: what the `exp` claim can say.
    expires_at = datetime.fromtimestamp(int((issued_at + TOKEN_TTL).timestamp()), UTC)
    claims = {
        "typ": TOKEN_TYPE,
        "bid": brand.id,
        "sub": contact_id,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return IssuedToken(jwt.encode(claims, _secret(brand), algorithm=_ALGORITHM), expires_at)


def _decoded(raw_token: str, secret: str | None) -> dict[str, Any]:
    """The claims of a well-formed portal token, its signature checked against `secret`
    (unchecked without one: only to learn which brand's secret to check it with). Expiry
    is checked by the caller, against Dispatch's clock."""
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH or not raw_token.isascii():
        raise InvalidPortalToken()
    try:
        claims: dict[str, Any] = jwt.decode(
            raw_token.strip(),
            secret or "",
            algorithms=[_ALGORITHM],
            options={
                "verify_signature": secret is not None,
                "verify_exp": False,
                "verify_iat": False,
                "require": _REQUIRED,
            },
        )
    except jwt.InvalidTokenError:
        raise InvalidPortalToken() from None
    if claims["typ"] != TOKEN_TYPE or not isinstance(claims["exp"], int):
        raise InvalidPortalToken()
    if not all(isinstance(claims[k], str) and claims[k] for k in ("bid", "sub")):
        raise InvalidPortalToken()
    return claims


def verify(brand: Brand, raw_token: str, *, now: datetime | None = None) -> str:
    """The contact id a token of `brand` names, if its signature and expiry are good."""
    claims = _decoded(raw_token, _secret(brand))
    if claims["bid"] != brand.id or claims["exp"] <= int((now or clock.now()).timestamp()):
        raise InvalidPortalToken()
    return str(claims["sub"])


def brand_of(raw_token: str) -> str:
    """The brand id a token claims (unverified: only to find the secret to check it with)."""
    return str(_decoded(raw_token, None)["bid"])


def customer_for(session: Session, raw_token: str) -> Actor:
    """The customer a portal token stands for (channel portal); 401 `invalid_token` for
    anything wrong: malformed, forged, expired, rotated secret, brand or contact gone."""
    return authenticate(session, raw_token)[0]


def authenticate(session: Session, raw_token: str) -> tuple[Actor, Brand]:
    """The token's customer and their brand (see `customer_for`)."""
    brand = repository.live_brand(session, brand_of(raw_token))
    if brand is None:
        raise InvalidPortalToken()
    contact_id = verify(brand, raw_token)
    contact = contacts_repository.get_contact(session, brand.id, contact_id)
    if contact is None:
        raise InvalidPortalToken()
    return customer(brand, contact), brand


def customer(brand: Brand, contact: Contact) -> Actor:
    """The actor of a brand's contact on the portal channel."""
    return Actor.customer(
        account_id=brand.account_id,
        brand_id=brand.id,
        contact_id=contact.id,
        email=contact.email,
        name=contact.name,
        channel=Channel.PORTAL,
    )
