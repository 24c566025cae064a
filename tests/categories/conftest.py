"""Fixtures of the category tests: a few categories, a second brand of the account."""

from __future__ import annotations

import pytest

from tests.categories.helpers import Json, make_category
from tests.conftest import Api


@pytest.fixture
def billing(api: Api, brand: Json) -> Json:
    return make_category(api, brand, name="Billing", key="billing", color="#22c55e")


@pytest.fixture
def shipping(api: Api, brand: Json, billing: Json) -> Json:
    return make_category(api, brand, name="Shipping", description="Where is my parcel?")


@pytest.fixture
def returns(api: Api, brand: Json, shipping: Json) -> Json:
    return make_category(api, brand, name="Returns")


@pytest.fixture
def sibling_brand(api: Api) -> Json:
    """A second brand of the same account."""
    created: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    return created
