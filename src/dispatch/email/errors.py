"""Errors of the inbound email channel, rendered as problem+json like every other."""

from __future__ import annotations

from dispatch.core.errors import DomainError, Unauthenticated, ValidationFailed


class InvalidInboundSecret(Unauthenticated):
    code = "invalid_inbound_secret"

    def __init__(self) -> None:
        super().__init__(
            "Missing or invalid inbound secret: send the account's inbound secret as a "
            "Bearer token or as the Basic auth password",
            headers={"WWW-Authenticate": 'Bearer, Basic realm="dispatch-inbound"'},
        )


class UnsupportedMessageType(DomainError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, content_type: str) -> None:
        super().__init__(
            "Send the raw message as message/rfc822 (or text/plain), not "
            f"{content_type or 'nothing'}"
        )


class EmptyMessage(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("body", "The request body holds no message", code="empty_message")


class NoMailbox(ValidationFailed):
    def __init__(self, field: str = "to") -> None:
        super().__init__(
            field,
            "No recipient of this message is an inbound mailbox of a brand with inbound "
            "email enabled (give one with ?to=)",
            code="unknown_mailbox",
        )
