"""Tags: create, read, list (by name), rename, recolor; names trimmed and unique per brand
without regard to case; activity entries and events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dispatch.tags.models import Tag
from tests.categories.helpers import Json, activity, events_of_type
from tests.conftest import Api, make_ticket
from tests.statuses.helpers import assert_problem
from tests.tags.helpers import list_tags, make_tag, tag_names, tags_path

DEFAULT_COLOR = "#6b7280"


def test_create_returns_the_tag(api: Api, brand: Json, frozen_clock: Any) -> None:
    created = make_tag(api, brand, "  Needs Follow-up ", color="#EAB308")

    assert created["id"].startswith("tag_")
    assert created == {
        "id": created["id"],
        "brandId": brand["id"],
        "name": "Needs Follow-up",
        "color": "#eab308",
        "createdAt": "2026-01-15T09:00:00Z",
        "updatedAt": "2026-01-15T09:00:00Z",
    }
    assert api.ok("get", tags_path(brand, f"/{created['id']}")) == created


def test_tags_are_listed_by_name_without_regard_to_case(
    api: Api, brand: Json, defect: Json
) -> None:
    make_tag(api, brand, "angry")
    make_tag(api, brand, "Zebra")
    assert tag_names(api, brand) == ["angry", "bug", "Defect", "VIP", "Zebra"]


def test_tags_created_without_a_color_get_the_default_gray(
    api: Api, brand: Json, session: Session
) -> None:
    created = make_tag(api, brand, "bug")
    make_ticket(api, brand, tags=["from-a-ticket"])

    assert created["color"] == DEFAULT_COLOR
    assert {t["name"]: t["color"] for t in list_tags(api, brand)} == {
        "bug": DEFAULT_COLOR,
        "from-a-ticket": DEFAULT_COLOR,
    }
    session.expire_all()
    assert set(session.scalars(select(Tag.color).where(Tag.brand_id == brand["id"]))) == {
        DEFAULT_COLOR
    }


def test_a_stored_tag_without_a_color_renders_the_default_everywhere(
    api: Api, brand: Json, session: Session, vip: Json
) -> None:
    ticket = make_ticket(api, brand, tags=["VIP"])
    session.execute(update(Tag).where(Tag.id == vip["id"]).values(color=None))
    session.commit()

    assert api.ok("get", tags_path(brand, f"/{vip['id']}"))["color"] == DEFAULT_COLOR
    assert list_tags(api, brand)[0]["color"] == DEFAULT_COLOR
    assert api.ok("get", tags_path(brand, "/stats"))[0]["color"] == DEFAULT_COLOR
    got = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert got["tags"][0]["color"] == DEFAULT_COLOR


@pytest.mark.parametrize("name", ["a", "x" * 50, "Ünïcödé", "billing/refunds", "tier 1, urgent"])
def test_names_of_one_to_fifty_characters_are_accepted(api: Api, brand: Json, name: str) -> None:
    assert make_tag(api, brand, name)["name"] == name


def test_patch_renames_and_recolors(
    api: Api, brand: Json, session: Session, vip: Json, frozen_clock: Any
) -> None:
    frozen_clock.advance(minutes=1)
    updated = api.ok(
        "patch", tags_path(brand, f"/{vip['id']}"), json={"name": "Key account", "color": None}
    )

    assert (updated["name"], updated["color"]) == ("Key account", DEFAULT_COLOR)
    assert updated["updatedAt"] == "2026-01-15T09:01:00Z"
    assert list_tags(api, brand) == [updated]
    (event,) = events_of_type(session, brand["id"], "tag.updated")
    assert event.data["changes"] == ["name", "color"]
    assert event.data["previous"] == {"name": "VIP", "color": "#eab308"}


def test_a_tag_can_be_renamed_to_its_own_name_in_another_case(
    api: Api, brand: Json, vip: Json
) -> None:
    updated = api.ok("patch", tags_path(brand, f"/{vip['id']}"), json={"name": "vip"})
    assert updated["name"] == "vip"


def test_after_a_rename_the_old_name_is_free(api: Api, brand: Json, vip: Json) -> None:
    api.ok("patch", tags_path(brand, f"/{vip['id']}"), json={"name": "Key account"})
    assert make_tag(api, brand, "VIP")["id"] != vip["id"]


def test_a_patch_that_changes_nothing_writes_nothing(
    api: Api, brand: Json, session: Session, vip: Json
) -> None:
    assert api.ok("patch", tags_path(brand, f"/{vip['id']}"), json={"name": "VIP"}) == vip
    assert api.ok("patch", tags_path(brand, f"/{vip['id']}"), json={}) == vip
    assert events_of_type(session, brand["id"], "tag.updated") == []


def test_create_writes_an_activity_entry_and_an_event(
    api: Api, brand: Json, session: Session, vip: Json
) -> None:
    (event,) = events_of_type(session, brand["id"], "tag.created")
    assert (event.data["id"], event.data["name"]) == (vip["id"], "VIP")
    (entry,) = activity(session, brand["id"], entity_type="tag")
    assert (entry.event, entry.entity_id, entry.ticket_id) == ("tag.created", vip["id"], None)


def test_the_name_of_a_deleted_tag_can_be_used_again(api: Api, brand: Json, vip: Json) -> None:
    api.ok("delete", tags_path(brand, f"/{vip['id']}"), 204)
    again = make_tag(api, brand, "vip")
    assert [t["id"] for t in list_tags(api, brand)] == [again["id"]]


def test_the_same_name_may_exist_in_two_brands(
    api: Api, brand: Json, sibling_brand: Json, vip: Json
) -> None:
    make_tag(api, sibling_brand, "VIP")
    assert tag_names(api, brand) == tag_names(api, sibling_brand) == ["VIP"]


def test_an_unknown_tag_is_404(api: Api, brand: Json) -> None:
    assert_problem(api.get(tags_path(brand, "/tag_nope")), 404, "tag_not_found")
