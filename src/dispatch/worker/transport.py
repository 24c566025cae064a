"""HTTP for webhook deliveries: connect only to vetted addresses, bounded in time and size.

- Every new connection resolves its host through `ssrf.resolve_public` and connects to one
  of the addresses it vetted, never to a second lookup's (DNS rebinding). The request keeps
  the real name in its URL, so the Host header, TLS SNI and certificate check all use it:
  the pinning lives in the network backend, below HTTP and TLS.
- An attempt has one deadline, from connecting to the last byte read, enforced on every
  socket operation: a server that drips bytes cannot stretch it.
- Redirects are not followed, and at most RESPONSE_BODY_LIMIT bytes of a response (plus
  one network read) are ever read; the connection is then dropped, not drained.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from dispatch.webhooks import ssrf
from dispatch.worker.config import RESPONSE_BODY_LIMIT

_deadline: ContextVar[float | None] = ContextVar("dispatch_delivery_deadline", default=None)

MAX_STORED_HEADERS = 40
MAX_HEADER_VALUE = 512


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation inside must finish within `seconds` from now, in total."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _within_deadline(timeout: float | None, expired: type[Exception]) -> float | None:
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise expired("the attempt ran out of time")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose reads and writes respect the current attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit = _within_deadline(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, limit))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class VettedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to the addresses `ssrf.resolve_public` vetted for the
    host, at connect time. Refused hosts raise `ssrf.BlockedAddress`."""

    def __init__(
        self, *, allow_private: bool, inner: httpcore.NetworkBackend | None = None
    ) -> None:
        self._allow_private = allow_private
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = ssrf.resolve_public(host, port, allow_private=self._allow_private)
        failure: Exception = httpcore.ConnectError(f"no address to connect to for {host}")
        for address in addresses:
            limit = _within_deadline(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(
                    address, port, limit, local_address, socket_options or []
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return DeadlineStream(stream)
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.UnsupportedProtocol("webhooks are delivered over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# httpcore's exceptions as httpx's, most specific first.
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_error, httpx_error in _EXCEPTIONS:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc) or type(exc).__name__, request=request) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx(self._request):
            yield from self._stream

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            with _as_httpx(self._request):
                self._stream.close()


class VettedTransport(httpx.BaseTransport):
    """httpx's HTTP/1.1 transport, on a connection pool that connects through
    VettedBackend (no proxies: a proxy would connect to unvetted addresses)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        max_connections: int = 64,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
            network_backend=VettedBackend(allow_private=allow_private),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)  # noqa: S101 (httpx's contract)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx(request):
            response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream, request),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@dataclass(frozen=True, slots=True)
class Exchange:
    """What one POST came to: a status (None when no response arrived), the start of the
    body, the headers, or the error that ended it."""

    status_code: int | None
    duration_ms: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def _stored_headers(headers: httpx.Headers) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in headers.items():
        if len(kept) >= MAX_STORED_HEADERS:
            break
        kept[name.lower()] = value[:MAX_HEADER_VALUE]
    return kept


def _describe(error: Exception, timeout: float) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"Timed out after {timeout:g} s ({type(error).__name__})"
    if isinstance(error, ssrf.BlockedAddress):
        return f"Address refused: {error.message}"
    detail = str(error) or type(error).__name__
    return f"{type(error).__name__}: {detail}"


class Sender:
    """POSTs deliveries. Thread-safe: one per worker, shared by its delivery threads."""

    def __init__(
        self,
        *,
        timeout: float,
        allow_private: bool,
        max_connections: int = 64,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        transport = VettedTransport(
            allow_private=allow_private, max_connections=max_connections, ssl_context=ssl_context
        )
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Exchange:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        status: int | None = None
        received: dict[str, str] = {}
        chunks: list[bytes] = []
        try:
            with deadline(self.timeout):
                request = self._client.build_request("POST", url, content=body, headers=headers)
                response = self._client.send(request, stream=True)
                status, received = response.status_code, _stored_headers(response.headers)
                try:
                    size = 0
                    # Raw bytes: nothing is decompressed (no inflating a small body into a
                    # huge one); stop after the limit, closing instead of draining.
                    for chunk in response.iter_raw():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= RESPONSE_BODY_LIMIT:
                            break
                finally:
                    response.close()
        except (httpx.HTTPError, ssrf.BlockedAddress, OSError, ValueError) as error:
            if status is None:
                return Exchange(None, elapsed(), error=_describe(error, self.timeout))
            # The status arrived; only the body was cut short: the answer stands.
        return Exchange(status, elapsed(), b"".join(chunks)[:RESPONSE_BODY_LIMIT], received)

    def close(self) -> None:
        self._client.close()
