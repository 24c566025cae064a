from __future__ import annotations

from dispatch.core.errors import Conflict, ValidationFailed


class UnknownAssignee(ValidationFailed):
    def __init__(self, value: str) -> None:
        super().__init__(
            "assigneeId", f"No team member {value!r} in this account", code="unknown_assignee"
        )


class VersionConflict(Conflict):
    """A change made against a version of the ticket that is no longer current."""

    code = "version_conflict"

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(
            f"The ticket changed since version {expected} (it is at version {current}): "
            "reload it and try again"
        )
        self.current_version = current
