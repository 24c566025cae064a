"""`POST /v1/inbound/email` (mail providers' inbound-parse webhooks), authenticated by the
account's inbound secret, and `GET/POST /v1/accounts/me/inbound-secret` to read and
rotate that secret."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.email import addresses, inbound, service
from dispatch.email.models import InboundMessage
from dispatch.settings import Settings
from tests.accounts.conftest import issue_key, scoped_api
from tests.conftest import Api
from tests.email.inbound.conftest import DOMAIN, Mailroom, mail
from tests.tickets.helpers import problem

Json = dict[str, Any]
INBOUND = "/v1/inbound/email"
RFC822 = {"Content-Type": "message/rfc822"}


def secret_of(api: Api) -> str:
    body: Json = api.ok("get", "/accounts/me/inbound-secret")
    secret: str = body["secret"]
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def post_mail(
    client: TestClient,
    raw: bytes,
    headers: dict[str, str],
    *,
    content_type: str | None = "message/rfc822",
    **params: str,
) -> Any:
    sent = dict(headers)
    if content_type is not None:
        sent["Content-Type"] = content_type
    return client.post(INBOUND, content=raw, headers=sent, params=params)


def to_brand(brand: Json) -> str:
    return f"{brand['slug']}@{DOMAIN}"


# --- the secret ------------------------------------------------------------------------------


def test_the_secret_is_created_on_first_read_and_stays_the_same(api: Api) -> None:
    first = api.ok("get", "/accounts/me/inbound-secret")
    again = api.ok("get", "/accounts/me/inbound-secret")

    assert first["secret"].startswith(service.SECRET_PREFIX)
    assert len(first["secret"]) > 30
    assert again["secret"] == first["secret"]
    assert first["endpoint"] == INBOUND
    assert first["inboundDomain"] == DOMAIN
    assert first["rotatedAt"] is None


def test_posting_rotates_the_secret_and_the_old_one_stops_working(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    old = secret_of(api)

    rotated = api.ok("post", "/accounts/me/inbound-secret")

    assert rotated["secret"] != old
    assert rotated["rotatedAt"] is not None
    assert secret_of(api) == rotated["secret"]
    raw = mail(to=to_brand(brand))
    problem(post_mail(client, raw, bearer(old)), 401, "invalid_inbound_secret")
    assert mailroom.messages(brand["id"]) == []
    assert post_mail(client, raw, bearer(rotated["secret"])).status_code == 202
    assert len(mailroom.messages(brand["id"])) == 1


def test_secrets_are_per_account(api: Api, other_api: Api) -> None:
    assert secret_of(api) != secret_of(other_api)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_brand_scoped_key_can_neither_read_nor_rotate_the_secret(
    api: Api, brand: Json, method: str
) -> None:
    secret = secret_of(api)
    scoped = scoped_api(api, brand["id"])

    problem(getattr(scoped, method)("/accounts/me/inbound-secret"), 403, "insufficient_scope")

    assert secret_of(api) == secret


def test_an_all_brands_key_issued_later_reads_the_same_secret(api: Api) -> None:
    secret = secret_of(api)
    other_key = issue_key(api, name="Second", allBrands=True)

    assert secret_of(Api(api.client, other_key["key"], api.account_id)) == secret


def test_reading_the_secret_needs_an_api_key(client: TestClient) -> None:
    problem(client.get("/v1/accounts/me/inbound-secret"), 401)
    problem(client.post("/v1/accounts/me/inbound-secret"), 401)


# --- receiving ---------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["bearer", "basic-password", "basic-user-only"])
def test_a_message_with_the_secret_is_stored_and_answered_202(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json, auth: str
) -> None:
    secret = secret_of(api)
    headers = {
        "bearer": bearer(secret),
        "basic-password": basic("inbound", secret),
        "basic-user-only": basic(secret, ""),
    }[auth]
    raw = mail(to=to_brand(brand), headers={"Return-Path": "<bounce@example.com>"})

    response = post_mail(client, raw, headers)

    assert response.status_code == 202, response.text
    body = response.json()["message"]
    [stored] = mailroom.messages(brand["id"])
    assert body == {
        "id": stored.id,
        "brandId": brand["id"],
        "recipient": to_brand(brand),
        "duplicate": False,
    }
    assert stored.source == "http"
    assert stored.status == service.RECEIVED
    assert stored.raw == raw
    assert stored.envelope_sender == "bounce@example.com"


def test_text_plain_is_accepted_as_a_raw_message(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    raw = mail(to=to_brand(brand))

    response = post_mail(client, raw, bearer(secret_of(api)), content_type="text/plain")

    assert response.status_code == 202, response.text
    assert len(mailroom.messages(brand["id"])) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer dis_in_wrong"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Token abc"},
    ],
    ids=["missing", "wrong", "empty-bearer", "broken-basic", "other-scheme"],
)
def test_a_missing_or_wrong_secret_is_401_and_nothing_is_stored(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json, headers: dict[str, str]
) -> None:
    secret_of(api)

    response = post_mail(client, mail(to=to_brand(brand)), headers)

    problem(response, 401, "invalid_inbound_secret")
    assert "WWW-Authenticate" in response.headers
    assert mailroom.messages(brand["id"]) == []


def test_an_api_key_is_not_an_inbound_secret(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    secret_of(api)

    response = post_mail(client, mail(to=to_brand(brand)), bearer(api.key))

    problem(response, 401, "invalid_inbound_secret")
    assert mailroom.messages(brand["id"]) == []


def test_the_secret_of_another_account_is_refused_as_if_the_mailbox_did_not_exist(
    api: Api, other_api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    secret_of(api)
    foreign = secret_of(other_api)

    theirs = post_mail(client, mail(to=to_brand(brand)), bearer(foreign))
    nobodys = post_mail(client, mail(to=f"nobody@{DOMAIN}"), bearer(foreign))

    assert (
        problem(theirs, 422, "unknown_mailbox")["detail"]
        == (problem(nobodys, 422, "unknown_mailbox")["detail"])
    )
    assert mailroom.messages(brand["id"]) == []


def test_a_wrong_secret_learns_nothing_about_which_mailboxes_exist(
    api: Api, client: TestClient, brand: Json
) -> None:
    secret_of(api)
    known = post_mail(client, mail(to=to_brand(brand)), bearer("dis_in_guess"))
    unknown = post_mail(client, mail(to=f"nobody@{DOMAIN}"), bearer("dis_in_guess"))

    problem(known, 401, "invalid_inbound_secret")
    problem(unknown, 401, "invalid_inbound_secret")


def test_a_mailbox_the_account_does_not_have_is_a_validation_error(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    secret = secret_of(api)
    disabled = api.ok("post", "/brands", 201, json={"name": "Acme Quiet"})
    row = mailroom.brand(disabled["id"])
    row.inbound_email_enabled = False
    mailroom.session.commit()

    for to in (f"nobody@{DOMAIN}", to_brand(disabled), f"{brand['slug']}@example.com"):
        response = post_mail(client, mail(to=to), bearer(secret))
        body = problem(response, 422, "unknown_mailbox")
        assert body["errors"][0]["field"] == "to"
    assert mailroom.messages(brand["id"]) == []
    assert mailroom.messages(disabled["id"]) == []


@pytest.mark.parametrize("content_type", [None, "application/json", "multipart/form-data"])
def test_a_body_that_is_not_a_raw_message_is_415(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json, content_type: str | None
) -> None:
    response = post_mail(
        client, mail(to=to_brand(brand)), bearer(secret_of(api)), content_type=content_type
    )

    problem(response, 415, "unsupported_media_type")
    assert mailroom.messages(brand["id"]) == []


@pytest.mark.parametrize("raw", [b"", b"  \r\n\r\n"], ids=["empty", "blank"])
def test_an_empty_body_is_refused(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json, raw: bytes
) -> None:
    response = post_mail(client, raw, bearer(secret_of(api)))

    body = problem(response, 422, "empty_message")
    assert body["errors"][0]["field"] == "body"
    assert mailroom.messages(brand["id"]) == []


def test_to_names_the_mailbox_whatever_the_headers_say(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    raw = mail(to=f"support@example.com, {to_brand(brand)}")

    response = post_mail(client, raw, bearer(secret_of(api)), to=f"{second['id']}@{DOMAIN}")

    assert response.status_code == 202, response.text
    assert response.json()["message"]["brandId"] == second["id"]
    assert mailroom.messages(brand["id"]) == []
    [stored] = mailroom.messages(second["id"])
    assert stored.recipient == f"{second['id']}@{DOMAIN}"


def test_without_to_the_mailbox_is_read_from_the_envelope_headers(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    raw = mail(
        to="support@example.com",
        headers={"Delivered-To": to_brand(second), "Cc": to_brand(brand)},
    )

    response = post_mail(client, raw, bearer(secret_of(api)))

    assert response.status_code == 202, response.text
    assert response.json()["message"]["brandId"] == second["id"]
    assert len(mailroom.messages(second["id"])) == 1
    assert mailroom.messages(brand["id"]) == []


def test_the_same_message_posted_twice_is_stored_once(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    secret = secret_of(api)
    raw = mail(to=to_brand(brand), message_id="<again@mail.example.com>")

    first = post_mail(client, raw, bearer(secret))
    second = post_mail(client, raw, bearer(secret))

    assert first.status_code == second.status_code == 202
    assert first.json()["message"]["duplicate"] is False
    assert second.json()["message"]["duplicate"] is True
    assert second.json()["message"]["id"] == first.json()["message"]["id"]
    assert len(mailroom.messages(brand["id"])) == 1


def test_a_message_posted_over_http_becomes_a_ticket(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    response = post_mail(client, mail(to=to_brand(brand)), bearer(secret_of(api)))
    message = mailroom.session.get(InboundMessage, response.json()["message"]["id"])
    assert message is not None

    outcome = inbound.process_message(mailroom.session, message)

    assert outcome["action"] == "created"
    ticket = api.ok("get", f"/brands/{brand['id']}/tickets/{outcome['ticketId']}")
    assert ticket["source"] == "email"
    assert ticket["title"] == "Cannot log in"


def test_a_reply_address_given_as_to_threads_the_message(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json, settings: Settings
) -> None:
    ticket = api.ok(
        "post",
        f"/brands/{brand['id']}/tickets",
        201,
        json={"title": "Cannot log in", "customerEmail": "ann@example.com"},
    )
    address = addresses.reply_address(
        settings, mailroom.brand(brand["id"]), mailroom.ticket(ticket["id"])
    )

    response = post_mail(client, mail(to="support@example.com"), bearer(secret_of(api)), to=address)
    message = mailroom.session.get(InboundMessage, response.json()["message"]["id"])
    assert message is not None
    outcome = inbound.process_message(mailroom.session, message)

    assert outcome["action"] == "replied"
    assert outcome["ticketId"] == ticket["id"]
    assert outcome["threadedBy"] == "reply-address"


def test_a_message_larger_than_the_mail_size_limit_is_refused(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json, settings: Settings
) -> None:
    secret = secret_of(api)
    settings.mail_max_bytes = 2048
    raw = mail(to=to_brand(brand), body=("x" * 70 + "\n") * 100)

    response = post_mail(client, raw, bearer(secret))

    problem(response, 413)
    assert mailroom.messages(brand["id"]) == []


def test_a_message_with_nul_bytes_posted_over_http_becomes_a_clean_ticket(
    api: Api, client: TestClient, mailroom: Mailroom, brand: Json
) -> None:
    raw = mail(to=to_brand(brand), subject="Broken\x00 export", body="Line one\x00\x01 two")
    response = post_mail(client, raw, bearer(secret_of(api)))
    assert response.status_code == 202

    assert inbound.process_received(mailroom.database) == 1

    message = mailroom.session.get(InboundMessage, response.json()["message"]["id"])
    assert message is not None
    assert message.status == service.PROCESSED
    assert message.outcome is not None
    ticket = api.ok("get", f"/brands/{brand['id']}/tickets/{message.outcome['ticketId']}")
    assert ticket["title"] == "Broken export"
    assert ticket["body"].startswith("Line one two")
