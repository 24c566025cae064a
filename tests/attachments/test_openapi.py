"""Every attachment route is in the OpenAPI document, with its error responses."""

from __future__ import annotations

from typing import Any

ROUTES = [
    ("get", "/v1/brands/{brandId}/tickets/{ticketId}/attachments"),
    ("post", "/v1/brands/{brandId}/tickets/{ticketId}/attachments"),
    ("post", "/v1/brands/{brandId}/tickets/{ticketId}/attachments/upload"),
    ("post", "/v1/brands/{brandId}/tickets/{ticketId}/attachments/{attachmentId}/confirm"),
    ("get", "/v1/brands/{brandId}/tickets/{ticketId}/attachments/{attachmentId}"),
    ("delete", "/v1/brands/{brandId}/tickets/{ticketId}/attachments/{attachmentId}"),
    ("post", "/v1/brands/{brandId}/attachments/pending"),
    ("post", "/v1/brands/{brandId}/attachments/pending/upload"),
    ("post", "/v1/brands/{brandId}/attachments/pending/{attachmentId}/confirm"),
    ("post", "/v1/brands/{brandId}/attachments/urls"),
]
# The signed URLs handed out as downloadUrl/uploadUrl need no API key; they are not API
# operations (like a storage's presigned URLs) and stay out of the document.
SIGNED_URLS = ["/v1/attachments/{attachmentId}/download", "/v1/uploads/{token}"]


def test_every_attachment_route_is_documented_with_its_errors(client: Any) -> None:
    document = client.get("/openapi.json").json()

    for method, path in ROUTES:
        operation = document["paths"][path][method]
        assert operation["tags"] == ["Attachments"]
        for status in ("403", "404", "413", "422"):
            error = operation["responses"][status]["content"]["application/problem+json"]
            assert error["schema"] == {"$ref": "#/components/schemas/ProblemOut"}
        assert {"HTTPBearer": []} in operation["security"]
    assert not set(SIGNED_URLS) & set(document["paths"])


def test_upload_routes_document_their_bodies(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for path in (
        "/v1/brands/{brandId}/tickets/{ticketId}/attachments/upload",
        "/v1/brands/{brandId}/attachments/pending/upload",
    ):
        schema = paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert schema["required"] == ["file"]
        assert schema["properties"]["file"]["format"] == "binary"
