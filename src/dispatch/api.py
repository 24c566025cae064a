"""The `/v1` API: every domain package's `api.router`, found and mounted here, so adding
a domain needs no edit of this file."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from fastapi import APIRouter

import dispatch


def domain_routers() -> list[APIRouter]:
    routers = []
    for module in sorted(pkgutil.iter_modules(dispatch.__path__), key=lambda m: m.name):
        name = f"dispatch.{module.name}.api"
        if module.ispkg and importlib.util.find_spec(name):
            routers.append(importlib.import_module(name).router)
    return routers


def build_v1_router() -> APIRouter:
    router = APIRouter(prefix="/v1")
    for domain in domain_routers():
        router.include_router(domain)
    return router
