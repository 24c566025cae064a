"""The application shell: health check, OpenAPI document, interactive docs."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from anyio import to_thread
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from dispatch import __version__
from dispatch.api import domain_routers
from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.settings import REQUEST_THREADS, Settings


def v1_routes() -> list[APIRoute]:
    """Every route the API serves under /v1, read from the domain routers it mounts."""
    routes: list[APIRoute] = []
    for router in domain_routers():
        for route in router.routes:
            assert isinstance(route, APIRoute), f"unexpected nested route {route!r}"
            if route.include_in_schema:
                routes.append(route)
    return routes


def filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x_123", path)


def test_health_is_public_and_reports_the_database(client: Any) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": __version__}


def test_openapi_lists_every_v1_path_with_its_operations(client: Any) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "Dispatch"
    assert doc["info"]["version"] == __version__
    routes = v1_routes()
    assert len(routes) >= 20
    expected: dict[str, set[str]] = {}
    for route in routes:
        expected.setdefault(route.path, set()).update(m.lower() for m in route.methods)
    documented = {
        path: set(operations) - {"parameters", "summary", "description"}
        for path, operations in doc["paths"].items()
        if path.startswith("/v1/")
    }
    assert documented == expected
    for path in (
        "/v1/accounts/me",
        "/v1/accounts/me/api-keys",
        "/v1/accounts/me/api-keys/{keyId}/scope",
        "/v1/accounts/me/api-keys/{keyId}",
        "/v1/brands",
        "/v1/brands/{brandId}",
        "/v1/brands/{brandId}/statuses",
        "/v1/brands/{brandId}/tickets",
        "/v1/brands/{brandId}/tickets/{ticketId}",
    ):
        assert path in documented, path


PORTAL_VERIFY = "/v1/portal/verify"


def test_every_documented_v1_operation_is_served_and_needs_a_key(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    checked = 0
    for path, operations in doc["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method in operations:
            response = client.request(method.upper(), filled(path), json={})
            # A magic link's token (in the body) is all `portal/verify` takes.
            expected = 422 if path == PORTAL_VERIFY else 401
            assert response.status_code == expected, f"{method.upper()} {path}: {response.text}"
            checked += 1
    assert checked >= 20


def test_every_v1_operation_is_documented_with_a_summary_and_security(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["APIKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Legacy header",
    }
    for path, operations in doc["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            assert any(code.startswith("2") for code in operation["responses"]), where
            if path == PORTAL_VERIFY:
                assert "security" not in operation, where
                continue
            # Mail providers authenticate with the account's inbound secret, customers'
            # apps with a portal token, everything else with an API key.
            expected = "HTTPBearer"
            if path == "/v1/inbound/email":
                expected = "InboundSecret"
            elif path.startswith("/v1/portal/"):
                expected = "PortalToken"
            assert {expected: []} in operation.get("security", []), where


def test_health_is_in_the_openapi_document_without_security(client: Any) -> None:
    doc = client.get("/openapi.json").json()
    assert "security" not in doc["paths"]["/health"]["get"]


def test_docs_serve_the_interactive_html(client: Any) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


def test_openapi_and_docs_need_no_key(client: Any) -> None:
    assert client.get("/openapi.json", headers={"Authorization": "Bearer nope"}).status_code == 200
    assert client.get("/docs", headers={"Authorization": "Bearer nope"}).status_code == 200


UNREACHABLE = "postgresql+psycopg://dispatch@127.0.0.1:1/none?connect_timeout=2"


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings, Database.from_url(UNREACHABLE))) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["code"] == "database_unavailable"
    assert "x-request-id" in response.headers


def test_api_is_503_with_retry_after_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    app = create_app(settings, Database.from_url(UNREACHABLE))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/brands", headers={"Authorization": "Bearer sk_live_x"})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "database_unavailable"


@pytest.mark.parametrize(
    ("url", "threads", "expected"),
    [
        ("", None, REQUEST_THREADS["sqlite"]),
        ("postgresql://u@127.0.0.1/db", None, REQUEST_THREADS["postgresql"]),
        ("", 7, 7),
    ],
)
def test_each_process_serves_requests_on_the_pool_measured_best_unless_told_otherwise(
    tmp_path: Path, url: str, threads: int | None, expected: int
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=url, threads=threads)
    assert settings.request_threads == expected
    # The app applies it when it starts (its own database: the URL above is not dialed).
    served = Settings(data_dir=tmp_path, threads=threads if threads else expected)
    seen: list[int] = []
    app = create_app(served, Database.from_url(f"sqlite:///{tmp_path / 'pool.db'}"))

    @app.get("/tokens")
    async def tokens() -> dict[str, int]:
        seen.append(int(to_thread.current_default_thread_limiter().total_tokens))
        return {}

    with TestClient(app) as client:
        client.get("/tokens")
    assert seen == [expected]


# What a server process runs first (uvicorn imports `dispatch.asgi`), and what the worker and
# the SMTP listener beside it run before they start (`cli._standalone`).
FREEZING = {
    "server": "import dispatch.asgi",
    "worker": "from dispatch import cli; from dispatch.core import migrate; "
    "settings = cli._settings(); migrate.upgrade(settings.effective_database_url); "
    "cli._standalone(settings)",
}


@pytest.mark.parametrize("process", sorted(FREEZING))
def test_processes_leave_what_they_loaded_out_of_full_collections(
    tmp_path: Path, process: str
) -> None:
    """Each long-running process freezes the objects it loaded before its work: a full
    collection no longer walks them (it took 100-160 ms, every few requests of the
    inbox). Tests build their apps otherwise and freeze nothing."""
    probe = f"import gc; {FREEZING[process]}; print(gc.get_freeze_count())"
    frozen = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", probe],
        env={
            **os.environ,
            "DISPATCH_DATA_DIR": str(tmp_path),
            "DISPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert int(frozen.stdout.strip().splitlines()[-1]) > 10_000
    assert gc.get_freeze_count() == 0
