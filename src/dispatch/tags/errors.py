from __future__ import annotations

from dispatch.core.errors import Conflict, ValidationFailed


class TagExists(Conflict):
    code = "tag_exists"

    def __init__(self, name: str) -> None:
        super().__init__(f"This brand already has a tag named {name!r}")


class InvalidTagMerge(ValidationFailed):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, code="invalid_tag_merge")
