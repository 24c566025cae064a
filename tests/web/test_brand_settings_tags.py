"""Settings → Brand → Tags in the dashboard: the tags with their colors and usage counts,
create, rename and recolor, merge into a picked tag, delete; refusals as field errors
with nothing changed, members read-only."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from dispatch.core.db import Database
from tests.conftest import Api, make_ticket
from tests.web.conftest import Browser
from tests.web.settings_helpers import (
    READ_ONLY,
    REFUSED,
    Json,
    settings_url,
    signed_in_member,
)


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    return signed_in_member(browsers, api, brand, database)


def make_tag(api: Api, brand: Json, name: str, **more: Any) -> Json:
    created: Json = api.ok("post", f"/brands/{brand['id']}/tags", 201, json={"name": name, **more})
    return created


def api_tags(api: Api, brand: Json) -> dict[str, Json]:
    return {t["name"]: t for t in api.ok("get", f"/brands/{brand['id']}/tags/stats")}


@pytest.fixture
def vip(api: Api, brand: Json) -> Json:
    return make_tag(api, brand, "vip", color="#f59e0b")


@pytest.fixture
def urgent(api: Api, brand: Json) -> Json:
    return make_tag(api, brand, "urgent")


def test_the_page_lists_tags_with_colors_and_usage_counts(
    web: Browser, api: Api, brand: Json, vip: Json, urgent: Json
) -> None:
    make_ticket(api, brand, tags=["vip"])
    make_ticket(api, brand, tags=["vip", "urgent"])

    page = web.get(settings_url(brand, "tags"))

    assert page.status_code == 200
    assert re.findall(r'<tr data-tag-id="([^"]+)"', page.text) == [urgent["id"], vip["id"]]
    assert re.findall(r'class="col-count">(\d+)<', page.text) == ["1", "2"]
    assert "--badge: #f59e0b" in page.text


def test_creating_a_tag(web: Browser, api: Api, brand: Json) -> None:
    web.get(settings_url(brand, "tags"))

    created = web.post(settings_url(brand, "tags"), {"name": " Returns ", "color": "#14b8a6"})

    assert created.status_code == 303
    assert api_tags(api, brand)["Returns"]["color"] == "#14b8a6"


def test_a_taken_name_is_refused_by_its_field(
    web: Browser, api: Api, brand: Json, vip: Json
) -> None:
    web.get(settings_url(brand, "tags"))

    refused = web.post(settings_url(brand, "tags"), {"name": "VIP", "color": "#14b8a6"})

    assert refused.status_code == 422
    assert 'id="tag-name-error"' in refused.text
    assert list(api_tags(api, brand)) == ["vip"]


def test_renaming_and_recoloring_a_tag(web: Browser, api: Api, brand: Json, vip: Json) -> None:
    page = web.get(settings_url(brand, "tags", f"/{vip['id']}"))
    assert page.status_code == 200
    assert 'value="vip"' in page.text

    saved = web.post(
        settings_url(brand, "tags", f"/{vip['id']}"), {"name": "VIP customer", "color": "#8b5cf6"}
    )

    assert saved.status_code == 303
    assert api_tags(api, brand)["VIP customer"]["color"] == "#8b5cf6"


def test_a_refused_rename_keeps_the_tag(
    web: Browser, api: Api, brand: Json, vip: Json, urgent: Json
) -> None:
    web.get(settings_url(brand, "tags"))

    refused = web.post(settings_url(brand, "tags", f"/{vip['id']}"), {"name": "Urgent"})

    assert refused.status_code == 422
    assert 'id="tag-name-error"' in refused.text
    assert 'value="Urgent"' in refused.text
    assert sorted(api_tags(api, brand)) == ["urgent", "vip"]


def test_merging_moves_the_tickets_to_the_picked_tag(
    web: Browser, api: Api, brand: Json, vip: Json, urgent: Json
) -> None:
    ticket = make_ticket(api, brand, tags=["vip"])
    page = web.get(settings_url(brand, "tags", f"/{vip['id']}"))
    assert f'<option value="{urgent["id"]}"' in page.text
    assert f'<option value="{vip["id"]}"' not in page.text  # never into itself

    merged = web.post(
        settings_url(brand, "tags", f"/{vip['id']}/merge"), {"target_tag_id": urgent["id"]}
    )

    assert merged.status_code == 303
    assert "Merged into urgent" in web.get(merged.headers["location"]).text
    assert list(api_tags(api, brand)) == ["urgent"]
    tags = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["tags"]
    assert [t["name"] for t in tags] == ["urgent"]


@pytest.mark.parametrize("target", ["self", "unknown"])
def test_a_refused_merge_shows_by_the_target_and_changes_nothing(
    web: Browser, api: Api, brand: Json, vip: Json, urgent: Json, target: str
) -> None:
    web.get(settings_url(brand, "tags"))
    target_id = vip["id"] if target == "self" else "tag_unknown"

    refused = web.post(
        settings_url(brand, "tags", f"/{vip['id']}/merge"), {"target_tag_id": target_id}
    )

    assert refused.status_code == 422
    assert 'id="tag-target-error"' in refused.text
    assert sorted(api_tags(api, brand)) == ["urgent", "vip"]


def test_deleting_a_tag_takes_it_off_its_tickets(
    web: Browser, api: Api, brand: Json, vip: Json
) -> None:
    ticket = make_ticket(api, brand, tags=["vip"])
    page = web.get(settings_url(brand, "tags", f"/{vip['id']}"))
    assert "taken off its 1 ticket" in html.unescape(page.text)

    deleted = web.post(settings_url(brand, "tags", f"/{vip['id']}/delete"))

    assert deleted.status_code == 303
    assert api_tags(api, brand) == {}
    assert api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")["tags"] == []


def test_members_see_tags_without_controls_and_cannot_change_them(
    member: Browser, api: Api, brand: Json, vip: Json, urgent: Json
) -> None:
    page = member.get(settings_url(brand, "tags"))

    assert page.status_code == 200
    assert READ_ONLY in page.text
    assert f"/tags/{vip['id']}" not in page.text
    assert member.get(settings_url(brand, "tags", f"/{vip['id']}")).status_code == 403
    for path, form in [
        (f"/{vip['id']}", {"name": "mine"}),
        (f"/{vip['id']}/merge", {"target_tag_id": urgent["id"]}),
        (f"/{vip['id']}/delete", {}),
    ]:
        refused = member.post(settings_url(brand, "tags", path), form)
        assert refused.status_code == 403, path
        assert REFUSED in refused.text
    assert sorted(api_tags(api, brand)) == ["urgent", "vip"]


def test_members_may_create_tags_as_tagging_a_ticket_does(
    member: Browser, api: Api, brand: Json
) -> None:
    page = member.get(settings_url(brand, "tags"))
    assert "New tag" in page.text

    assert member.post(settings_url(brand, "tags"), {"name": "mine"}).status_code == 303

    assert list(api_tags(api, brand)) == ["mine"]


def test_another_brands_tag_is_not_found(web: Browser, api: Api, brand: Json) -> None:
    elsewhere = make_tag(api, api.ok("post", "/brands", 201, json={"name": "B"}), "x")

    assert web.get(settings_url(brand, "tags", f"/{elsewhere['id']}")).status_code == 404
    web.get(settings_url(brand, "tags"))
    assert web.post(settings_url(brand, "tags", f"/{elsewhere['id']}/delete")).status_code == 404
