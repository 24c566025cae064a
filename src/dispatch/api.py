"""The `/v1` API: every domain package's `api.router`, found and mounted here, so adding
a domain needs no edit of this file.

The routes are mounted flat, not with `include_router`: since FastAPI 0.16x an included
router matches a request by walking every candidate with per-route scope bookkeeping,
twice (to match, then to handle), which cost 0.2-0.5 ms a request at ~100 routes. A
domain router's routes are complete already (`api_router` gives them the `/v1` prefix,
the router's dependencies, tags and responses when they are declared), so the app's own
router holds them as they are and matches each with one regular expression."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from fastapi import APIRouter
from starlette.routing import BaseRoute

import dispatch


def domain_routers() -> list[APIRouter]:
    routers = []
    for module in sorted(pkgutil.iter_modules(dispatch.__path__), key=lambda m: m.name):
        name = f"dispatch.{module.name}.api"
        if module.ispkg and importlib.util.find_spec(name):
            routers.append(importlib.import_module(name).router)
    return routers


def v1_routes() -> list[BaseRoute]:
    return [route for domain in domain_routers() for route in domain.routes]
