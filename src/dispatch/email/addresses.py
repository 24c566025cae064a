"""The email addresses Dispatch receives mail at, made and read in one place.

- A brand's mailboxes: `<slug>@<inbound domain>` and `<brandId>@<inbound domain>` (brand
  ids match case-insensitively: some mail systems lowercase local parts).
- A ticket's reply address: `<slug>+<number>-<check>@<inbound domain>`, where `check` is
  the first 10 characters, lowercase base32, of HMAC-SHA256(server secret,
  f"{brand_id}:{ticket_id}"). The check ties the address to one ticket of one brand, so a
  guessed ticket number gets nowhere.

Pure functions (plus the server secret, read once per settings), unit-tested alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from dispatch.attachments.signing import server_secret
from dispatch.settings import Settings

CHECK_LENGTH = 10
_TOKEN = re.compile(rf"^([0-9]{{1,12}})-([a-z2-7]{{{CHECK_LENGTH}}})$")


class _Brand(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def slug(self) -> str: ...


class _Ticket(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def ticket_number(self) -> int: ...


def inbound_domain(settings: Settings) -> str:
    return settings.inbound_domain.strip().lower().rstrip(".")


@lru_cache(maxsize=16)
def _cached_secret(secret_key: str | None, data_dir: Path) -> bytes:
    return server_secret(Settings(secret_key=secret_key, data_dir=data_dir))


def secret_for(settings: Settings) -> bytes:
    """The server secret (DISPATCH_SECRET_KEY or data_dir/secret_key), read once."""
    key = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    return _cached_secret(key or None, settings.data_dir)


def check_code(secret: bytes, brand_id: str, ticket_id: str) -> str:
    digest = hmac.new(secret, f"{brand_id}:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:CHECK_LENGTH]


def reply_token(secret: bytes, brand_id: str, ticket_id: str, ticket_number: int) -> str:
    return f"{ticket_number}-{check_code(secret, brand_id, ticket_id)}"


def brand_address(settings: Settings, brand: _Brand) -> str:
    """The brand's inbound mailbox, `<slug>@<inbound domain>`."""
    return f"{brand.slug}@{inbound_domain(settings)}"


def reply_address(settings: Settings, brand: _Brand, ticket: _Ticket) -> str:
    """Where replies about `ticket` go: `<slug>+<number>-<check>@<inbound domain>`."""
    token = reply_token(secret_for(settings), brand.id, ticket.id, ticket.ticket_number)
    return f"{brand.slug}+{token}@{inbound_domain(settings)}"


@dataclass(frozen=True, slots=True)
class Mailbox:
    """An address at the inbound domain, taken apart: `local` is the slug or brand id as
    written (not yet looked up), `token` the part after `+`, if any."""

    address: str
    local: str
    token: str | None


def parse_mailbox(settings: Settings, address: str) -> Mailbox | None:
    """The mailbox an address names at our inbound domain; None for any other domain or
    an address that is not one (`<...>` brackets and a display name are allowed)."""
    candidates = getaddresses([address])
    value = (candidates[0][1] if candidates else address).strip().strip("<>").strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or domain.lower().rstrip(".") != inbound_domain(settings):
        return None
    base, _, token = local.partition("+")
    if not base:
        return None
    return Mailbox(address=f"{local}@{inbound_domain(settings)}", local=base, token=token or None)


@dataclass(frozen=True, slots=True)
class ReplyToken:
    ticket_number: int
    check: str


def parse_token(token: str) -> ReplyToken | None:
    """`<number>-<check>` from a reply address; None when malformed."""
    match = _TOKEN.match(token.strip().lower())
    if match is None:
        return None
    return ReplyToken(int(match.group(1)), match.group(2))


def token_matches(secret: bytes, brand_id: str, ticket_id: str, token: ReplyToken) -> bool:
    """Whether the token's check belongs to this ticket of this brand (constant time)."""
    expected = check_code(secret, brand_id, ticket_id)
    return hmac.compare_digest(expected.encode(), token.check.encode())
