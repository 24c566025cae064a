"""Whatever a customer's token points at outside their own tickets — another customer's
ticket, another brand's, another account's, an internal note — is a 404 with no data,
for every portal endpoint that takes an id."""

from __future__ import annotations

from typing import Any

import pytest

from tests.attachments.helpers import png
from tests.conftest import Api
from tests.portal.helpers import Customer, Json, customer, portal_brand

PNG = png(300)
UPLOAD = {"filename": "a.png", "contentType": "image/png", "size": len(PNG)}


def _probes(ticket_id: str, attachment_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("get", f"/tickets/{ticket_id}", None),
        ("post", f"/tickets/{ticket_id}/comments", {"body": "hello"}),
        ("get", f"/tickets/{ticket_id}/attachments", None),
        ("post", f"/tickets/{ticket_id}/attachments", UPLOAD),
        ("get", f"/tickets/{ticket_id}/attachments/{attachment_id}", None),
        ("post", f"/tickets/{ticket_id}/attachments/{attachment_id}/confirm", None),
    ]


def _assert_nothing(person: Customer, ticket_id: str, attachment_id: str, secret: str) -> None:
    for method, path, body in _probes(ticket_id, attachment_id):
        response = getattr(person, method)(path, **({"json": body} if body else {}))
        assert response.status_code == 404, (path, response.text)
        assert secret not in response.text


@pytest.fixture
def victim_ticket(api: Api) -> tuple[Json, Json, Json]:
    """A brand, a ticket of its customer Bob (with a file and a secret in its body)."""
    brand = portal_brand(api)
    bob = customer(api, brand, "bob@corp.test")
    ticket = bob.ok("post", "/tickets", 201, json={"title": "Bob's", "body": "SECRET-BODY"})
    base = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    files = {"file": ("a.png", PNG, "image/png")}
    attachment = api.ok("post", f"{base}/attachments/upload", 201, files=files)
    return brand, ticket, attachment


def test_another_customer_s_ticket_is_not_found(
    api: Api, victim_ticket: tuple[Json, Json, Json]
) -> None:
    brand, ticket, attachment = victim_ticket
    jane = customer(api, brand, "jane@corp.test")
    _assert_nothing(jane, ticket["id"], attachment["id"], "SECRET-BODY")
    assert jane.ok("get", "/tickets")["data"] == []


def test_another_brand_s_ticket_is_not_found(
    api: Api, victim_ticket: tuple[Json, Json, Json]
) -> None:
    _brand, ticket, attachment = victim_ticket
    # The same address, a customer of another brand of the same account.
    elsewhere = customer(api, portal_brand(api, "Globex"), "bob@corp.test")
    _assert_nothing(elsewhere, ticket["id"], attachment["id"], "SECRET-BODY")


def test_another_account_s_ticket_is_not_found(
    api: Api, other_api: Api, victim_ticket: tuple[Json, Json, Json]
) -> None:
    _brand, ticket, attachment = victim_ticket
    stranger = customer(other_api, portal_brand(other_api, "Initech"), "bob@corp.test")
    _assert_nothing(stranger, ticket["id"], attachment["id"], "SECRET-BODY")


def test_an_internal_note_is_no_ticket_and_no_attachment(
    api: Api, victim_ticket: tuple[Json, Json, Json]
) -> None:
    brand, ticket, _attachment = victim_ticket
    bob = customer(api, brand, "bob@corp.test")
    note = api.ok(
        "post",
        f"/brands/{brand['id']}/tickets/{ticket['id']}/comments",
        201,
        json={"body": "NOTE-TEXT", "isInternal": True},
    )
    for path in (f"/tickets/{note['id']}", f"/tickets/{ticket['id']}/attachments/{note['id']}"):
        response = bob.get(path)
        assert response.status_code == 404
        assert "NOTE-TEXT" not in response.text
    response = bob.post(f"/tickets/{note['id']}/comments", json={"body": "hi"})
    assert response.status_code == 404
    assert "NOTE-TEXT" not in bob.get(f"/tickets/{ticket['id']}").text


def test_a_deleted_ticket_is_not_found(api: Api, victim_ticket: tuple[Json, Json, Json]) -> None:
    brand, ticket, attachment = victim_ticket
    bob = customer(api, brand, "bob@corp.test")
    api.ok("delete", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    _assert_nothing(bob, ticket["id"], attachment["id"], "SECRET-BODY")
    assert bob.ok("get", "/tickets")["data"] == []
