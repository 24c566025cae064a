"""`dispatch serve` as a user runs it: first start prints a key once, the API works over HTTP."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import signal
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dispatch.core import connection_balance
from dispatch.settings import Settings
from tests.e2e.conftest import ACCOUNT_LINE, KEY_LINE, START_TIMEOUT, Server, wait_until


def default_key(server: Server) -> tuple[str, str]:
    output = server.output
    keys = KEY_LINE.findall(output)
    accounts = ACCOUNT_LINE.findall(output)
    assert len(keys) == 1, output
    assert len(accounts) == 1, output
    return accounts[0], keys[0]


def assert_stopped_cleanly(server: Server) -> None:
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: -15 is a clean stop.
    assert server.stop() in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.output
    assert "Traceback" not in server.output


def test_first_start_prints_a_key_once_and_serves_the_api(
    start_server: Callable[[str], Server],
) -> None:
    first = start_server("first")
    account_id, key = default_key(first)
    assert "shown only this once" in first.output

    with first.client(key) as api:
        assert api.get("/accounts/me").json()["id"] == account_id
        brand = api.post("/brands", json={"name": "Live Shop"})
        assert brand.status_code == 201, brand.text
        brand_id = brand.json()["id"]
        ticket = api.post(
            f"/brands/{brand_id}/tickets",
            json={"title": "Over the wire", "customerEmail": "pat@example.com"},
        )
        assert ticket.status_code == 201, ticket.text
        assert ticket.json()["ticketNumber"] == 1001
        assert ticket.json()["status"] == "open"
        assert re.fullmatch(r"req_[\w-]{21}", ticket.headers["x-request-id"])
        assert "x-ratelimit-remaining" in ticket.headers
    assert_stopped_cleanly(first)

    second = start_server("second")
    assert KEY_LINE.search(second.output) is None, second.output
    with second.client(key) as api:
        assert api.get("/accounts/me").json()["id"] == account_id
        listed = api.get(f"/brands/{brand_id}/tickets").json()["data"]
        assert [t["id"] for t in listed] == [ticket.json()["id"]]
    with second.client("sk_live_wrong") as api:
        assert api.get("/accounts/me").status_code == 401
    assert_stopped_cleanly(second)


def test_live_server_replays_idempotent_posts(start_server: Callable[[str], Server]) -> None:
    server = start_server("idempotency")
    _account, key = default_key(server)
    with server.client(key) as api:
        brand_id = api.post("/brands", json={"name": "Retry Shop"}).json()["id"]
        path = f"/brands/{brand_id}/tickets"
        headers = {"Idempotency-Key": "live-1"}
        first = api.post(path, json={"title": "Once"}, headers=headers)
        again = api.post(path, json={"title": "Once"}, headers=headers)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == first.content
        assert len(api.get(path).json()["data"]) == 1


def test_live_server_cuts_off_an_oversize_chunked_upload(
    start_server: Callable[[str], Server],
) -> None:
    server = start_server("upload")
    _account, key = default_key(server)

    def chunks() -> Iterator[bytes]:
        yield b'{"title": "big", "metadata": {"pad": "'
        for _ in range(2 * 1024):  # 2 MiB against the default 1 MiB limit
            yield b"x" * 1024
        yield b'"}}'

    with server.client(key) as api:
        brand_id = api.post("/brands", json={"name": "Upload Shop"}).json()["id"]
        response = api.post(
            f"/brands/{brand_id}/tickets",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413, response.text[:300]
        assert response.json()["code"] == "payload_too_large"
        assert api.get(f"/brands/{brand_id}/tickets").json()["data"] == []


def _raw_exchange(server: Server, head: bytes) -> bytes:
    """Send a request head in pieces (the server may close early) and read the reply."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for start in range(0, len(head), 65_536):
                sock.sendall(head[start : start + 65_536])
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65_536):
                reply += chunk
        return reply


def test_live_server_refuses_oversize_request_heads_with_431(
    start_server: Callable[[str], Server],
) -> None:
    server = start_server("heads")
    _account, key = default_key(server)
    line = b"GET /v1/brands HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    auth = f"Authorization: Bearer {key}\r\n".encode()

    huge = _raw_exchange(server, line + auth + b"X-Big: " + b"a" * 5_000_000 + b"\r\n\r\n")
    many = _raw_exchange(
        server, line + auth + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n"
    )
    fine = _raw_exchange(
        server, line + auth + b"X-Fine: " + b"a" * 8_000 + b"\r\nConnection: close\r\n\r\n"
    )

    for reply in (huge, many):
        status, _, body = reply.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 431 "), reply[:300]
        assert json.loads(body)["code"] == "request_header_fields_too_large"
    assert fine.startswith(b"HTTP/1.1 200 "), fine[:300]
    with server.client(key) as api:
        assert api.get("/brands").status_code == 200
    assert_stopped_cleanly(server)


def _connection_counts(directory: Path) -> list[int]:
    """Open connections per server process, from the file `serve` shares between them."""
    (path,) = directory.glob("dispatch-connections-*")
    slots = connection_balance.SLOT.iter_unpack(path.read_bytes())
    return sorted(count for pid, count in slots if pid)


def _get_health(connection: http.client.HTTPConnection) -> bool:
    """One request on the connection; whether the server closed it after answering (the
    next request then opens a new one)."""
    connection.request("GET", "/health")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    if response.will_close:
        connection.close()
    return response.will_close


def test_serve_runs_the_process_layout_measured_best_for_its_database_by_default(
    start_server: Callable[..., Server],
) -> None:
    """On SQLite one process per core, at most two (`Settings.serve_processes`);
    DISPATCH_WORKERS overrides it."""
    server = start_server("default")
    # What the server read: SQLite in its data directory, no DISPATCH_WORKERS.
    expected = Settings(data_dir=server.data_dir, database_url="", workers=None).serve_processes
    assert wait_until(
        lambda: server.output.count("Application startup complete") == expected, START_TIMEOUT
    ), server.output
    assert_stopped_cleanly(server)
    one = start_server("one", env={"DISPATCH_WORKERS": "1"})
    assert one.output.count("Application startup complete") == 1, one.output
    assert "Started parent process" not in one.output
    assert_stopped_cleanly(one)


def test_keep_alive_connections_even_out_across_server_processes(
    start_server: Callable[..., Server], tmp_path: Path
) -> None:
    """A client's pool of keep-alive connections can land on one process while another
    idles (the busiest accepts them all): each process listens on its own socket, and
    one over its share closes the extra connections after their response; the client's
    new connections land anywhere."""
    shares = tmp_path / "shares"
    shares.mkdir()
    server = start_server("balanced", env={"DISPATCH_WORKERS": "2", "TMPDIR": str(shares)})
    # The first to start answers already; each listens once its app has started.
    started = wait_until(
        lambda: server.output.count("Application startup complete") == 2, START_TIMEOUT
    )
    assert started, server.output
    pool = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=10) for _ in range(16)]
    try:
        # Under load, as a client's pool sees it: 16 requests at a time.
        with ThreadPoolExecutor(16) as requests:
            list(requests.map(lambda c: [_get_health(c) for _ in range(20)], pool))
        # Then one request per connection at a time, until no connection is closed.
        for _ in range(20):
            closed = sum(_get_health(connection) for connection in pool)
            if not closed:
                break
        assert closed == 0
        assert _connection_counts(shares) == [8, 8]
    finally:
        for connection in pool:
            connection.close()
    assert_stopped_cleanly(server)
