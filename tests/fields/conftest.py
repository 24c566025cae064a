"""Fixtures of the custom field tests."""

from __future__ import annotations

import pytest

from tests.categories.helpers import Json
from tests.conftest import Api
from tests.fields.helpers import make_field


@pytest.fixture
def order_number(api: Api, brand: Json) -> Json:
    return make_field(api, brand, placeholder="#1001")


@pytest.fixture
def plan(api: Api, brand: Json, order_number: Json) -> Json:
    return make_field(
        api,
        brand,
        key="plan",
        label="Plan",
        type="select",
        options=["free", "pro", "enterprise"],
        defaultValue="free",
    )


@pytest.fixture
def sibling_brand(api: Api) -> Json:
    created: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    return created
