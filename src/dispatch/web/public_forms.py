"""The public end of web forms: `POST /forms/<token>` (outside `/v1`: a brand's own pages
post here, without any credential; the token is the form's secret).

A submission arrives urlencoded, as multipart/form-data with files, or as JSON, and
`webforms.service.submit` turns it into a ticket in one transaction. The answer follows
what the client asked for: with `Accept: application/json`, `{success, ticket}` or the
API's error body with `success: false` and `error`; otherwise a 303 to the form's
success or error URL, else a small page in the brand's name. CORS answers only the
form's `allowedOrigins` (each exactly; never a wildcard). Submissions are limited per
client address and per sender address (core's moving-window limiter), 429 beyond."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from dispatch.attachments import config as attachment_config
from dispatch.attachments.errors import AttachmentTooLarge
from dispatch.attachments.service import Upload
from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.errors import DomainError, NotFound, ValidationFailed, problem_body
from dispatch.core.middleware import BodyLimit, BodyTooLarge
from dispatch.core.ratelimit import RateLimiter, RateLimitExceeded
from dispatch.settings import Settings
from dispatch.web.templating import page
from dispatch.webforms import service
from dispatch.webforms.errors import TooManyFiles, UnsupportedSubmission
from dispatch.webforms.models import FormToken
from dispatch.webforms.schemas import SubmissionOut, SubmittedTicket

router = APIRouter(include_in_schema=False)

PATH = "/forms/{token}"
# A submission's body may carry its files: capped at `settings.form_body_max_bytes`.
FORM_BODY_LIMIT = BodyLimit(
    re.compile(r"/forms/[^/]+/?"),
    "form_body_max_bytes",
    "payload_too_large",
    "A form submission may be at most {limit} bytes",
)
MAX_FIELDS = 100
FIELD_MAX_BYTES = 256 * 1024
TOKEN_MAX = 64
CORS_HEADERS = "Content-Type, Accept, X-Requested-With"
CORS_MAX_AGE = "600"
_LIMITERS = "form_rate_limiters"


# --- rate limits ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Limits:
    per_client: RateLimiter
    per_sender: RateLimiter

    def count(self, limiter: RateLimiter, identity: str) -> None:
        window = limiter.hit(identity)
        if not window.allowed:
            raise RateLimitExceeded(str(limiter.item), window)


def _limits(request: Request) -> _Limits | None:
    """This app's form limiters, made on first use; None when rate limits are off."""
    settings: Settings = request.app.state.settings
    if not settings.rate_limit_enabled:
        return None
    made: _Limits | None = getattr(request.app.state, _LIMITERS, None)
    if made is None:
        storage = settings.rate_limit_storage
        made = _Limits(
            RateLimiter(settings.form_rate_limit_per_client, storage),
            RateLimiter(settings.form_rate_limit_per_sender, storage),
        )
        setattr(request.app.state, _LIMITERS, made)
    return made


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- reading a submission -------------------------------------------------------------------


@dataclass(frozen=True)
class _Body:
    fields: dict[str, Any]
    files: Sequence[UploadFile] = ()
    form: FormData | None = None

    async def close(self) -> None:
        if self.form is not None:
            await self.form.close()


def _reject_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not valid JSON")


