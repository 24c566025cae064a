"""What the portal API tests share: a brand with a portal origin, customers with tokens,
and a client that speaks as a customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.email.models import OutboundEmail
from tests.conftest import Api

Json = dict[str, Any]
APP_ORIGIN = "https://app.acme.test"
PORTAL_TICKET_KEYS = {
    "id",
    "ticketNumber",
    "title",
    "status",
    "statusName",
    "statusColor",
    "priority",
    "commentCount",
    "createdAt",
    "updatedAt",
}
PORTAL_COMMENT_KEYS = {"id", "body", "authorType", "authorName", "createdAt", "attachments"}
PORTAL_ATTACHMENT_KEYS = {"id", "filename", "contentType", "size", "status", "createdAt"}


@dataclass
class Customer:
    """A customer's app: every call carries their portal token."""

    client: TestClient
    token: str
    id: str
    email: str

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(
            f"/v1/portal{path}", headers=self.headers(kw.pop("headers", None)), **kw
        )

    def post(self, path: str, **kw: Any) -> Any:
        headers = self.headers(kw.pop("headers", None))
        return self.client.post(f"/v1/portal{path}", headers=headers, **kw)

    def ok(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        response = getattr(self, method)(path, **kw)
        assert response.status_code == status, response.text
        return response.json()


def portal_brand(api: Api, name: str = "Acme Store", origins: list[str] | None = None) -> Json:
    brand: Json = api.ok("post", "/brands", 201, json={"name": name})
    body = {"portalOrigins": origins if origins is not None else [APP_ORIGIN]}
    updated: Json = api.ok("patch", f"/brands/{brand['id']}", json=body)
    return updated


def mint(api: Api, brand: Json, email: str, **extra: Any) -> Json:
    body = {"email": email, **extra}
    minted: Json = api.ok("post", f"/brands/{brand['id']}/portal/token", json=body)
    return minted


def customer(api: Api, brand: Json, email: str) -> Customer:
    minted = mint(api, brand, email, name=email.split("@")[0].title())
    return Customer(api.client, minted["token"], minted["customerId"], minted["email"])


def sent_link_token(session: Session, to: str) -> str:
    """The token of the newest magic link emailed to `to`."""
    session.expire_all()
    sent = session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.to_address == to, OutboundEmail.kind == "portal_link")
        .order_by(OutboundEmail.created_at)
    ).all()
    assert sent, f"no portal link was emailed to {to}"
    return sent[-1].text_body.split("token=")[1].split()[0]


def links_sent(session: Session, to: str) -> int:
    session.expire_all()
    return len(
        session.scalars(
            select(OutboundEmail).where(
                OutboundEmail.to_address == to, OutboundEmail.kind == "portal_link"
            )
        ).all()
    )


def problem(response: Any, status: int, code: str) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    assert body["code"] == code, body
    return body
