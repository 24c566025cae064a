from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import BrandChanges, NewBrand
from dispatch.core.actor import Actor
from dispatch.portal import service as portal
from dispatch.portal import tokens


@dataclass
class World:
    """An account with two brands, its key, and customers made through the portal."""

    session: Session
    key: Actor
    brand: Brand
    other_brand: Brand

    def customer(self, email: str, brand: Brand | None = None) -> Actor:
        brand = brand or self.brand
        minted = portal.mint_token(self.session, self.key, brand, email, name=email.split("@")[0])
        return tokens.customer_for(self.session, minted.token)


@pytest.fixture
def world(session: Session) -> World:
    _account, issued = accounts.create_account(session, name="Portal")
    key = accounts.actor_for(issued.record)
    brand = brands.create_brand(session, key, NewBrand(name="Acme"))
    brands.update_brand(session, key, brand, BrandChanges(portal_origins=["https://app.acme.test"]))
    other = brands.create_brand(session, key, NewBrand(name="Globex"))
    return World(session, key, brand, other)
