from __future__ import annotations

from dispatch.core.errors import DomainError, Forbidden, ValidationFailed


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"

    def __init__(self, origin: str) -> None:
        super().__init__(f"This form does not take submissions from {origin}")


class EmptySubmission(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "email",
            "Fill in at least an email address, a subject or a message",
            code="empty_submission",
        )


class TooManyFiles(DomainError):
    status = 413
    code = "too_many_files"

    def __init__(self, limit: int) -> None:
        super().__init__(f"A submission may carry at most {limit} files")


class UnsupportedSubmission(DomainError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"Send the form as application/x-www-form-urlencoded, multipart/form-data or "
            f"application/json, not {content_type or 'no content type'}"
        )
