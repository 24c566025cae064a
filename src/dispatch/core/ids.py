"""Prefixed random identifiers: `prefix_` + 21 URL-safe characters (nanoid alphabet)."""

from __future__ import annotations

import os
import threading

_ALPHABET = "ModuleSymbhasOwnPr-0123456789ABCDEFGHNRVfgctiUvz_KqYTJkLxpZXIjQW"
# 64 symbols and 256 byte values: a byte's low 6 bits pick its symbol, so every symbol is
# equally likely. As a table, a token is one `bytes.translate`.
_SYMBOL_OF_BYTE = bytes(ord(_ALPHABET[b & 63]) for b in range(256))
ID_RANDOM_LENGTH = 21


class _RandomBytes:
    """The operating system's random bytes (`os.urandom`, as `secrets` uses), read a
    block ahead: a write makes several ids, and each system call let go of the interpreter
    lock, which a thread holding SQLite's write lock then had to win back. No byte is
    handed out twice: a forked child starts with an empty block (the parent's remaining
    bytes are its own)."""

    BLOCK = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._block = b""
        self._used = 0

    def take(self, count: int) -> bytes:
        if count > self.BLOCK:
            return os.urandom(count)
        with self._lock:
            if self._used + count > len(self._block):
                self._block, self._used = os.urandom(self.BLOCK), 0
            start, self._used = self._used, self._used + count
            return self._block[start : self._used]

    def forget(self) -> None:
        self._lock = threading.Lock()  # a fork may have copied it held
        self._block, self._used = b"", 0


_random = _RandomBytes()
os.register_at_fork(after_in_child=_random.forget)


def random_token(length: int = ID_RANDOM_LENGTH) -> str:
    return _random.take(length).translate(_SYMBOL_OF_BYTE).decode("ascii")


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_token()}"
