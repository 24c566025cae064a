from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.history import History, build
from tests.conftest import Api


@pytest.fixture
def history(api: Api, brand: dict[str, Any], frozen_clock: Any) -> History:
    return build(api, brand, frozen_clock)
