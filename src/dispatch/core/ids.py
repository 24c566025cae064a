"""Prefixed random identifiers: `prefix_` + 21 URL-safe characters (nanoid alphabet)."""

from __future__ import annotations

import secrets

_ALPHABET = "ModuleSymbhasOwnPr-0123456789ABCDEFGHNRVfgctiUvz_KqYTJkLxpZXIjQW"
ID_RANDOM_LENGTH = 21


def random_token(length: int = ID_RANDOM_LENGTH) -> str:
    # 64 symbols and 256 byte values: masking to 6 bits keeps every symbol equally likely.
    return "".join(_ALPHABET[b & 63] for b in secrets.token_bytes(length))


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_token()}"