async def _read_json(request: Request, max_bytes: int) -> _Body:
    """A JSON object of fields; no files, so the API's JSON cap, not the files' one."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > max_bytes:
            raise BodyTooLarge(max_bytes)
    try:
        data = json.loads(bytes(raw), parse_constant=_reject_constant)
    except ValueError:
        raise ValidationFailed("body", "The body is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ValidationFailed("body", "Send a JSON object of field names and values")
    return _Body(data)


async def _read_form(request: Request, file_limit: int) -> _Body:
    try:
        form = await request.form(
            max_files=service.MAX_FILES, max_fields=MAX_FIELDS, max_part_size=FIELD_MAX_BYTES
        )
    except HTTPException as exc:  # starlette's multipart limits, said as a 400
        if "files" in str(exc.detail).lower():
            raise TooManyFiles(service.MAX_FILES) from None
        raise ValidationFailed("body", str(exc.detail), code="invalid_form") from None
    values: dict[str, list[str]] = {}
    files: list[UploadFile] = []
    for name, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(name, []).append(value)
        elif value.filename or value.size:  # an empty file input sends a nameless part
            files.append(value)
    fields = {name: v[0] if len(v) == 1 else v for name, v in values.items()}
    body = _Body(fields, files, form)
    if any(f.size is not None and f.size > file_limit for f in files):
        await body.close()
        raise AttachmentTooLarge(file_limit, field="file")
    return body


async def _read(request: Request, settings: Settings) -> _Body:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json":
            return await _read_json(request, settings.max_body_bytes)
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return await _read_form(request, settings.form_file_max_bytes)
    except BodyTooLarge as too_large:
        message = f"A form submission may be at most {too_large.limit} bytes"
        raise DomainError(message, code="payload_too_large", status=413) from None
    raise UnsupportedSubmission(content_type)


# --- the work -------------------------------------------------------------------------------


def _submit(request: Request, token: str, body: _Body, limits: _Limits | None) -> service.Submitted:
    settings: Settings = request.app.state.settings
    files_config = service.limited(
        attachment_config.for_app(request.app), settings.form_file_max_bytes
    )

    def check_sender(email: str) -> None:
        if limits is not None:
            limits.count(limits.per_sender, f"form-sender:{email}")

    def work(session: Session) -> service.Submitted:
        for file in body.files:
            file.file.seek(0)  # again from the start when a deadlock retries the transaction
        uploads = [Upload(f.filename or "file", f.content_type or "", f.file) for f in body.files]
        post = service.Post(body.fields, uploads, request.headers.get("origin"))
        return service.submit(session, token, post, files_config, check_sender=check_sender)

    return transaction.run(request.app.state.database, work)


def _live_form(request: Request, token: str) -> tuple[FormToken, Brand] | None:
    def work(session: Session) -> tuple[FormToken, Brand] | None:
        try:
            return service.live_form(session, token)
        except NotFound:
            return None

    return transaction.run(request.app.state.database, work, write=False)


# --- answers --------------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    """Asked for by Accept, or implied by a JSON body from a client not asking for HTML
    (a script's fetch sends `Accept: */*`)."""
    accept = request.headers.get("accept", "").lower()
    if "application/json" in accept:
        return True
    content_type = request.headers.get("content-type", "").lower()
    return content_type.startswith("application/json") and "text/html" not in accept


def _cors(response: Response, request: Request, form: FormToken | None) -> Response:
    """`Vary: Origin` always; the origin itself only when the form lists it."""
    response.headers.append("Vary", "Origin")
    origin = request.headers.get("origin")
    if form is not None and origin is not None and origin in form.allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def _succeeded(request: Request, submitted: service.Submitted) -> Response:
    form, ticket = submitted.form, submitted.ticket
    if _wants_json(request):
        answer = SubmissionOut(
            ticket=SubmittedTicket(
                id=ticket.id,
                ticket_number=ticket.public_id,
                number=ticket.ticket_number,
                title=ticket.title,
                status=ticket.status,
                created_at=ticket.created_at,
            )
            if ticket is not None
            else None
        )
        return JSONResponse(answer.model_dump(mode="json", by_alias=True))
    if form.success_url:
        return RedirectResponse(form.success_url, status_code=303)
    return page(
        request,
        "forms/answer.html",
        brand=submitted.brand,
        succeeded=True,
        message=form.thank_you_message,
        reference=ticket.public_id if ticket is not None else None,
    )


def _refused(
    request: Request, error: DomainError, found: tuple[FormToken, Brand] | None
) -> Response:
    if _wants_json(request):
        body = problem_body(
            error.status,
            error.code,
            error.message,
            getattr(request.state, "request_id", None),
            error.errors,
        )
        return JSONResponse(
            {"success": False, "error": error.message, **body},
            status_code=error.status,
            headers=error.headers,
        )
    if found is not None and found[0].error_url and error.status != 404:
        return RedirectResponse(_with_query(found[0].error_url, error=error.code), status_code=303)
    response = page(
        request,
        "forms/answer.html",
        error.status,
        brand=found[1] if found is not None else None,
        succeeded=False,
        error_status=error.status,
        message=error.message,
        errors=error.errors or [],
    )
    response.headers.update(error.headers or {})
    return response


@router.post(PATH)
async def submit_form(request: Request, token: str) -> Response:
    settings: Settings = request.app.state.settings
    limits = _limits(request)
    try:
        if len(token) > TOKEN_MAX:
            raise NotFound("form")
        if limits is not None:
            limits.count(limits.per_client, f"form-client:{_client(request)}")
        body = await _read(request, settings)
        try:
            submitted = await run_in_threadpool(_submit, request, token, body, limits)
        finally:
            await body.close()
    except DomainError as error:
        found = None
        if error.status != 404 and len(token) <= TOKEN_MAX:
            found = await run_in_threadpool(_live_form, request, token)
        return _cors(_refused(request, error, found), request, found[0] if found else None)
    return _cors(_succeeded(request, submitted), request, submitted.form)


@router.options(PATH)
async def preflight(request: Request, token: str) -> Response:
    """A browser asks before a script posts JSON: answered for the form's listed origins
    only (403 for any other, 404 for no form)."""
    found = await run_in_threadpool(_live_form, request, token) if len(token) <= TOKEN_MAX else None
    origin = request.headers.get("origin")
    if found is None:
        return Response(status_code=404, headers={"Vary": "Origin"})
    if origin is None or origin not in found[0].allowed_origins:
        return Response(status_code=403, headers={"Vary": "Origin"})
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": CORS_HEADERS,
            "Access-Control-Max-Age": CORS_MAX_AGE,
            "Vary": "Origin",
        },
    )
