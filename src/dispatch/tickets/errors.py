from __future__ import annotations

from dispatch.core.errors import ValidationFailed


class UnknownAssignee(ValidationFailed):
    def __init__(self, value: str) -> None:
        super().__init__(
            "assigneeId", f"No team member {value!r} in this account", code="unknown_assignee"
        )
