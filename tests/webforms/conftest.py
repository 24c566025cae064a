"""Fixtures of the web form tests: a form of the test brand."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.settings import Settings
from tests.conftest import Api
from tests.webforms.helpers import FILE_LIMIT, Json, make_form


@pytest.fixture
def form(api: Api, brand: Json) -> Json:
    return make_form(api, brand)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The suite's settings with a small per-file limit and form rate limits out of the
    way (the tests of the limits set their own)."""
    return Settings(
        data_dir=tmp_path,
        rate_limit="100000/minute",
        api_key_touch_seconds=0,
        form_file_max_bytes=FILE_LIMIT,
        form_rate_limit_per_client="1000/minute",
        form_rate_limit_per_sender="1000/minute",
    )
