"""The team's changes as services (the dashboard calls them with a member; an all-brands
key may too): roles, brand access, deactivation, and who may make which."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dispatch.accounts import service
from dispatch.accounts.errors import AllBrandsKeyRequired
from dispatch.accounts.schemas import NewMember
from dispatch.brands.schemas import NewBrand
from dispatch.brands.service import create_brand
from dispatch.core.actor import Actor
from dispatch.core.errors import Conflict, Forbidden, NotFound, ValidationFailed


@pytest.fixture
def account(session: Session) -> tuple[str, Actor]:
    account, issued = service.create_account(session, name="Acme")
    return account.id, service.actor_for(issued.record)


def member(session: Session, account_id: str, email: str, role: str = "member") -> str:
    return service.add_member(session, account_id, NewMember(email=email, role=role)).id


def test_an_all_brands_key_changes_members_but_makes_no_owner(
    session: Session, account: tuple[str, Actor]
) -> None:
    account_id, key = account
    agent = member(session, account_id, "agent@acme.test")
    assert service.change_role(session, key, agent, "admin").role == "admin"
    with pytest.raises(Forbidden):
        service.change_role(session, key, agent, "owner")


def test_a_brand_scoped_key_changes_nobody(session: Session, account: tuple[str, Actor]) -> None:
    account_id, key = account
    brand = create_brand(session, key, NewBrand(name="Shop"))
    scoped = service.actor_for(
        service.issue_key(session, account_id, name="Scoped", brand_ids=[brand.id]).record
    )
    agent = member(session, account_id, "agent@acme.test")
    with pytest.raises(AllBrandsKeyRequired):
        service.deactivate_member(session, scoped, agent)


def test_brand_access_takes_only_the_accounts_brands(
    session: Session, account: tuple[str, Actor]
) -> None:
    account_id, key = account
    brand = create_brand(session, key, NewBrand(name="Shop"))
    agent = member(session, account_id, "agent@acme.test")
    changed = service.set_brand_access(session, key, agent, all_brands=False, brand_ids=[brand.id])
    assert (changed.all_brands, changed.brand_ids) == (False, [brand.id])
    with pytest.raises(ValidationFailed):
        service.set_brand_access(session, key, agent, all_brands=False, brand_ids=["br_other"])
    with pytest.raises(ValidationFailed):
        service.set_brand_access(session, key, agent, all_brands=False, brand_ids=[])


def test_the_last_active_owner_stays(session: Session, account: tuple[str, Actor]) -> None:
    account_id, _ = account
    first = member(session, account_id, "owner@acme.test", role="owner")
    me = service.member_actor(service.get_member(session, account[1], first))
    with pytest.raises(Conflict):
        service.change_role(session, me, first, "admin")
    with pytest.raises(Conflict):
        service.deactivate_member(session, me, first)  # nobody deactivates themselves
    second = member(session, account_id, "second@acme.test", role="owner")
    service.deactivate_member(session, me, second)
    # A deactivated owner does not count: the first is still the last active one.
    with pytest.raises(Conflict):
        service.change_role(session, me, first, "admin")
    assert service.reactivate_member(session, me, second).deactivated_at is None
    assert service.change_role(session, me, first, "admin").role == "admin"


def test_another_accounts_member_is_not_found(session: Session, account: tuple[str, Actor]) -> None:
    _, key = account
    other, _ = service.create_account(session, name="Globex")
    theirs = member(session, other.id, "them@globex.test")
    with pytest.raises(NotFound):
        service.change_role(session, key, theirs, "admin")
    with pytest.raises(NotFound):
        service.get_member(session, key, theirs)
