"""Each process keeps copies of a brand's statuses and field definitions for one version of
the brand (`core.versioned`): every change sets a new version in its transaction, so a
change made anywhere (another process included) shows at the next request, and a
transaction that changes them reads its own rows."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.statuses import loading, service
from dispatch.statuses.models import TicketStatus
from dispatch.statuses.schemas import NewStatus
from tests.conftest import Api, make_ticket
from tests.statuses.helpers import Json, statuses_path


def _rename_elsewhere(session: Session, brand: Json, key: str, name: str, *, bump: bool) -> None:
    """What another process's change leaves in the database (without this process's
    services, so without touching its copies)."""
    session.execute(
        update(TicketStatus)
        .where(TicketStatus.brand_id == brand["id"], TicketStatus.key == key)
        .values(name=name)
    )
    if bump:
        session.execute(
            update(Brand)
            .where(Brand.id == brand["id"])
            .values(config_version=Brand.config_version + 1)
        )
    session.commit()


def test_a_change_made_by_another_process_shows_at_the_next_request(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    assert api.ok("get", path)["statusRef"]["name"] == "Open"  # copies taken

    _rename_elsewhere(session, brand, "open", "New", bump=False)
    # The copies stand while the version does: the database is not asked again.
    assert api.ok("get", path)["statusRef"]["name"] == "Open"

    _rename_elsewhere(session, brand, "open", "Fresh", bump=True)
    assert api.ok("get", path)["statusRef"]["name"] == "Fresh"


def test_changes_through_the_api_show_at_once(api: Api, brand: Json) -> None:
    ticket = make_ticket(api, brand)
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    api.ok("get", path)
    open_id = ticket["statusId"]

    api.ok("patch", statuses_path(brand, f"/{open_id}"), json={"name": "Waiting on us"})

    assert api.ok("get", path)["statusRef"]["name"] == "Waiting on us"
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201,
           json={"key": "plan", "label": "Plan", "type": "text", "required": True})  # fmt: skip
    refused = api.post(
        f"/brands/{brand['id']}/tickets", json={"title": "T", "customerEmail": "a@x.com"}
    )
    assert refused.status_code == 422, refused.text


def test_a_transaction_that_changes_statuses_reads_its_own_and_lends_them_to_no_one(
    api: Api, brand: Json, session: Session
) -> None:
    make_ticket(api, brand)  # the brand's copies are taken
    brand_row = session.get(Brand, brand["id"])
    assert brand_row is not None
    actor = Actor(ActorKind.API_KEY, Channel.API, api.account_id, name="Tester")

    with session.begin_nested() as attempt:
        service.create_status(session, actor, brand_row, NewStatus(name="Triage", key="triage"))
        assert "triage" in [s.key for s in loading.list_for_brand(session, brand["id"])]
        attempt.rollback()

    session.expire_all()
    assert "triage" not in [s.key for s in loading.list_for_brand(session, brand["id"])]
    assert "triage" not in [s["key"] for s in api.ok("get", statuses_path(brand))]


def test_a_change_that_rolled_back_lends_its_version_to_no_later_change(
    api: Api, brand: Json, session: Session
) -> None:
    """A version is never reused: copies taken at a change that rolled back (here the test's
    savepoint; in production a restored backup) are never taken for another change's."""
    ticket = make_ticket(api, brand)
    path = f"/brands/{brand['id']}/tickets/{ticket['id']}"
    status_path = statuses_path(brand, f"/{ticket['statusId']}")
    with session.begin_nested() as undone:
        api.ok("patch", status_path, json={"name": "Undone"})
        assert api.ok("get", path)["statusRef"]["name"] == "Undone"  # copies at its version
        undone.rollback()

    api.ok("patch", status_path, json={"name": "Kept"})

    assert api.ok("get", path)["statusRef"]["name"] == "Kept"
