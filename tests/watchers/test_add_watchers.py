"""`watchers.service.add_watchers`, the function ticket create calls for its `watchers`
field (objects or plain email strings); duplicates are skipped."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.core.errors import ValidationFailed
from dispatch.tickets.models import Ticket
from dispatch.watchers import service
from dispatch.watchers.schemas import WatcherSpec
from tests.comments.helpers import Json, add_member, events_of, ticket_logs
from tests.conftest import Api, make_ticket
from tests.watchers.helpers import add_watcher, list_watchers

SPECS = TypeAdapter(list[WatcherSpec])


def load(session: Session, brand: Json, ticket: Json) -> tuple[Brand, Ticket]:
    brand_model = session.get(Brand, brand["id"])
    ticket_model = session.get(Ticket, ticket["id"])
    assert brand_model is not None
    assert ticket_model is not None
    return brand_model, ticket_model


def actor(api: Api) -> Actor:
    return Actor(ActorKind.API_KEY, Channel.API, api.account_id, name="Importer")


def test_specs_accept_objects_and_plain_email_strings() -> None:
    specs = SPECS.validate_python(["Ops@Example.com", {"memberId": "user_1", "memberName": "Dana"}])

    assert specs[0].member_email == "Ops@example.com"
    assert (specs[1].member_id, specs[1].member_name) == ("user_1", "Dana")


@pytest.mark.parametrize("bad", [["not-an-email"], [{}], [{"memberEmail": "a@x.com", "x": 1}], [3]])
def test_specs_refuse_bad_entries(bad: list[object]) -> None:
    with pytest.raises(ValidationError):
        SPECS.validate_python(bad)


def test_add_watchers_adds_each_address_once_and_skips_existing_ones(
    api: Api, brand: Json, session: Session
) -> None:
    member = add_member(api, "dana@acme.com", "Dana")
    ticket = make_ticket(api, brand)
    existing = add_watcher(api, brand, ticket, memberEmail="ops@example.com")
    brand_model, ticket_model = load(session, brand, ticket)
    specs = SPECS.validate_python(
        [
            {"memberId": member["id"]},
            "ops@example.com",
            "new@example.com",
            "NEW@example.com",
            {"memberEmail": "dana@acme.com"},
        ]
    )

    added = service.add_watchers(session, actor(api), brand_model, ticket_model, specs)
    session.commit()

    assert [w.member_email for w in added] == ["dana@acme.com", "new@example.com"]
    assert added[0].member_id == member["id"]
    assert added[0].member_name == "Dana"
    listed = list_watchers(api, brand, ticket)
    assert [w["memberEmail"] for w in listed] == [
        "ops@example.com",
        "dana@acme.com",
        "new@example.com",
    ]
    assert listed[0] == existing
    assert listed[1]["addedBy"] == "Importer"
    assert len(events_of(session, ticket["id"], "watcher.created")) == 3
    created = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "watcher.created"]
    assert len(created) == 3


def test_add_watchers_refuses_an_unknown_member_naming_its_position(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    brand_model, ticket_model = load(session, brand, ticket)
    specs = SPECS.validate_python(["a@example.com", {"memberId": "user_ghost"}])

    with pytest.raises(ValidationFailed) as refused:
        service.add_watchers(session, actor(api), brand_model, ticket_model, specs)

    assert refused.value.errors == [
        {"field": "watchers.1.memberId", "message": "No team member 'user_ghost' in this account"}
    ]
    assert list_watchers(api, brand, ticket) == []
