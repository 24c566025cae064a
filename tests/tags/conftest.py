"""Fixtures of the tag tests."""

from __future__ import annotations

import pytest

from tests.categories.helpers import Json
from tests.conftest import Api
from tests.tags.helpers import make_tag


@pytest.fixture
def vip(api: Api, brand: Json) -> Json:
    return make_tag(api, brand, "VIP", color="#EAB308")


@pytest.fixture
def bug(api: Api, brand: Json, vip: Json) -> Json:
    return make_tag(api, brand, "bug")


@pytest.fixture
def defect(api: Api, brand: Json, bug: Json) -> Json:
    return make_tag(api, brand, "Defect")


@pytest.fixture
def sibling_brand(api: Api) -> Json:
    created: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    return created
