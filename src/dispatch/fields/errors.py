from __future__ import annotations

from dispatch.core.errors import Conflict, DomainError, ValidationFailed


class FieldKeyTaken(Conflict):
    code = "field_key_taken"

    def __init__(self, entity_type: str, key: str) -> None:
        super().__init__(f"This brand already has a {entity_type} field with key {key!r}")


class FieldKeyImmutable(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "key", "A field key cannot change after creation", code="field_key_immutable"
        )


class UnknownEntityType(DomainError):
    """A `/fields/{entityType}` path naming no entity type (like any unknown resource)."""

    status = 404
    code = "entity_type_not_found"

    def __init__(self, value: str) -> None:
        super().__init__(
            f"Unknown entity type {value!r}: use ticket, contact (or customer) or company"
        )


class InvalidCustomFields(DomainError):
    """Custom field values that do not fit their definitions: every problem at once."""

    status = 422
    code = "invalid_custom_fields"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(f"Invalid custom fields: {summary}{more}", errors=errors)
