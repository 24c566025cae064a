"""Request bodies over settings.max_body_bytes are refused with 413, declared or streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from dispatch.settings import Settings
from tests.asyncio_run import run_to_completion
from tests.conftest import Api


def json_body_of_size(size: int) -> bytes:
    """A valid ticket body padded to exactly `size` bytes."""
    head, tail = b'{"title": "Big", "metadata": {"pad": "', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def assert_payload_too_large(response: Any, limit: int) -> None:
    assert response.status_code == 413, response.text[:500]
    assert response.headers["content-type"] == "application/json"
    assert "x-request-id" in response.headers
    assert "x-ratelimit-remaining" in response.headers
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert body["status"] == 413
    assert str(limit) in body["message"]
    assert body["requestId"] == response.headers["x-request-id"]


def test_declared_oversize_body_is_413(api: Api, brand: dict[str, Any], settings: Settings) -> None:
    content = json_body_of_size(settings.max_body_bytes + 1)
    response = api.post(
        f"/brands/{brand['id']}/tickets",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert_payload_too_large(response, settings.max_body_bytes)
    assert api.ok("get", f"/brands/{brand['id']}/tickets")["data"] == []


def test_streamed_oversize_body_without_content_length_is_413(
    api: Api, brand: dict[str, Any], settings: Settings
) -> None:
    content = json_body_of_size(settings.max_body_bytes + 1)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    response = api.post(
        f"/brands/{brand['id']}/tickets",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert_payload_too_large(response, settings.max_body_bytes)
    assert api.ok("get", f"/brands/{brand['id']}/tickets")["data"] == []


def test_body_at_the_limit_is_accepted(api: Api, brand: dict[str, Any], settings: Settings) -> None:
    content = json_body_of_size(settings.max_body_bytes)
    assert len(content) == settings.max_body_bytes
    response = api.post(
        f"/brands/{brand['id']}/tickets",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text[:500]


def test_streaming_is_cut_off_once_the_limit_is_passed(
    app: FastAPI, api: Api, brand: dict[str, Any], settings: Settings
) -> None:
    """Driven at the ASGI level: many small chunks, no Content-Length. The server must stop
    reading soon after the limit, not buffer the whole upload first."""
    chunk = b"x" * 1024
    total_chunks = settings.max_body_bytes // len(chunk) * 4
    consumed = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal consumed
        if consumed == 0:
            consumed += 1
            return {"type": "http.request", "body": b'{"title": "x", "p": "', "more_body": True}
        if consumed > total_chunks:
            return {"type": "http.disconnect"}
        consumed += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/v1/brands/{brand['id']}/tickets",
        "raw_path": f"/v1/brands/{brand['id']}/tickets".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", f"Bearer {api.key}".encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    run_to_completion(app(scope, receive, send))

    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body)["code"] == "payload_too_large"
    assert consumed <= settings.max_body_bytes // len(chunk) + 2
    assert api.ok("get", f"/brands/{brand['id']}/tickets")["data"] == []
