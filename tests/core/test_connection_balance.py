"""Open connections counted per server process, in a file the processes share."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dispatch.core.connection_balance import ConnectionShares, shared_by

# Another server process: claims its slot as uvicorn's processes do (by unpickling the
# server's copy), opens some connections, then waits to be told to exit.
_OTHER_PROCESS = """
import pickle, sys
shares = pickle.loads(bytes.fromhex(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    shares.opened()
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def server_copy() -> Iterator[ConnectionShares]:
    with shared_by(2) as shares:
        assert shares is not None
        yield shares


def other_process(shares: ConnectionShares, connections: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", _OTHER_PROCESS, pickle.dumps(shares).hex(), str(connections)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def finish(process: subprocess.Popen[str]) -> None:
    process.communicate("", timeout=10)


def this_process(shares: ConnectionShares) -> ConnectionShares:
    copy = pickle.loads(pickle.dumps(shares))  # noqa: S301 - our own object
    assert isinstance(copy, ConnectionShares)
    return copy


def test_one_process_shares_nothing_and_the_file_goes_with_the_server() -> None:
    with shared_by(1) as alone:
        assert alone is None
    with shared_by(2) as shares:
        assert shares is not None
        path = Path(shares.path)
        assert path.exists()
    assert not path.exists()


def test_a_process_over_its_even_share_knows_it(server_copy: ConnectionShares) -> None:
    other = other_process(server_copy, 3)
    try:
        mine = this_process(server_copy)
        for _ in range(3):
            mine.opened()
        assert not mine.over_share()  # 3 of 6
        mine.opened()
        assert not mine.over_share()  # 4 of 7: the even share rounds up
        mine.opened()
        assert mine.over_share()  # 5 of 8
        mine.closed()
        assert not mine.over_share()
    finally:
        finish(other)


def test_a_process_counts_from_its_start_before_any_connection(
    server_copy: ConnectionShares,
) -> None:
    """Every connection on one process, none on the other: only a process that counts
    itself from the start lets the first see that it holds more than its share."""
    idle = other_process(server_copy, 0)
    try:
        mine = this_process(server_copy)
        mine.opened()
        assert not mine.over_share()
        mine.opened()
        assert mine.over_share()
    finally:
        finish(idle)


def test_a_process_that_died_leaves_its_slot_to_the_next(server_copy: ConnectionShares) -> None:
    finish(other_process(server_copy, 4))  # exits holding four connections
    replacement = other_process(server_copy, 0)
    try:
        mine = this_process(server_copy)
        mine.opened()
        mine.opened()
        assert mine.over_share()  # 2 of 2: the dead process's 4 no longer count
    finally:
        finish(replacement)


def test_the_servers_own_copy_counts_nothing(server_copy: ConnectionShares) -> None:
    with pytest.raises(RuntimeError):
        server_copy.opened()
