"""Keep-alive connections spread evenly over the server's processes.

With one listening socket shared by uvicorn's processes, the busiest process accepts
nearly every new connection: Linux wakes the process that went back to waiting last, and
an awake process takes what is queued before a sleeping one is scheduled. A client or
proxy that opens its pool of keep-alive connections at once can land all of them on one
process while the others idle (measured with 16 clients on two processes: 16 and 0 in
three runs of eleven: half the server's capacity unused, reads at half the rate). Two
remedies, together:

- Each process listens on a socket of its own on the same port (`SO_REUSEPORT`): the
  kernel hands each new connection to one of them by a hash of its addresses, whichever
  process is awake.
- Each process counts its open connections in a small file all of them map (a slot
  each); a process holding more than its even share answers the next request on one of
  them with `Connection: close`. The client's next connection lands anywhere, as above,
  and the counts even out within a few requests.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import socket
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

SLOTS = 64  # server processes one `dispatch serve` may run
# The process's pid, its open connections. Slots are claimed in order and never given
# back (a dead process's goes to the next one started), so the claimed ones come first.
SLOT = struct.Struct("<qq")
SIZE = SLOTS * SLOT.size


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ConnectionShares:
    """One process's view of the shared counts. The server creates it; each of its
    processes receives a copy (uvicorn starts them with `spawn`, pickling the protocol's
    settings) which claims that process's slot as it is unpickled, so that a process
    counts from its start, even while it holds no connection at all."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._map: mmap.mmap | None = None
        self._offset = 0

    def __reduce__(self) -> tuple[Callable[[str], ConnectionShares], tuple[str]]:
        return ConnectionShares.claimed, (self.path,)

    @classmethod
    def claimed(cls, path: str) -> ConnectionShares:
        """This process's view, with its slot: a free one, or one whose process is gone
        (uvicorn replaces a process that died)."""
        shares = cls(path)
        pid = os.getpid()
        with open(path, "r+b") as file:
            shared = mmap.mmap(file.fileno(), SIZE)
            fcntl.flock(file, fcntl.LOCK_EX)  # one process claims at a time
            try:
                for offset in range(0, SIZE, SLOT.size):
                    holder, _ = SLOT.unpack_from(shared, offset)
                    if holder == 0 or holder == pid or not _alive(holder):
                        SLOT.pack_into(shared, offset, pid, 0)
                        break
                else:
                    raise RuntimeError(f"more than {SLOTS} server processes share {path}")
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)
        shares._map, shares._offset = shared, offset
        return shares

    def _own(self) -> mmap.mmap:
        if self._map is None:
            raise RuntimeError("the server's own copy counts no connections")
        return self._map

    def _add(self, delta: int) -> None:
        # Only this process writes its slot, from its event loop's thread.
        shared = self._own()
        pid, count = SLOT.unpack_from(shared, self._offset)
        SLOT.pack_into(shared, self._offset, pid, max(0, count + delta))

    def opened(self) -> None:
        self._add(1)

    def closed(self) -> None:
        self._add(-1)

    def over_share(self) -> bool:
        """Whether this process holds more than its even share (rounded up) of all the
        processes' open connections."""
        shared = self._own()
        mine: int = SLOT.unpack_from(shared, self._offset)[1]
        processes = total = 0
        for pid, count in SLOT.iter_unpack(shared):
            if not pid:
                break
            processes += 1
            total += count
        return mine * processes > total + processes - 1


class ListenerPerProcess:
    """Stands for the listening socket uvicorn hands each of its processes: unpickled in
    a process, it is a socket of that process's own, bound to the address with
    `SO_REUSEPORT` beside the others'. The server makes it listen once its app has
    started: the kernel hands connections only to listening sockets, so none waits on a
    process still starting."""

    def __init__(self, family: socket.AddressFamily, address: tuple[Any, ...]) -> None:
        self.family, self.address = family, address

    def __reduce__(self) -> tuple[Callable[..., socket.socket], tuple[Any, ...]]:
        return bind, (self.family, self.address)


def bind(family: socket.AddressFamily, address: tuple[Any, ...]) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def listener_per_process(checked: socket.socket) -> ListenerPerProcess:
    """What each process listens on, in place of `checked`: a socket bound (without
    `SO_REUSEPORT`) to prove the address free, closed here so that the processes' own
    sockets can share it."""
    listener = ListenerPerProcess(checked.family, checked.getsockname())
    checked.close()
    return listener


@contextlib.contextmanager
def shared_by(processes: int) -> Iterator[ConnectionShares | None]:
    """Counts for `processes` server processes, for as long as they run (none for one)."""
    if processes < 2:
        yield None
        return
    with tempfile.NamedTemporaryFile(prefix="dispatch-connections-") as file:
        file.write(bytes(SIZE))
        file.flush()
        yield ConnectionShares(file.name)
