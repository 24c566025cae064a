"""`update_ticket(..., expected_version=)`: the dashboard's guard against overwriting a
change made meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.accounts.models import ApiKey
from dispatch.brands import service as brands
from dispatch.tickets import service
from dispatch.tickets.errors import VersionConflict
from dispatch.tickets.schemas import TicketChanges
from tests.conftest import Api, make_ticket


def _change(
    session: Session, api: Api, brand: dict[str, Any], ticket_id: str, version: int | None
) -> Any:
    key = session.scalars(select(ApiKey).where(ApiKey.account_id == api.account_id)).one()
    actor = accounts.actor_for(key)
    brand_row = brands.get_brand(session, actor, brand["id"])
    return service.update_ticket(
        session, actor, brand_row, ticket_id, TicketChanges(status="pending"),
        expected_version=version,
    )  # fmt: skip


def test_a_save_from_the_current_version_applies(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)

    changed = _change(session, api, brand, ticket["id"], ticket["version"])

    assert (changed.status, changed.version) == ("pending", ticket["version"] + 1)


def test_a_save_from_an_older_version_is_refused_and_changes_nothing(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"title": "New"})

    with pytest.raises(VersionConflict) as refused:
        _change(session, api, brand, ticket["id"], ticket["version"])

    assert (refused.value.status, refused.value.code) == (409, "version_conflict")
    assert refused.value.current_version == ticket["version"] + 1
    session.rollback()
    current = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert (current["status"], current["version"]) == ("open", ticket["version"] + 1)


def test_without_an_expected_version_the_api_keeps_last_write_wins(
    api: Api, brand: dict[str, Any], session: Session
) -> None:
    ticket = make_ticket(api, brand)
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"title": "New"})

    assert _change(session, api, brand, ticket["id"], None).status == "pending"
