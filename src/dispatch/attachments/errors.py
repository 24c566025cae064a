from __future__ import annotations

from dispatch.core.errors import Conflict, DomainError, ValidationFailed


class AttachmentTooLarge(DomainError):
    status = 413
    code = "attachment_too_large"

    def __init__(self, limit: int, *, field: str = "size", declared: int | None = None) -> None:
        if declared is not None and declared < limit:
            message = f"The upload sent more than the {declared} bytes it declared"
        else:
            message = f"Attachments may be at most {limit} bytes"
        super().__init__(message, errors=[{"field": field, "message": message}])


class ContentTypeMismatch(ValidationFailed):
    def __init__(self, declared: str, detected: str, field: str = "contentType") -> None:
        super().__init__(
            field,
            f"The file is {detected}, not the declared {declared or 'type'}",
            code="content_type_mismatch",
        )


class SizeMismatch(ValidationFailed):
    def __init__(self, declared: int, received: int) -> None:
        super().__init__(
            "size",
            f"{received} bytes arrived but the upload declared {declared}",
            code="size_mismatch",
        )


class EmptyFile(ValidationFailed):
    def __init__(self, field: str = "file") -> None:
        super().__init__(field, "The file is empty", code="empty_file")


class UploadMissing(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "attachmentId",
            "No bytes have arrived for this attachment: PUT them to its uploadUrl first",
            code="upload_missing",
        )


class UploadAlreadyReceived(Conflict):
    code = "upload_already_received"

    def __init__(self) -> None:
        super().__init__("This upload URL has already been used; start a new upload")


class UnknownComment(ValidationFailed):
    def __init__(self, comment_id: str) -> None:
        super().__init__(
            "commentId", f"No comment {comment_id!r} on this ticket", code="unknown_comment"
        )


class InvalidAttachmentIds(ValidationFailed):
    def __init__(self, ids: list[str]) -> None:
        super().__init__(
            "attachmentIds",
            "Not uploaded, unattached pending uploads of this brand: " + ", ".join(ids),
            code="invalid_attachment_ids",
        )


class InvalidUpload(ValidationFailed):
    """A malformed multipart body (no file, several files, unknown fields)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, code="invalid_upload")
