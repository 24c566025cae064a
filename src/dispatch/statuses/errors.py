from __future__ import annotations

from dispatch.core.errors import Conflict, DomainError, ValidationFailed


class SystemStatusImmutable(DomainError):
    status = 422
    code = "system_status_immutable"


class StatusKeyImmutable(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "key", "A status key cannot change after creation", code="status_key_immutable"
        )


class StatusKeyTaken(Conflict):
    code = "status_key_taken"

    def __init__(self, key: str) -> None:
        super().__init__(f"This brand already has a status with key {key!r}")


class StatusNameTaken(Conflict):
    code = "status_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"This brand already has a status named {name!r}")


class InvalidStatusOrder(ValidationFailed):
    def __init__(self, message: str, field: str = "statusIds") -> None:
        super().__init__(field, message, code="invalid_status_order")


class ReplacementRequired(DomainError):
    status = 422
    code = "replacement_required"

    def __init__(self, key: str) -> None:
        message = (
            f"Tickets use the status {key!r}: give replacementStatusId or "
            "replacementStatusKey to move them before it is deleted"
        )
        super().__init__(message, errors=[{"field": "replacementStatusId", "message": message}])
