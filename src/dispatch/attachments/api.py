from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from tempfile import SpooledTemporaryFile
from typing import Any, TypeVar

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service
from dispatch.attachments.config import AttachmentConfig
from dispatch.attachments.errors import AttachmentTooLarge, InvalidUpload
from dispatch.attachments.links import Links
from dispatch.attachments.schemas import (
    AttachmentOut,
    AttachmentUrls,
    AttachmentWithUrl,
    InitiateUpload,
    UploadStarted,
    UrlsRequest,
)
from dispatch.attachments.signing import InvalidSignature
from dispatch.attachments.storage import CHUNK_BYTES, ReadStream
from dispatch.core import transaction
from dispatch.core.middleware import BodyLimit, BodyTooLarge
from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, brand_path, unit_of_work

T = TypeVar("T")

TicketId = Path(alias="ticketId", max_length=64)
AttachmentId = Path(alias="attachmentId", max_length=64)
SPOOL_IN_MEMORY = 1024 * 1024

# One flat router (the app mounts each domain's routes directly under /v1).
router = api_router(tags=["Attachments"])
ON_TICKET = "/brands/{brandId}/tickets/{ticketId}/attachments"
IN_BRAND = "/brands/{brandId}/attachments"
BRAND = [Depends(brand_path)]

# Routes that take file bytes are capped at the attachment limit, not the JSON body cap,
# with room for the multipart framing around a file of the largest allowed size.
UPLOAD_BODY_LIMIT = BodyLimit(
    re.compile(
        r"/v1/(brands/[^/]+/(tickets/[^/]+/attachments|attachments/pending)/upload"
        r"|uploads/[^/]+)/?"
    ),
    "attachment_max_bytes",
    "attachment_too_large",
    "Attachments may be at most {limit} bytes",
    overhead=64 * 1024,
)


async def current_config(request: Request) -> AttachmentConfig:
    """The app's attachment config, also made current for the request's service calls."""
    config = attachment_config.for_app(request.app)
    attachment_config.bind(config)
    return config


def links_for(request: Request, config: AttachmentConfig) -> Links:
    """Signed links as clients reach Dispatch (the public URL, else this request's)."""
    return Links(config, config.public_url or str(request.base_url).rstrip("/"))


def _multipart(*, comment: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": "The file"},
        "uploadedBy": {"type": "string", "maxLength": 320},
    }
    if comment:
        properties["commentId"] = {
            "type": "string",
            "maxLength": 64,
            "description": "A comment of the same ticket the file belongs to",
        }
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


def _text_field(form: FormData, name: str, max_length: int) -> str | None:
    value = form.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidUpload(name, f"{name} must be a text field")
    value = value.strip()
    if len(value) > max_length or "\x00" in value:
        raise InvalidUpload(name, f"{name} must be at most {max_length} characters, no NUL")
    return value or None


async def _read_upload(
    request: Request, config: AttachmentConfig, *, comment: bool
) -> tuple[service.Upload, FormData]:
    """The multipart body: one `file`, optional `uploadedBy` (and `commentId`). The file
    part is spooled to a temporary file; the caller closes the form."""
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
    except BodyTooLarge:
        raise AttachmentTooLarge(config.max_bytes, field="file") from None
    try:
        allowed = {"file", "uploadedBy", *(["commentId"] if comment else [])}
        for name in form:
            if name not in allowed:
                raise InvalidUpload(name, "Unknown field")
            if len(form.getlist(name)) > 1:
                raise InvalidUpload(name, f"Send {name} once")
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidUpload("file", "Send the file as the multipart/form-data field `file`")
        if file.size is not None and file.size > config.max_bytes:
            raise AttachmentTooLarge(config.max_bytes, field="file")
        upload = service.Upload(
            filename=file.filename or "file",
            content_type=file.content_type or "",
            stream=file.file,
            comment_id=_text_field(form, "commentId", 64) if comment else None,
            uploaded_by=_text_field(form, "uploadedBy", 320),
        )
    except BaseException:
        await form.close()
        raise
    return upload, form


