from __future__ import annotations

from dispatch.core.errors import Conflict, ValidationFailed


class CategoryKeyTaken(Conflict):
    code = "category_key_taken"

    def __init__(self, key: str) -> None:
        super().__init__(f"This brand already has a category with key {key!r}")


class CategoryNameTaken(Conflict):
    code = "category_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"This brand already has a category named {name!r}")


class CategoryKeyImmutable(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "key", "A category key cannot change after creation", code="category_key_immutable"
        )


class UnknownCategory(ValidationFailed):
    def __init__(self, field: str, value: str) -> None:
        super().__init__(
            field, f"Unknown category {value!r} in this brand", code="unknown_category"
        )
