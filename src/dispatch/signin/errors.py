from __future__ import annotations

from dispatch.core.errors import DomainError


class SignInRefused(DomainError):
    """Wrong address or password, or a deactivated member: one message for all, so it
    does not tell which addresses exist."""

    status = 401
    code = "sign_in_refused"

    def __init__(self) -> None:
        super().__init__("That email and password do not match an active team member")


class SignInThrottled(DomainError):
    status = 429
    code = "sign_in_throttled"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            f"Too many failed sign-ins. Try again in {minutes} minute(s), or sign in "
            "with an emailed link",
            headers={"Retry-After": str(retry_after)},
        )


class LinkInvalid(DomainError):
    status = 400
    code = "link_invalid"

    def __init__(self) -> None:
        super().__init__("This link has expired or was already used. Ask for a new one")
