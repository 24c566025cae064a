"""Portal tokens: signed with the brand's secret, bound to one contact of one brand,
expiring, and revoked all at once by rotating the secret."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from dispatch.brands.models import Brand, new_portal_secret
from dispatch.core import clock
from dispatch.portal import tokens
from dispatch.portal.errors import InvalidPortalToken


def _brand(brand_id: str = "br_one") -> Brand:
    return Brand(id=brand_id, portal_secret=new_portal_secret())


def test_a_token_names_its_contact_until_it_expires() -> None:
    brand = _brand()
    now = clock.now()
    issued = tokens.issue(brand, "cus_a", now=now)
    assert issued.expires_at - now <= tokens.TOKEN_TTL
    assert issued.expires_at - now > tokens.TOKEN_TTL - timedelta(seconds=1)
    assert tokens.verify(brand, issued.token, now=now) == "cus_a"
    with pytest.raises(InvalidPortalToken):
        tokens.verify(brand, issued.token, now=issued.expires_at)


def test_a_token_is_a_jwt_whose_claims_name_brand_contact_and_expiry() -> None:
    brand = _brand()
    issued = tokens.issue(brand, "cus_a")
    header, claims, _sig = issued.token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["bid"] == "br_one"
    assert decoded["sub"] == "cus_a"
    assert decoded["exp"] == int(issued.expires_at.timestamp())
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}


def test_a_rotated_secret_refuses_every_earlier_token() -> None:
    brand = _brand()
    issued = tokens.issue(brand, "cus_a")
    before = tokens.secret_version(brand)
    brand.portal_secret = new_portal_secret()
    assert tokens.secret_version(brand) != before
    with pytest.raises(InvalidPortalToken):
        tokens.verify(brand, issued.token)


def test_a_token_of_another_brand_or_with_changed_claims_is_refused() -> None:
    brand, other = _brand(), _brand("br_two")
    issued = tokens.issue(brand, "cus_a")
    with pytest.raises(InvalidPortalToken):
        tokens.verify(other, issued.token)
    header, _claims, signature = issued.token.split(".")
    forged = {"typ": "portal", "bid": "br_one", "sub": "cus_b", "iat": 1, "exp": 4_000_000_000}
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidPortalToken):
        tokens.verify(brand, f"{header}.{body}.{signature}")


def test_an_unsigned_token_is_refused() -> None:
    """`alg: none` (no signature at all) must never pass for a signed token."""
    brand = _brand()
    claims = {"typ": "portal", "bid": "br_one", "sub": "cus_a", "exp": 4_000_000_000}
    parts = [{"alg": "none", "typ": "JWT"}, claims]
    encoded = [
        base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in parts
    ]
    assert tokens.brand_of(f"{encoded[0]}.{encoded[1]}.") == "br_one"
    with pytest.raises(InvalidPortalToken):
        tokens.verify(brand, f"{encoded[0]}.{encoded[1]}.")


@pytest.mark.parametrize(
    "raw", ["", "abc", "a.b.c", "x" * 3000, "é.é.é", "e30.e30.sig", "..", "a.b.c.d"]
)
def test_malformed_tokens_are_invalid_not_errors(raw: str) -> None:
    with pytest.raises(InvalidPortalToken):
        tokens.brand_of(raw)


def test_an_empty_secret_signs_nothing() -> None:
    brand = Brand(id="br_one", portal_secret="")
    with pytest.raises(InvalidPortalToken):
        tokens.issue(brand, "cus_a")
