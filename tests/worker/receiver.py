"""A webhook receiver for tests: a small HTTP server on 127.0.0.1, in a thread, whose
answers are scripted per request, and which checks both signature schemes of every
request it gets with its own implementation (independent of the code under test).

    with Receiver(secret) as receiver:
        receiver.script(Reply(500), Reply(200))   # first request 500, second 200
        ...
        receiver.wait_for(2)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# No request is held, delayed or streamed to for longer than this.
MAX_HOLD_SECONDS = 30.0
CHUNK = 64 * 1024
ENDLESS_CAP_BYTES = 2 * 1024**3


@dataclass
class Reply:
    """How to answer one request."""

    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    # Wait this long before answering (a slow endpoint, a timeout).
    delay: float = 0.0
    # Wait until this is set before answering (a request held mid-delivery).
    hold: threading.Event | None = None
    # Reset the connection (RST) instead of answering.
    reset: bool = False
    # Answer with this many bytes of body (a 50 MB response) ...
    body_size: int | None = None
    # ... or with a body that never ends (until the client goes away).
    endless: bool = False


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    # Problems found checking the signatures (empty: both schemes verified).
    signature_problems: tuple[str, ...]

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


def standard_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def signature_problems(headers: dict[str, str], body: bytes, secrets: list[str]) -> list[str]:
    """Check X-Dispatch-Signature (hex HMAC of the body keyed with the secret string) and
    Standard Webhooks' webhook-signature (base64 HMAC of id.timestamp.body keyed with the
    decoded whsec_ part): some secret in `secrets` must verify each."""
    problems = []
    # During a rotation the old secret's signature comes in X-Dispatch-Signature-Previous.
    dispatch = {
        headers.get("x-dispatch-signature", ""),
        headers.get("x-dispatch-signature-previous", ""),
    }
    expected = {"sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets}
    if not dispatch & expected:
        problems.append(f"X-Dispatch-Signature {dispatch!r} does not verify")
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit():
        problems.append("webhook-id or webhook-timestamp missing")
    signed = f"{message_id}.{timestamp}.".encode() + body
    wanted = {
        base64.b64encode(hmac.new(standard_key(s), signed, hashlib.sha256).digest()).decode()
        for s in secrets
    }
    given = {
        entry.split(",", 1)[1]
        for entry in headers.get("webhook-signature", "").split()
        if entry.startswith("v1,")
    }
    if not wanted & given:
        problems.append("webhook-signature does not verify")
    return problems


class Receiver:
    def __init__(
        self,
        secret: str | None = None,
        *,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.secrets: list[str] = [secret] if secret else []
        self.default = Reply()
        self.received: list[Received] = []
        self._script: deque[Reply] = deque()
        self._chooser: Callable[[Received], Reply] | None = None
        self._holds: list[threading.Event] = []
        self._lock = threading.Condition()
        self._open_requests = 0
        self.peak_open_requests = 0
        self._server = _Server((host, 0), _Handler)
        self._server.receiver = self
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.scheme = "https" if ssl_context is not None else "http"

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for hold in self._holds:
            hold.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # --- Scripting ----------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then with `default`."""
        with self._lock:
            self._script.extend(replies)
            self._holds.extend(r.hold for r in replies if r.hold is not None)

    def choose(self, chooser: Callable[[Received], Reply]) -> None:
        """Answer every request with chooser(request) (scripted replies go first)."""
        self._chooser = chooser

    def _reply_for(self, request: Received) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self._chooser is not None:
            return self._chooser(request)
        return self.default

    def _record(self, request: Received) -> None:
        with self._lock:
            self.received.append(request)
            self._lock.notify_all()

    def _opened(self, delta: int) -> None:
        with self._lock:
            self._open_requests += delta
            self.peak_open_requests = max(self.peak_open_requests, self._open_requests)

    # --- Inspecting ---------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until `count` requests arrived (or fail after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} requests within {timeout}s, got {len(self.received)}"
                    )
                self._lock.wait(left)
            return list(self.received)

    def signature_failures(self) -> list[tuple[str, tuple[str, ...]]]:
        with self._lock:
            return [
                (r.webhook_id, r.signature_problems) for r in self.received if r.signature_problems
            ]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Two workers send up to 16 deliveries at once: the default backlog (5) can overflow
    # on a loaded machine, and a refused connection is a failed attempt, retried.
    request_queue_size = 128
    receiver: Receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-body are part of the tests.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the status line and headers go out in one write, the body in another;
    # with Nagle's algorithm the body would wait for the client's delayed ACK (40 ms on
    # Linux), making every delivery take 40 ms on loopback.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Received(
            path=self.path,
            headers=headers,
            body=body,
            at=time.monotonic(),
            signature_problems=tuple(signature_problems(headers, body, receiver.secrets))
            if receiver.secrets
            else (),
        )
        receiver._opened(1)
        try:
            receiver._record(request)
            self._answer(receiver._reply_for(request))
        finally:
            receiver._opened(-1)

    def _answer(self, reply: Reply) -> None:
        if reply.hold is not None:
            reply.hold.wait(MAX_HOLD_SECONDS)
        if reply.delay:
            time.sleep(min(reply.delay, MAX_HOLD_SECONDS))
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        try:
            if reply.endless:
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                self._stream(ENDLESS_CAP_BYTES)
            elif reply.body_size is not None:
                self.send_header("Content-Length", str(reply.body_size))
                self.end_headers()
                self._stream(reply.body_size)
            else:
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True

    def _stream(self, size: int) -> None:
        chunk = b"x" * CHUNK
        sent = 0
        started = time.monotonic()
        while sent < size and time.monotonic() - started < MAX_HOLD_SECONDS:
            part = chunk[: min(CHUNK, size - sent)]
            self.wfile.write(part)
            sent += len(part)
