from __future__ import annotations

from dispatch.core.errors import Unauthenticated, ValidationFailed


class InvalidPortalToken(Unauthenticated):
    """Any portal token or magic link that is not good: malformed, forged, expired, of a
    rotated secret, already used, or for a contact that is gone. One answer for all, so a
    caller learns nothing about which."""

    code = "invalid_token"

    def __init__(self) -> None:
        super().__init__("Invalid or expired portal token", headers={"WWW-Authenticate": "Bearer"})


class PortalUrlNotAllowed(ValidationFailed):
    def __init__(self, reason: str) -> None:
        super().__init__("portalUrl", reason, code="portal_url_not_allowed")


class OriginNotAllowed(Unauthenticated):
    """A browser's call from an origin the token's brand does not list (`portal/cors.py`):
    refused before anything is read or changed."""

    code = "origin_not_allowed"

    def __init__(self, origin: str) -> None:
        super().__init__(f"The origin {origin} may not call this portal")
