"""An SMTP sink on loopback (aiosmtpd): what Dispatch's relay client sends lands here.

Replies can be scripted: `sink.data_replies = ["451 4.3.0 Try again later"]` answers the
next DATA with 451 (then 250 again); `sink.refuse_rcpt["bob@example.com"] = "550 5.1.1 No
such user"` refuses a recipient.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

WAIT_SECONDS = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, content_type: str) -> str:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert body is not None, content_type
        assert body.get_content_type() == content_type
        content: str = body.get_content()
        return content


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    sessions: int = 0
    condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.condition:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.refuse_rcpt.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.condition:
            if self.data_replies:
                reply = self.data_replies.pop(0)
                if not reply.startswith("250"):
                    return reply
            content = envelope.original_content or envelope.content
            assert isinstance(content, bytes)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
            self.condition.notify_all()
        return "250 2.0.0 Message accepted for delivery"


class Sink:
    """`Sink(**options)`: options go to aiosmtpd's SMTP server (an authenticator, say)."""

    def __init__(self, **options: Any) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            ready_timeout=WAIT_SECONDS,
            **options,
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.condition:
            return list(self.handler.received)

    @property
    def data_replies(self) -> list[str]:
        return self.handler.data_replies

    @data_replies.setter
    def data_replies(self, replies: list[str]) -> None:
        with self.handler.condition:
            self.handler.data_replies = list(replies)

    @property
    def refuse_rcpt(self) -> dict[str, str]:
        return self.handler.refuse_rcpt

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> list[Received]:
        """At least `count` messages, waiting at most `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        with self.handler.condition:
            while len(self.handler.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} messages, got {len(self.handler.received)}"
                    )
                self.handler.condition.wait(left)
            return list(self.handler.received)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
