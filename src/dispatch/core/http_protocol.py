"""uvicorn's httptools protocol with a bounded request head.

uvicorn's fast protocol takes request heads of any size: a 50 MB header or 10,000
headers would be buffered and routed. This subclass answers 431 (Request Header Fields
Too Large, in the API's error format) and closes the connection once a request's line and
headers pass `max_head_bytes`, or its headers pass `max_headers`. The size is checked as
bytes arrive, so an unfinished head never grows past the limit by more than one read.
`dispatch serve` passes it to uvicorn (`http=`), configured from the settings.

With `shares` (`dispatch serve` with several processes), it keeps its process's count
of open connections and closes one after its response when the process holds more than
its share (`core.connection_balance`).

It also tells the app when the server begins its graceful shutdown (`core.stopping`), so
that responses which never end by themselves (event streams) end and let it stop.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from dispatch.core import stopping
from dispatch.core.connection_balance import ConnectionShares
from dispatch.core.errors import JSON, problem_body


class _HeadTooLarge(Exception):
    """Raised from a parser callback; uvicorn turns parser failures into its 400 reply,
    which `send_400_response` below answers with the 431 instead."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        *args: Any,
        max_head_bytes: int,
        max_headers: int,
        shares: ConnectionShares | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self.max_headers = max_headers
        self.shares = shares
        self._leaving = False  # closes after this response, no longer counted
        self._reading_head = True
        self._head_bytes = 0
        self._refused = False

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.shares is not None:
            self.shares.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.shares is not None and not self._leaving:
            self.shares.closed()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self.max_head_bytes and not self._refused:
            self._send_431()

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= self.max_headers:
            self._refused = True
            raise _HeadTooLarge()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()
        if self.shares is None or self.cycle is None or self._leaving:
            return
        if self.shares.over_share():
            # Answered with `Connection: close`; uncounted at once, so that the requests
            # arriving meanwhile close only as many connections as the share is over.
            self.cycle.keep_alive = False
            self._leaving = True
            self.shares.closed()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head, self._head_bytes = True, 0

    def shutdown(self) -> None:
        # Called on every open connection as the server starts stopping: a response still
        # running keeps this connection open until it ends.
        stopping.announce(self.app_state)
        super().shutdown()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            self._send_431()
        else:
            super().send_400_response(msg)

    def _send_431(self) -> None:
        self._refused = True
        if self.transport.is_closing():
            return
        message = (
            f"The request's headers exceed the limit of {self.max_head_bytes} bytes "
            f"or {self.max_headers} fields"
        )
        body = json.dumps(
            problem_body(431, "request_header_fields_too_large", message, None)
        ).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            + f"content-type: {JSON}\r\ncontent-length: {len(body)}\r\n".encode()
            + b"connection: close\r\n\r\n"
            + body
        )
        self.transport.close()
