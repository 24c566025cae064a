"""Fixtures of the statuses tests: custom statuses of the seed's examples, a second brand."""

from __future__ import annotations

import pytest

from tests.conftest import Api, make_status
from tests.statuses.helpers import Json


@pytest.fixture
def in_progress(api: Api, brand: Json) -> Json:
    """The seed's create example."""
    return make_status(
        api,
        brand,
        name="In Progress",
        key="in_progress",
        color="#8b5cf6",
        description="Agent is actively working on this ticket",
    )


@pytest.fixture
def waiting_eng(api: Api, brand: Json, in_progress: Json) -> Json:
    return make_status(
        api,
        brand,
        name="Waiting on Engineering",
        key="waiting_eng",
        description="Escalated to the dev team",
    )


@pytest.fixture
def sibling_brand(api: Api) -> Json:
    """A second brand of the same account."""
    created: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    return created
