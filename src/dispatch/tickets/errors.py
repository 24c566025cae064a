from __future__ import annotations

from dispatch.core.errors import ValidationFailed


class UnknownStatus(ValidationFailed):
    def __init__(self, field: str, value: str) -> None:
        super().__init__(field, f"Unknown status {value!r} in this brand", code="unknown_status")


class UnknownAssignee(ValidationFailed):
    def __init__(self, value: str) -> None:
        super().__init__(
            "assigneeId", f"No team member {value!r} in this account", code="unknown_assignee"
        )