def _transaction(request: Request, work: Callable[[Session], T], *, write: bool) -> T:
    """A unit of work without an API key, for the signed URLs (the signature is the
    credential)."""
    return transaction.run(request.app.state.database, work, write=write)


# --- on a ticket -------------------------------------------------------------------------


@router.get(
    ON_TICKET,
    response_model=list[AttachmentOut],
    summary="List a ticket's attachments",
    dependencies=BRAND,
)
async def list_attachments(
    ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.list_for_ticket(w.session, w.actor, w.brand, ticket_id))


@router.post(
    ON_TICKET,
    dependencies=BRAND,
    response_model=UploadStarted,
    status_code=201,
    summary="Start an upload (then PUT the bytes to uploadUrl and confirm)",
    description=(
        "Declare `filename`, `contentType` and the exact `size` in bytes. PUT the bytes to "
        "`uploadUrl` with that Content-Type before `expiresAt` (a presigned storage URL, or "
        "Dispatch's own single-use URL with local storage; no API key needed), then call "
        "`…/{attachmentId}/confirm`. A size over the limit is refused with 413 "
        "`attachment_too_large` before anything is stored."
    ),
)
async def initiate_upload(
    body: InitiateUpload,
    request: Request,
    ticket_id: str = TicketId,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(
        lambda w: service.initiate(w.session, w.actor, w.brand, ticket_id, body, links),
        status_code=201,
    )


@router.post(
    ON_TICKET + "/upload",
    dependencies=BRAND,
    response_model=AttachmentWithUrl,
    status_code=201,
    summary="Upload a file through Dispatch (multipart field `file`)",
    description=(
        "The attachment's fields flat and under `attachment`, with a signed `downloadUrl`. "
        "Files over the limit are refused with 413 `attachment_too_large`; a declared "
        "Content-Type the bytes contradict with 422 `content_type_mismatch`. Nothing is "
        "kept when an upload is refused."
    ),
    openapi_extra=_multipart(comment=True),
)
async def upload_to_ticket(
    request: Request,
    ticket_id: str = TicketId,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    upload, form = await _read_upload(request, config, comment=True)
    links = links_for(request, config)
    try:
        return await uow.run(
            lambda w: service.upload_to_ticket(
                w.session, w.actor, w.brand, ticket_id, upload, links
            ),
            status_code=201,
        )
    finally:
        await form.close()


@router.post(
    ON_TICKET + "/{attachmentId}/confirm",
    dependencies=BRAND,
    response_model=AttachmentOut,
    summary="Confirm an upload: check size and type of the bytes, mark it UPLOADED",
)
async def confirm_upload(
    ticket_id: str = TicketId,
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    return await uow.run(
        lambda w: service.confirm(w.session, w.actor, w.brand, ticket_id, attachment_id, config)
    )


@router.get(
    ON_TICKET + "/{attachmentId}",
    dependencies=BRAND,
    response_model=AttachmentWithUrl,
    summary="Get an attachment with a signed download URL",
)
async def get_attachment(
    request: Request,
    ticket_id: str = TicketId,
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(
        lambda w: service.get_with_url(w.session, w.actor, w.brand, ticket_id, attachment_id, links)
    )


@router.delete(
    ON_TICKET + "/{attachmentId}",
    status_code=204,
    summary="Delete an attachment",
    dependencies=BRAND,
)
async def delete_attachment(
    ticket_id: str = TicketId,
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: service.delete_attachment(w.session, w.actor, w.brand, ticket_id, attachment_id)
    )


# --- pending uploads and links, per brand -------------------------------------------------


@router.post(
    IN_BRAND + "/pending",
    dependencies=BRAND,
    response_model=UploadStarted,
    status_code=201,
    summary="Start an upload for a ticket not created yet",
    description=(
        "As the ticket upload, without a ticket: pass the confirmed id in `attachmentIds` "
        "when creating the ticket. Pending uploads not attached within "
        "DISPATCH_PENDING_UPLOAD_TTL_HOURS are removed."
    ),
)
async def initiate_pending_upload(
    body: InitiateUpload,
    request: Request,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(
        lambda w: service.initiate(w.session, w.actor, w.brand, None, body, links),
        status_code=201,
    )


@router.post(
    IN_BRAND + "/pending/upload",
    dependencies=BRAND,
    response_model=AttachmentOut,
    status_code=201,
    summary="Upload a file for a ticket not created yet (multipart field `file`)",
    openapi_extra=_multipart(comment=False),
)
async def upload_pending(
    request: Request,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    upload, form = await _read_upload(request, config, comment=False)
    try:
        return await uow.run(
            lambda w: service.upload_pending(w.session, w.actor, w.brand, upload, config),
            status_code=201,
        )
    finally:
        await form.close()


@router.post(
    IN_BRAND + "/pending/{attachmentId}/confirm",
    dependencies=BRAND,
    response_model=AttachmentOut,
    summary="Confirm a pending upload",
)
async def confirm_pending_upload(
    attachment_id: str = AttachmentId,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    return await uow.run(
        lambda w: service.confirm_pending(w.session, w.actor, w.brand, attachment_id, config)
    )


@router.post(
    IN_BRAND + "/urls",
    dependencies=BRAND,
    response_model=AttachmentUrls,
    summary="Fresh signed download URLs for attachment ids (null for unknown ones)",
)
async def attachment_urls(
    body: UrlsRequest,
    request: Request,
    uow: UnitOfWork = Depends(unit_of_work),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    links = links_for(request, config)
    return await uow.run(lambda w: service.download_urls(w.session, w.brand, body.ids, links))


# --- signed URLs: no API key, the signature is the credential ------------------------------


def _chunks(stream: ReadStream) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()


@router.get(
    "/attachments/{attachmentId}/download",
    # A signed URL handed out as `downloadUrl`, not an API operation: no API key.
    include_in_schema=False,
    summary="Download an attachment through a signed link (no API key)",
    description=(
        "The link comes from `downloadUrl`: `expires` (unix seconds) and `signature`. "
        "Tampered links are refused with 403 `invalid_signature`, expired ones with 403 "
        "`link_expired`, links to deleted attachments with 404. The file always comes as "
        "an attachment, with `nosniff`, a sandboxing CSP, and its detected type only for "
        "raster images, PDF and plain text."
    ),
    response_class=StreamingResponse,
)
async def download(
    request: Request,
    attachment_id: str = AttachmentId,
    expires: str | None = Query(None, max_length=20),
    signature: str | None = Query(None, max_length=200),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    if not expires or not expires.isascii() or not expires.isdigit() or not signature:
        raise InvalidSignature("download link")
    stamp = int(expires)
    found = await run_in_threadpool(
        _transaction,
        request,
        lambda s: service.open_download(s, config, attachment_id, stamp, signature),
        write=False,
    )
    return StreamingResponse(
        _chunks(found.stream),
        media_type=found.content_type,
        headers={
            "Content-Length": str(found.size),
            "Content-Disposition": found.content_disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.put(
    "/uploads/{token}",
    # A signed URL handed out as `uploadUrl`, not an API operation: no API key.
    include_in_schema=False,
    summary="Send the bytes of a started upload (the uploadUrl of local storage)",
    description=(
        "The token is the credential: signed, expiring and good for one upload. The body "
        "is the raw file, exactly the declared size; more is refused with 413, a type the "
        "bytes contradict with 422, a second upload with 409. Confirm afterwards."
    ),
    status_code=200,
)
async def put_upload(
    request: Request,
    token: str = Path(max_length=400),
    config: AttachmentConfig = Depends(current_config),
) -> Response:
    grant = service.check_upload_token(config, token)
    length = request.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > grant.size:
        raise AttachmentTooLarge(config.max_bytes, field="file", declared=grant.size)
    spool = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
    try:
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > grant.size:
                    raise AttachmentTooLarge(config.max_bytes, field="file", declared=grant.size)
                await run_in_threadpool(spool.write, chunk)
        except BodyTooLarge:
            raise AttachmentTooLarge(config.max_bytes, field="file") from None
        spool.seek(0)
        attachment = await run_in_threadpool(
            _transaction,
            request,
            lambda s: service.receive_upload(s, config, grant, spool),
            write=True,
        )
    finally:
        spool.close()
    return Response(status_code=200, headers={"ETag": f'"{attachment.sha256}"'})
