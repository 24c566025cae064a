"""A write reads its ticket together with facts it would otherwise ask for one by one
(`transaction.Fact`: the newest comment's time, whether the ticket has tags, watchers).
What the write itself changes afterwards must win over what it learnt."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.comments import repository as comments
from dispatch.core import clock
from dispatch.core.actor import Actor, ActorKind, Channel
from dispatch.statuses import loading as statuses
from dispatch.tickets import repository
from dispatch.tickets.workflow import TicketChange, apply_changes
from dispatch.watchers import service as watchers
from dispatch.watchers.schemas import WatcherSpec
from tests.comments.helpers import Json
from tests.conftest import Api, make_ticket
from tests.tickets.helpers import events_of, patch_ticket


def _actor(api: Api) -> Actor:
    return Actor(ActorKind.API_KEY, Channel.API, api.account_id, name="Tester")


def test_tags_added_by_the_write_are_in_its_answer_and_event(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)  # no tags: the write learns so with its ticket

    changed = patch_ticket(api, brand, ticket, status="pending", tags=["vip"])

    assert [tag["name"] for tag in changed["tags"]] == ["vip"]
    updated = [e for e in events_of(session, ticket["id"]) if e.type == "ticket.updated"]
    assert [tag["name"] for tag in updated[-1].data["ticket"]["tags"]] == ["vip"]


def test_a_watcher_added_after_the_ticket_was_read_hears_of_the_change(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    brand_model = session.get(Brand, brand["id"])
    assert brand_model is not None
    loaded = repository.get_ticket_for_update(session, brand["id"], ticket["id"])
    assert loaded is not None  # learnt: no watchers
    spec = WatcherSpec.model_validate({"memberEmail": "ops@example.com"})
    watchers.add_watchers(session, _actor(api), brand_model, loaded, [spec])

    pending = next(s for s in statuses.list_for_brand(session, brand["id"]) if s.key == "pending")
    apply_changes(session, _actor(api), brand_model, loaded, TicketChange(status=pending))
    session.commit()  # events are written at commit

    requested = [
        e.data["recipient"]
        for e in events_of(session, ticket["id"])
        if e.type == "notification.requested"
    ]
    assert requested == ["ops@example.com"]


def test_a_comment_written_after_the_ticket_was_read_comes_after_the_newest(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(api, brand)
    later = clock.now() + timedelta(hours=1)  # a comment from a clock ahead of this one
    api.ok("post", f"/brands/{brand['id']}/tickets/{ticket['id']}/comments", 201,
           json={"body": "First", "authorType": "AGENT"})  # fmt: skip
    loaded = repository.get_ticket_for_update(session, brand["id"], ticket["id"])
    assert loaded is not None
    comments.NEWEST.learn(session, ticket["id"], later)

    first = comments.next_timestamp(session, ticket["id"])
    second = comments.next_timestamp(session, ticket["id"])

    assert later < first < second
