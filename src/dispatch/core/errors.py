"""Domain errors and the single renderer that turns any failure into the API's error body.

The body carries the RFC 9457 members plus the ones the reference's clients read
(`message`, `code`, `errors`, `requestId`). It is sent as `application/json`, because
those clients parse error bodies only under that type, and as `application/problem+json`
to a client whose `Accept` asks for it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger("dispatch.errors")

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"


class DomainError(Exception):
    """A failure a caller can act on. Services raise these; handlers never see HTTP."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors = errors
        self.headers = headers


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, resource: str, resource_id: str | None = None) -> None:
        label = resource.replace("_", " ")
        message = f"{label.capitalize()} not found" + (f": {resource_id}" if resource_id else "")
        super().__init__(message, code=f"{resource}_not_found")


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, errors=[{"field": field, "message": message}])


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "authentication_error"


class InvalidApiKey(Unauthenticated):
    def __init__(self, reason: str = "Invalid or missing API key") -> None:
        super().__init__(reason, headers={"WWW-Authenticate": "Bearer"})


def problem_media_type(accept: str | None) -> str:
    """`application/problem+json` when the client's Accept names it (with a non-zero q),
    else `application/json`."""
    for part in (accept or "").split(","):
        media_type, *params = (p.strip() for p in part.split(";"))
        if media_type.lower() == PROBLEM_JSON and not any(
            p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params
        ):
            return PROBLEM_JSON
    return JSON


def problem_body(
    status: int,
    code: str,
    message: str,
    request_id: str | None,
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:dispatch:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "message": message,
        "code": code,
        "requestId": request_id,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(status, code, message, getattr(request.state, "request_id", None), errors)
    media_type = problem_media_type(request.headers.get("accept"))
    return JSONResponse(body, status_code=status, headers=headers, media_type=media_type)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_message(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "Unknown field"
    if error["type"] == "missing":
        return "Field required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DomainError):
        raise exc
    return problem(
        request, exc.status, exc.code, exc.message, errors=exc.errors, headers=exc.headers
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    raw = list(exc.errors())
    if any(e["type"] == "json_invalid" for e in raw):
        return problem(request, 400, "invalid_json", "The request body is not valid JSON")
    errors = [{"field": _field_path(e["loc"]), "message": _validation_message(e)} for e in raw]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
    return problem(request, 422, "validation_error", f"Invalid request: {summary}", errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    codes = {404: "route_not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    code = codes.get(exc.status_code, HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"))
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return problem(request, exc.status_code, code, str(exc.detail), headers=headers)


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path: Starlette's 405 names only those of
    the first route that matched the path, though several routes may share it."""
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


def is_connection_failure(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated) or "connection" in str(exc.orig).lower()


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DBAPIError):
        raise exc
    if is_connection_failure(exc):
        logger.warning("database unavailable: %s", exc.orig)
        return problem(
            request,
            503,
            "database_unavailable",
            "The database is unavailable; retry shortly",
            headers={"Retry-After": "2"},
        )
    logger.exception("database error", exc_info=exc)
    return problem(request, 500, "server_error", "Internal server error")


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem(request, 500, "server_error", "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)
