"""Fixtures of the web form tests: a form of the test brand."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.webforms.helpers import Json, make_form


@pytest.fixture
def form(api: Api, brand: Json) -> Json:
    return make_form(api, brand)
