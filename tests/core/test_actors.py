"""Every kind of actor over the same service functions: what the record says about it
(activity source and performedBy, comment authorship, createdBy) and what the policies
let it see and do."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewMember
from dispatch.audit import service as audit
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.policy import in_scope
from dispatch.brands.schemas import NewBrand
from dispatch.comments import service as comments
from dispatch.comments.schemas import NewComment
from dispatch.contacts import service as contacts
from dispatch.core.actor import Actor, Channel, OwnerOrAdminRequired
from dispatch.core.errors import NotFound
from dispatch.statuses import service as statuses
from dispatch.statuses.schemas import NewStatus
from dispatch.tickets import service as tickets
from dispatch.tickets.policy import StaffOnly
from dispatch.tickets.schemas import NewTicket, TicketChanges
from dispatch.tickets.service import TicketQuery
from dispatch.webforms import service as webforms
from dispatch.webforms.schemas import NewForm


@dataclass
class World:
    session: Session
    key: Actor
    brand: Brand
    other_brand: Brand

    def member(self, role: str, **access: object) -> Actor:
        email = f"{role}{len(access)}@corp.local"
        data = NewMember(email=email, name=role.title(), role=role, **access)  # type: ignore[arg-type]
        return accounts.member_actor(accounts.add_member(self.session, self.key.account_id, data))

    def customer(self, email: str) -> Actor:
        contact = contacts.find_or_create_contact(
            self.session, self.key, self.brand, email=email, name=email.split("@")[0]
        )
        return Actor.customer(
            account_id=self.key.account_id,
            brand_id=self.brand.id,
            contact_id=contact.id,
            email=contact.email,
            name=contact.name,
            channel=Channel.PORTAL,
        )

    def last_entry(self, ticket_id: str) -> dict[str, object]:
        self.session.commit()  # activity entries are written at the commit
        entries, _ = audit.ticket_history(self.session, ticket_id, cursor=None, limit=100)
        entry = entries[-1]
        return {"source": entry.source, "by": entry.performed_by, "event": entry.event}


@pytest.fixture
def world(session: Session) -> World:
    _account, issued = accounts.create_account(session, name="Actors")
    key = accounts.actor_for(issued.record)
    brand = brands.create_brand(session, key, NewBrand(name="Acme"))
    other = brands.create_brand(session, key, NewBrand(name="Globex"))
    return World(session, key, brand, other)


def test_a_key_is_recorded_as_the_api(world: World) -> None:
    ticket = tickets.create_ticket(world.session, world.key, world.brand, NewTicket(title="Hi"))
    assert ticket.created_by == world.key.name
    entry = world.last_entry(ticket.id)
    assert entry["source"] == "api"
    assert entry["by"] == {
        "type": "api",
        "name": world.key.name,
        "apiKeyPrefix": world.key.api_key_prefix,
        "apiKeyId": world.key.api_key_id,
    }


def test_a_signed_in_member_is_recorded_as_a_user_through_the_dashboard(world: World) -> None:
    agent = world.member("member")
    ticket = tickets.create_ticket(world.session, agent, world.brand, NewTicket(title="Hi"))
    comment = comments.create_comment(
        world.session, agent, world.brand, ticket.id, NewComment(body="On it")
    )

    assert ticket.created_by == agent.email
    entry = world.last_entry(ticket.id)
    assert entry["source"] == "dashboard"
    assert entry["by"] == {
        "type": "user",
        "email": agent.email,
        "name": "Member",
        "userId": agent.member_id,
    }
    assert (comment.author_type, comment.author_id, comment.author_email) == (
        "AGENT",
        agent.member_id,
        agent.email,
    )


def test_a_member_reaches_only_the_brands_given_and_admins_reach_all(world: World) -> None:
    limited = world.member("member", all_brands=False, brand_ids=[world.brand.id])
    admin = world.member("admin", all_brands=False, brand_ids=[world.brand.id])

    assert in_scope(limited, world.brand, world.brand.id) is world.brand
    with pytest.raises(NotFound):
        in_scope(limited, world.other_brand, world.other_brand.id)
    assert in_scope(admin, world.other_brand, world.other_brand.id) is world.other_brand


def test_members_work_tickets_but_only_owners_and_admins_change_settings(world: World) -> None:
    agent, admin = world.member("member"), world.member("admin")
    ticket = tickets.create_ticket(world.session, agent, world.brand, NewTicket(title="Hi"))
    changed = tickets.update_ticket(
        world.session, agent, world.brand, ticket.id, TicketChanges(priority="high")
    )
    assert changed.priority == "high"

    with pytest.raises(OwnerOrAdminRequired):
        statuses.create_status(world.session, agent, world.brand, NewStatus(name="Doing", key="d"))
    made = statuses.create_status(world.session, admin, world.brand, NewStatus(name="Do", key="d"))
    assert made.key == "d"


def test_a_customer_sees_only_their_own_tickets_and_no_internal_notes(world: World) -> None:
    ann, bob = world.customer("ann@customer.test"), world.customer("bob@customer.test")
    staff = world.key
    own = tickets.create_ticket(world.session, ann, world.brand, NewTicket(title="Mine"))
    theirs = tickets.create_ticket(world.session, bob, world.brand, NewTicket(title="Bob's"))
    comments.create_comment(
        world.session, staff, world.brand, own.id, NewComment(body="Note", is_internal=True)
    )
    reply = comments.create_comment(
        world.session, staff, world.brand, own.id, NewComment(body="Hello Ann")
    )

    listed, _ = tickets.list_tickets(world.session, ann, world.brand, TicketQuery())
    assert [t.id for t in listed] == [own.id]
    assert own.customer_email == "ann@customer.test"
    other, _ = tickets.list_tickets(
        world.session, ann, world.brand, TicketQuery(customer_id=theirs.customer_id)
    )
    assert other == []
    with pytest.raises(NotFound):
        tickets.get_ticket(world.session, ann, world.brand, theirs.id)
    seen = comments.list_comments(world.session, ann, world.brand, own.id)
    assert [c.id for c in seen] == [reply.id]
    assert len(comments.list_comments(world.session, staff, world.brand, own.id)) > len(seen)


def test_a_customer_writes_as_themselves_and_a_reply_reopens_their_ticket(world: World) -> None:
    ann = world.customer("ann@customer.test")
    ticket = tickets.create_ticket(world.session, ann, world.brand, NewTicket(title="Help"))
    tickets.update_ticket(
        world.session, world.key, world.brand, ticket.id, TicketChanges(status="resolved")
    )

    comment = comments.create_comment(
        world.session, ann, world.brand, ticket.id, NewComment(body="Still broken")
    )

    assert (comment.author_type, comment.author_email) == ("CUSTOMER", "ann@customer.test")
    assert tickets.get_ticket(world.session, ann, world.brand, ticket.id).status == "open"
    world.session.commit()
    entries, _ = audit.ticket_history(world.session, ticket.id, cursor=None, limit=100)
    created = entries[0]
    assert created.source == "portal"
    assert created.performed_by["type"] == "customer"
    assert created.performed_by["contactId"] == ann.contact_id


@pytest.mark.parametrize(
    "attempt",
    [
        lambda w, a, t: tickets.update_ticket(w.session, a, w.brand, t, TicketChanges(title="x")),
        lambda w, a, t: tickets.delete_ticket(w.session, a, w.brand, t),
        lambda w, a, t: comments.create_comment(
            w.session, a, w.brand, t, NewComment(body="x", set_status="closed")
        ),
        lambda w, a, t: comments.create_comment(
            w.session, a, w.brand, t, NewComment(body="x", is_internal=True)
        ),
        lambda w, a, t: tickets.create_ticket(
            w.session, a, w.brand, NewTicket(title="x", assignee_email="me@corp.local")
        ),
    ],
)
def test_a_customer_cannot_do_what_only_the_team_does(world: World, attempt: object) -> None:
    ann = world.customer("ann@customer.test")
    ticket = tickets.create_ticket(world.session, ann, world.brand, NewTicket(title="Help"))
    with pytest.raises(StaffOnly):
        attempt(world, ann, ticket.id)  # type: ignore[operator]


def test_the_system_and_rules_say_where_their_changes_came_from(world: World) -> None:
    ticket = tickets.create_ticket(world.session, world.key, world.brand, NewTicket(title="Hi"))
    mail = Actor.system(world.key.account_id, channel=Channel.EMAIL)
    rule = Actor.rule(world.key.account_id, rule_id="rul_1", name="Route billing")

    tickets.update_ticket(world.session, mail, world.brand, ticket.id, TicketChanges(title="A"))
    assert world.last_entry(ticket.id)["source"] == "email"
    tickets.update_ticket(world.session, rule, world.brand, ticket.id, TicketChanges(title="B"))
    entry = world.last_entry(ticket.id)
    assert entry["source"] == "automation"
    assert entry["by"] == {"type": "rule", "name": "Route billing", "ruleId": "rul_1"}


def test_the_web_channel_opens_tickets_as_the_form_or_its_customer(world: World) -> None:
    form = Actor.system(world.key.account_id, channel=Channel.WEB, name="Contact us")
    anonymous = tickets.create_ticket(world.session, form, world.brand, NewTicket(title="Hi"))
    assert anonymous.created_by == "Contact us"
    assert world.last_entry(anonymous.id)["source"] == "web"

    contact = contacts.find_or_create_contact(
        world.session, form, world.brand, email="cy@customer.test", name="Cy"
    )
    cy = Actor.customer(
        account_id=world.key.account_id,
        brand_id=world.brand.id,
        contact_id=contact.id,
        email=contact.email,
        name="Cy",
        channel=Channel.WEB,
    )
    own = tickets.create_ticket(world.session, cy, world.brand, NewTicket(title="Mine"))
    assert own.customer_id == contact.id
    entry = world.last_entry(own.id)
    assert entry["source"] == "web"
    assert entry["by"]["type"] == "customer"  # type: ignore[index]


def test_web_forms_are_read_by_the_team_and_changed_by_owners_and_admins(world: World) -> None:
    agent, admin = world.member("member"), world.member("admin")
    with pytest.raises(OwnerOrAdminRequired):
        webforms.create_form(world.session, agent, world.brand, NewForm(name="Contact"))
    made = webforms.create_form(world.session, admin, world.brand, NewForm(name="Contact"))
    assert [f.id for f in webforms.list_forms(world.session, agent, world.brand)] == [made.id]
    with pytest.raises(OwnerOrAdminRequired):
        webforms.regenerate_token(world.session, agent, world.brand, made.id)
    with pytest.raises(StaffOnly):
        webforms.list_forms(world.session, world.customer("ann@customer.test"), world.brand)
