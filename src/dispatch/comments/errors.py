from __future__ import annotations

from dispatch.core.errors import DomainError, ValidationFailed


class SystemCommentImmutable(DomainError):
    status = 422
    code = "system_comment_immutable"

    def __init__(self, action: str) -> None:
        message = f"SYSTEM comments record the ticket's history and cannot be {action}"
        super().__init__(message, errors=[{"field": "commentId", "message": message}])


class SystemAuthorReserved(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "authorType",
            "authorType SYSTEM is reserved for the comments Dispatch writes itself; "
            "use AGENT or CUSTOMER",
            code="system_author_reserved",
        )


class CustomerInternalNote(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "isInternal",
            "A CUSTOMER comment cannot be an internal note: internal notes are for agents",
            code="customer_internal_note",
        )


class UnknownParent(ValidationFailed):
    def __init__(self, parent_id: str) -> None:
        super().__init__(
            "parentId",
            f"parentId {parent_id!r} is not a comment of this ticket",
            code="unknown_parent_comment",
        )
