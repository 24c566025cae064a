"""The benchmark's account as a team would have it: the owner (made by the CLI, with a
password), six agents, two brands each with a custom status, categories and tags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bench.core import Fixture
from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewMember
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import NewBrand
from dispatch.categories import service as categories
from dispatch.categories.schemas import NewCategory
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.statuses import loading as statuses
from dispatch.statuses import service as statuses_service
from dispatch.statuses.schemas import NewStatus
from dispatch.tags import service as tags
from dispatch.tags.schemas import NewTag

OWNER_EMAIL = "owner@bench.example"
OWNER_PASSWORD = "bench-owner-password"  # noqa: S105 - a throwaway benchmark database
AGENTS = ["Ada", "Bo", "Chen", "Dana", "Eli", "Farah"]
CATEGORIES = ["Billing", "Login", "Shipping", "Returns", "Bug report", "Feature request"]
TAGS = ["vip", "refund", "mobile", "web", "api", "urgent-followup", "invoice", "password",
        "outage", "delivery", "damaged", "feedback"]  # fmt: skip


@dataclass
class BrandSetup:
    """One brand's ids the seed draws from."""

    id: str
    status_ids: dict[str, str]
    status_names: dict[str, str]
    custom_key: str  # its custom status, seeded where bench.core seeds in_progress
    category_ids: list[str]
    tag_ids: list[str]


@dataclass
class World:
    fixture: Fixture
    owner_id: str
    agents: list[tuple[str, str, str]]  # (member id, email, name)
    brands: list[BrandSetup]


def _create_owner(fixture: Fixture) -> str:
    """The owner as a script makes one: the CLI with the password on standard input."""
    created = subprocess.run(  # noqa: S603 - our interpreter, our arguments
        [sys.executable, "-m", "dispatch", "users", "create", "--account", fixture.account_id,
         "--email", OWNER_EMAIL, "--name", "Bench Owner", "--role", "owner", "--password-stdin"],
        input=OWNER_PASSWORD + "\n",
        env={**os.environ, "DISPATCH_DATABASE_URL": fixture.url},
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    member_id: str = json.loads(created.stdout)["id"]
    return member_id


def _brand_setup(
    session: Session, actor: Actor, brand: Brand, custom: tuple[str, str] | None
) -> BrandSetup:
    if custom is not None:
        statuses_service.create_status(
            session, actor, brand, NewStatus(name=custom[0], key=custom[1])
        )
    found = statuses.list_for_brand(session, brand.id)
    return BrandSetup(
        id=brand.id,
        status_ids={s.key: s.id for s in found},
        status_names={s.key: s.name for s in found},
        custom_key=custom[1] if custom else "in_progress",
        category_ids=[
            categories.create_category(session, actor, brand, NewCategory(name=name)).id
            for name in CATEGORIES
        ],
        tag_ids=[tags.create_tag(session, actor, brand, NewTag(name=name)).id for name in TAGS],
    )


def setup(fixture: Fixture) -> World:
    """The owner, six agents, a second brand with its own custom status, and each brand's
    categories and tags, through the services as the API would make them."""
    owner_id = _create_owner(fixture)
    database = Database.from_url(fixture.url, pool_size=1)
    with database.session() as session:
        key, brand = accounts.authenticate(session, fixture.key, with_brand=fixture.brand_id)
        assert brand is not None
        actor = accounts.actor_for(key)
        agents = []
        for name in AGENTS:
            email = f"{name.lower()}@bench.example"
            member = accounts.add_member(
                session, fixture.account_id, NewMember(email=email, name=name, role="member")
            )
            agents.append((member.id, email, name))
        second = brands.create_brand(session, actor, NewBrand(name="Second Brand"))
        world = World(
            fixture,
            owner_id,
            agents,
            # The first brand already has its custom status (In Progress, bench.core).
            [
                _brand_setup(session, actor, brand, None),
                _brand_setup(session, actor, second, ("Waiting on vendor", "waiting_on_vendor")),
            ],
        )
        session.commit()
    database.dispose()
    return world
