"""API routing conventions: strict JSON bodies and documented errors.

The transaction of each request is `dispatch.unit_of_work`'s business."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute, APIRouter

from dispatch.core.errors import JSON, PROBLEM_JSON
from dispatch.core.schemas import ProblemOut

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class StrictJSONRequest(Request):
    """Parses bodies as strict JSON: Python's parser also takes NaN and Infinity, which are
    not JSON, cannot be stored in a JSON column and do not survive a round trip."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()

            def reject(constant: str) -> Any:
                doc = body.decode(errors="replace")
                raise json.JSONDecodeError(f"{constant} is not valid JSON", doc, 0)

            self._json = json.loads(body, parse_constant=reject)
        return self._json


class StrictJSONRoute(APIRoute):
    """Routes whose JSON bodies are parsed strictly (see StrictJSONRequest)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict


def _problem(description: str) -> dict[str, Any]:
    schema = {"schema": {"$ref": "#/components/schemas/ProblemOut"}}
    return {
        "model": ProblemOut,
        "description": description,
        # application/json unless the request's Accept asks for problem+json.
        "content": {JSON: schema, PROBLEM_JSON: schema},
    }


# Documented on every API route (the OpenAPI document lists them with the error shape).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed request: invalid JSON, cursor or characters"),
    401: _problem("Missing, invalid, revoked or expired API key"),
    403: _problem("The key's scope does not allow this action"),
    404: _problem("Not found, or outside the key's account or brands"),
    409: _problem("Conflicts with existing data (duplicate key, name or slug)"),
    413: _problem("Request body too large"),
    422: _problem("Validation failed: see errors[{field, message}]"),
    429: _problem("Rate limit exceeded: see Retry-After"),
    503: _problem("Database unavailable: retry shortly"),
}


API_PREFIX = "/v1"


def api_router(prefix: str = "", **kwargs: Any) -> APIRouter:
    """A router of the `/v1` API whose routes parse JSON strictly and document their
    errors. Its routes carry their whole path, `/v1` included: the app mounts them as they
    are (see `dispatch.api`)."""
    return APIRouter(
        prefix=API_PREFIX + prefix,
        route_class=StrictJSONRoute,
        responses=ERROR_RESPONSES,
        **kwargs,
    )
