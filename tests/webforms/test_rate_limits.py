"""Submissions are limited per client address and per sender address: 429 with
Retry-After, in the API's error format for JSON, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dispatch.settings import Settings
from tests.conftest import Api
from tests.statuses.helpers import assert_problem
from tests.webforms.helpers import JSON_ACCEPT, Json, brand_tickets, submit_url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        rate_limit="100000/minute",
        api_key_touch_seconds=0,
        form_rate_limit_per_client="4/minute",
        form_rate_limit_per_sender="2/minute",
    )


def send(api: Api, form: Json, email: str) -> object:
    return api.client.post(
        submit_url(form), data={"email": email, "subject": "Hi"}, headers=JSON_ACCEPT
    )


def test_a_sender_over_the_limit_is_refused_and_others_are_not(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    for _ in range(2):
        assert send(api, form, "ann@example.com").status_code == 200  # type: ignore[attr-defined]
    refused = send(api, form, "ANN@example.com")
    body = assert_problem(refused, 429, "rate_limit_exceeded")
    assert body["success"] is False
    assert int(refused.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    assert len(brand_tickets(session, brand)) == 2
    assert send(api, form, "bo@example.com").status_code == 200  # type: ignore[attr-defined]


def test_a_client_over_the_limit_is_refused(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    for email in ("a@example.com", "b@example.com", "c@example.com", "d@example.com"):
        assert send(api, form, email).status_code == 200  # type: ignore[attr-defined]
    refused = send(api, form, "e@example.com")
    assert_problem(refused, 429, "rate_limit_exceeded")
    assert len(brand_tickets(session, brand)) == 4


def test_a_browser_over_the_limit_gets_a_page_with_retry_after(api: Api, form: Json) -> None:
    for email in ("a@example.com", "b@example.com", "c@example.com", "d@example.com"):
        send(api, form, email)
    refused = api.client.post(
        submit_url(form), data={"subject": "Hi"}, headers={"Accept": "text/html"}
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert int(refused.headers["retry-after"]) >= 1
