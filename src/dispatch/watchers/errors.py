from __future__ import annotations

from dispatch.core.errors import Conflict, ValidationFailed


class WatcherExists(Conflict):
    code = "watcher_exists"

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} already watches this ticket")


class UnknownMember(ValidationFailed):
    def __init__(self, field: str, member_id: str) -> None:
        super().__init__(
            field, f"No team member {member_id!r} in this account", code="unknown_member"
        )
