"""Email addresses are checked for syntax only: internal and reserved domains, which
self-hosted teams use every day, are taken everywhere an address is; what is not an
address at all is a clear 422."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from tests.conftest import Api, make_ticket

Json = dict[str, Any]

INTERNAL = ["ann@customer.test", "agent@corp.local", "ops@acme.internal", "x@example.com"]
NOT_ADDRESSES = ["nope", "a@", "@corp.local", "a b@corp.local", "a@-corp.local", "a@b..c"]


@pytest.mark.parametrize("address", [*INTERNAL, "root@localhost", "josé@bücher.de"])
def test_internal_and_reserved_domains_are_addresses(address: str) -> None:
    assert normalize_email(address) == address


def test_the_domain_is_lowercased_and_the_local_part_kept() -> None:
    assert normalize_email("  Bob.Smith@Corp.LOCAL ") == "Bob.Smith@corp.local"


@pytest.mark.parametrize("value", NOT_ADDRESSES)
def test_what_is_not_an_address_is_refused(value: str) -> None:
    with pytest.raises(InvalidEmailAddress, match="not a valid email address"):
        normalize_email(value)


@pytest.mark.parametrize("address", INTERNAL)
def test_ticket_addresses_on_internal_domains_are_taken(
    api: Api, brand: Json, address: str
) -> None:
    ticket = make_ticket(api, brand, customerEmail=address, assigneeEmail=address)
    assert ticket["customerEmail"] == address
    assert ticket["assigneeEmail"] == address
    assert ticket["customer"]["email"] == address
    by_requester = make_ticket(api, brand, customFields={"requesterEmail": f"b.{address}"})
    assert by_requester["customerEmail"] == f"b.{address}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customerEmail": "nope"}, "customerEmail"),
        ({"assigneeEmail": "a@"}, "assigneeEmail"),
        ({"customFields": {"requesterEmail": "a b@corp.local"}}, "customFields.requesterEmail"),
    ],
)
def test_ticket_addresses_that_are_not_addresses_are_422(
    api: Api, brand: Json, body: Json, field: str
) -> None:
    response = api.post(f"/brands/{brand['id']}/tickets", json={"title": "x", **body})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "not a valid email address" in response.json()["errors"][0]["message"]
    assert api.ok("get", f"/brands/{brand['id']}/tickets")["data"] == []


def test_contacts_take_internal_domains_and_refuse_non_addresses(api: Api, brand: Json) -> None:
    path = f"/brands/{brand['id']}/contacts"
    contact = api.ok("post", path, 201, json={"email": "ops@acme.internal"})
    assert contact["email"] == "ops@acme.internal"
    updated = api.ok("patch", f"{path}/{contact['id']}", json={"email": "ops2@acme.internal"})
    assert updated["email"] == "ops2@acme.internal"
    refused = api.post(path, json={"email": "ops@"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "email"


def test_comments_take_internal_authors_and_cc(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    comment = api.ok(
        "post",
        f"/brands/{brand['id']}/tickets/{ticket['id']}/comments",
        201,
        json={"body": "Hi", "authorEmail": "agent@corp.local", "cc": ["ann@customer.test"]},
    )
    assert comment["authorEmail"] == "agent@corp.local"


def test_watchers_take_members_on_internal_domains(api: Api, brand: Json) -> None:
    api.ok("post", "/accounts/me/members", 201, json={"email": "agent@corp.local"})
    ticket = make_ticket(api, brand)
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}/watchers"
    watcher = api.ok("post", path, 201, json={"memberEmail": "agent@corp.local"})
    assert watcher["memberEmail"] == "agent@corp.local"


def test_brand_sender_address_may_be_internal(api: Api, brand: Json) -> None:
    updated = api.ok("patch", f"/brands/{brand['id']}", json={"fromEmail": "help@acme.internal"})
    assert updated["fromEmail"] == "help@acme.internal"
    refused = api.patch(f"/brands/{brand['id']}", json={"fromEmail": "help"})
    assert refused.status_code == 422
