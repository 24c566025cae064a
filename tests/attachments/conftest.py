"""Fixtures of the attachment tests: a small configured size limit, a ticket, and files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dispatch.settings import Settings
from tests.attachments.helpers import LIMIT
from tests.conftest import Api, make_ticket


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """As the suite's settings, with a small attachment limit (the 25 MB default is tested
    on its own) and the secret generated into the data directory."""
    return Settings(
        data_dir=tmp_path,
        rate_limit="100000/minute",
        api_key_touch_seconds=0,
        attachment_max_bytes=LIMIT,
    )


@pytest.fixture
def ticket(api: Api, brand: dict[str, Any]) -> dict[str, Any]:
    return make_ticket(api, brand)
