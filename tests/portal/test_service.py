"""The portal's service functions: tokens for customers, magic links, and a customer's
view of their tickets (public replies only, staff as STAFF)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.comments import service as comments
from dispatch.comments.schemas import NewComment
from dispatch.contacts import service as contacts
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.email.models import OutboundEmail
from dispatch.portal import service as portal
from dispatch.portal import tokens
from dispatch.portal.errors import InvalidPortalToken, PortalUrlNotAllowed
from dispatch.settings import Settings
from dispatch.tickets import service as tickets
from dispatch.tickets.schemas import TicketChanges
from tests.portal.conftest import World

OWN = "https://help.example.com"


def _link_token(world: World, to: str) -> str:
    sent = world.session.scalars(
        select(OutboundEmail).where(
            OutboundEmail.to_address == to, OutboundEmail.kind == "portal_link"
        )
    ).all()
    assert sent, f"no portal link was sent to {to}"
    return sent[-1].text_body.split("token=")[1].split()[0]


def _send(
    world: World, settings: Settings, email: str, url: str = "https://app.acme.test/x"
) -> None:
    portal.send_magic_link(world.session, settings, world.brand, email, url, own_origin=OWN)


def test_mint_token_finds_or_creates_the_contact_and_company(world: World) -> None:
    first = portal.mint_token(
        world.session, world.key, world.brand, "Ann@Corp.test", name="Ann", company_name="Corp"
    )
    again = portal.mint_token(world.session, world.key, world.brand, "ann@corp.test")
    assert first.customer_id == again.customer_id
    assert first.email == "ann@corp.test"
    assert first.name == "Ann"
    contact = contacts.read_contact(world.session, world.brand, first.customer_id)
    assert contact.company is not None
    assert contact.company.name == "Corp"
    actor = tokens.customer_for(world.session, first.token)
    assert actor.contact_id == first.customer_id
    assert actor.channel.value == "portal"


def test_a_deleted_contact_or_rotated_secret_ends_its_tokens(world: World) -> None:
    minted = portal.mint_token(world.session, world.key, world.brand, "bo@corp.test")
    portal.rotate_secret(world.session, world.key, world.brand)
    with pytest.raises(InvalidPortalToken):
        tokens.customer_for(world.session, minted.token)
    minted = portal.mint_token(world.session, world.key, world.brand, "bo@corp.test")
    contacts.delete_contact(world.session, world.key, world.brand, minted.customer_id)
    with pytest.raises(InvalidPortalToken):
        tokens.customer_for(world.session, minted.token)


def test_a_magic_link_signs_in_once(world: World, settings: Settings) -> None:
    _send(world, settings, "New@Corp.test")
    raw = _link_token(world, "new@corp.test")
    signed_in = portal.verify_magic_link(world.session, raw)
    assert signed_in.email == "new@corp.test"
    assert tokens.customer_for(world.session, signed_in.token).contact_id == signed_in.customer_id
    with pytest.raises(InvalidPortalToken):
        portal.verify_magic_link(world.session, raw)


def test_a_magic_link_expires_after_fifteen_minutes(
    world: World, settings: Settings, frozen_clock: Any
) -> None:
    _send(world, settings, "late@corp.test")
    frozen_clock.advance(minutes=15, seconds=1)
    with pytest.raises(InvalidPortalToken):
        portal.redeem_magic_link(world.session, _link_token(world, "late@corp.test"))


def test_a_magic_link_of_another_brand_is_refused(world: World, settings: Settings) -> None:
    _send(world, settings, "x@corp.test")
    with pytest.raises(InvalidPortalToken):
        portal.redeem_magic_link(
            world.session, _link_token(world, "x@corp.test"), brand_id=world.other_brand.id
        )


def test_magic_links_per_address_are_limited_quietly(world: World, settings: Settings) -> None:
    for _ in range(portal.LINKS_PER_ADDRESS + 2):
        _send(world, settings, "spam@corp.test")
    sent = world.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == "spam@corp.test")
    ).all()
    assert len(sent) == portal.LINKS_PER_ADDRESS


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.test/login",
        "javascript:alert(1)",
        "ftp://app.acme.test/",
        "https://app.acme.test.evil.test/",
        "http://app.acme.test/",  # the origin is https only
        "https://help.example.com/support/globex/",  # another brand's hosted portal
        "https://user:pw@app.acme.test/",
        "https://app.acme.test/" + "x" * 2000,
    ],
)
def test_magic_links_point_only_at_the_brand_s_origins(world: World, url: str) -> None:
    with pytest.raises(PortalUrlNotAllowed):
        portal.check_portal_url(world.brand, url, own_origin=OWN)


def test_magic_links_may_point_at_the_hosted_portal(world: World) -> None:
    url = f"{OWN}/support/{world.brand.slug}/signin/verify?next=%2Ft"
    assert portal.check_portal_url(world.brand, url, own_origin=OWN) == url
    assert portal._with_token(url, "abc").endswith("next=%2Ft&token=abc")


@pytest.mark.parametrize(
    "url", ["https://help.acme.test/signin", "https://help.acme.test:8443/signin?x=1"]
)
def test_magic_links_may_point_at_the_brand_s_own_portal_domain(world: World, url: str) -> None:
    world.brand.portal_domain = "help.acme.test"
    assert portal.check_portal_url(world.brand, url, own_origin=OWN) == url


def test_an_http_link_to_the_portal_domain_needs_a_request_over_http(world: World) -> None:
    world.brand.portal_domain = "help.acme.test"
    url = "http://help.acme.test/signin"
    with pytest.raises(PortalUrlNotAllowed):
        portal.check_portal_url(world.brand, url, own_origin=OWN)
    assert portal.check_portal_url(world.brand, url, own_origin="http://help.acme.test") == url


@pytest.mark.parametrize(
    "url",
    [
        "https://help.acme.test.evil.test/signin",
        "https://evil.help.acme.test/signin",
        "https://help.acme.test@evil.test/signin",
    ],
)
def test_only_the_portal_domain_itself_is_allowed(world: World, url: str) -> None:
    world.brand.portal_domain = "help.acme.test"
    with pytest.raises(PortalUrlNotAllowed):
        portal.check_portal_url(world.brand, url, own_origin=OWN)


def test_customers_see_only_their_own_tickets(world: World) -> None:
    ann, bob = world.customer("ann@corp.test"), world.customer("bob@corp.test")
    mine = portal.create_ticket(world.session, ann, "Printer on fire", "Smoke everywhere")
    assert mine.ticket_number == f"{world.brand.ticket_prefix}-1001"
    assert mine.status == "open"
    with pytest.raises(NotFound):
        portal.get_ticket(world.session, bob, mine.id)
    with pytest.raises(NotFound):
        portal.add_comment(world.session, bob, mine.id, "me too")
    assert portal.list_tickets(world.session, bob)[0] == []
    assert [t.id for t in portal.list_tickets(world.session, ann)[0]] == [mine.id]
    elsewhere = world.customer("ann@corp.test", world.other_brand)
    with pytest.raises(NotFound):
        portal.get_ticket(world.session, elsewhere, mine.id)


def test_a_ticket_shows_public_replies_only_with_staff_as_staff(world: World) -> None:
    ann = world.customer("ann@corp.test")
    ticket = portal.create_ticket(world.session, ann, "Refund")
    note = comments.create_comment(
        world.session, world.key, world.brand, ticket.id, NewComment(body="VIP", is_internal=True)
    )
    reply = comments.create_comment(
        world.session,
        world.key,
        world.brand,
        ticket.id,
        NewComment(body="On it", author_name="Eve Agent", author_email="eve@acme.test"),
    )
    tickets.update_ticket(
        world.session, world.key, world.brand, ticket.id, TicketChanges(status="resolved")
    )
    detail = portal.get_ticket(world.session, ann, ticket.id)
    assert [c.id for c in detail.comments] == [reply.id]
    assert detail.comments[0].author_type == "STAFF"
    assert detail.comments[0].author_name == "Acme"
    assert "Eve" not in detail.model_dump_json()
    assert detail.comment_count == 1
    assert detail.status == "resolved"
    assert detail.status_ref.name == "Resolved"
    assert note.id not in detail.model_dump_json()
    assert portal.list_tickets(world.session, ann)[0][0].comment_count == 1


def test_a_customer_reply_reopens_a_resolved_ticket(world: World) -> None:
    ann = world.customer("ann@corp.test")
    ticket = portal.create_ticket(world.session, ann, "Broken")
    tickets.update_ticket(
        world.session, world.key, world.brand, ticket.id, TicketChanges(status="resolved")
    )
    result = portal.add_comment(world.session, ann, ticket.id, "Still broken")
    assert result.reopened is True
    assert result.comment.author_type == "CUSTOMER"
    assert portal.get_ticket(world.session, ann, ticket.id).status == "open"
    assert portal.add_comment(world.session, ann, ticket.id, "Hello?").reopened is False


def test_only_portal_visible_fields_reach_the_customer(world: World) -> None:
    from dispatch.fields import service as fields
    from dispatch.fields.schemas import NewField

    fields.create_field(
        world.session,
        world.key,
        world.brand,
        "ticket",
        NewField(key="order", label="Order", type="text", portal_visible=True),
    )
    fields.create_field(
        world.session,
        world.key,
        world.brand,
        "ticket",
        NewField(key="risk", label="Risk", type="text"),
    )
    ann = world.customer("ann@corp.test")
    with pytest.raises(ValidationFailed):
        portal.create_ticket(world.session, ann, "T", custom_fields={"risk": "high"})
    ticket = portal.create_ticket(world.session, ann, "T", custom_fields={"order": "A-1"})
    tickets.update_ticket(
        world.session,
        world.key,
        world.brand,
        ticket.id,
        TicketChanges(custom_fields={"risk": "high"}),
    )
    detail = portal.get_ticket(world.session, ann, ticket.id)
    assert [(f.key, f.value) for f in detail.custom_fields] == [("order", "A-1")]


def test_portal_visible_applies_to_ticket_fields_only(world: World) -> None:
    from dispatch.fields import service as fields
    from dispatch.fields.schemas import NewField

    with pytest.raises(ValidationFailed):
        fields.create_field(
            world.session,
            world.key,
            world.brand,
            "contact",
            NewField(key="tier", label="Tier", type="text", portal_visible=True),
        )


def test_categories_only_when_the_brand_offers_them(world: World) -> None:
    ann = world.customer("ann@corp.test")
    with pytest.raises(ValidationFailed):
        portal.create_ticket(world.session, ann, "T", category_id="cat_x")


def test_spam_tickets_are_not_the_customer_s_to_see(world: World) -> None:
    ann = world.customer("ann@corp.test")
    ticket = portal.create_ticket(world.session, ann, "Buy now")
    tickets.set_spam(world.session, world.key, world.brand, ticket.id, True)
    with pytest.raises(NotFound):
        portal.get_ticket(world.session, ann, ticket.id)
    assert portal.list_tickets(world.session, ann)[0] == []


def test_refresh_issues_a_new_token_for_the_same_customer(world: World) -> None:
    ann = world.customer("ann@corp.test")
    fresh = portal.refresh(world.session, ann)
    assert fresh.customer_id == ann.contact_id
    assert tokens.customer_for(world.session, fresh.token).contact_id == ann.contact_id
    assert fresh.expires_at > tokens.clock.now() + timedelta(minutes=59)


def test_expired_magic_links_are_purged_a_day_later(
    world: World, settings: Settings, frozen_clock: Any
) -> None:
    _send(world, settings, "old@corp.test")
    frozen_clock.advance(hours=24, minutes=14)
    assert portal.purge_links(world.session) == 0
    frozen_clock.advance(minutes=2)
    assert portal.purge_links(world.session) == 1
