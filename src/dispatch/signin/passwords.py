"""Passwords: argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dispatch.core.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()
# Verified when an address has no password (or no member), so a refusal takes as long
# either way and timing does not tell which addresses exist.
_DUMMY_HASH = _hasher.hash("no password here, only the time it takes")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed("password", f"Use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed("password", f"Use at most {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        raise ValidationFailed("password", "Use more than a few different characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """After argon2's parameters were raised: hash again at the next sign-in."""
    return _hasher.check_needs_rehash(stored)
