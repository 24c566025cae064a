"""Portal API tokens: stateless, signed with the brand's portal secret, one hour.

A token is a JWT (HS256, what the reference's clients receive): the claims name the
brand (`bid`), the contact (`sub`) and the expiry (`exp`); the signature is an
HMAC-SHA256 over them with the brand's `portal_secret`. Rotating that secret
(`portal.service.rotate_secret`) makes every token of the brand fail at once; a deleted
contact or brand makes its tokens fail too. Nothing is stored per token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
_HEADER = {"alg": "HS256", "typ": "JWT"}


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def _signature(secret: str, signing_input: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH:
        raise InvalidPortalToken()
    return _b64(hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest())


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
    signing_input = f"{_json(_HEADER)}.{_json(claims)}"
    return IssuedToken(
        f"{signing_input}.{_signature(brand.portal_secret, signing_input)}", expires_at
    )


def _claims(raw_token: str) -> tuple[str, dict[str, Any], str]:
    """(signing input, claims, signature) of a well-formed token; unverified."""
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH or not raw_token.isascii():
        raise InvalidPortalToken()
    parts = raw_token.strip().split(".")
    if len(parts) != 3:
        raise InvalidPortalToken()
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidPortalToken() from None
    if header != _HEADER or not isinstance(claims, dict) or claims.get("typ") != TOKEN_TYPE:
        raise InvalidPortalToken()
    if not all(isinstance(claims.get(k), str) and claims[k] for k in ("bid", "sub")):
        raise InvalidPortalToken()
    if not isinstance(claims.get("exp"), int) or isinstance(claims["exp"], bool):
        raise InvalidPortalToken()
    return f"{parts[0]}.{parts[1]}", claims, parts[2]


def verify(brand: Brand, raw_token: str, *, now: datetime | None = None) -> str:
    """The contact id a token of `brand` names, if its signature and expiry are good."""
    signing_input, claims, signature = _claims(raw_token)
    expected = _signature(brand.portal_secret, signing_input)
    if claims["bid"] != brand.id or not hmac.compare_digest(expected, signature):
        raise InvalidPortalToken()
    if claims["exp"] <= int((now or clock.now()).timestamp()):
        raise InvalidPortalToken()
    return str(claims["sub"])


def brand_of(raw_token: str) -> str:
    """The brand id a token claims (unverified: only to find the secret to check it with)."""
    return str(_claims(raw_token)[1]["bid"])


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
