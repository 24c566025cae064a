"""The brand's portal settings on the wire: portalEnabled, portalCategories, the secret
(never shown, rotated by settings managers only) and portal-visible ticket fields."""

from __future__ import annotations

import pytest

from dispatch.core.actor import Actor, OwnerOrAdminRequired, Role
from dispatch.portal import service as portal
from tests.conftest import Api
from tests.portal.conftest import World
from tests.portal.helpers import portal_brand


def test_portal_switches_are_read_and_written(api: Api) -> None:
    brand = portal_brand(api)
    assert (brand["portalEnabled"], brand["portalCategories"]) == (True, False)
    assert "portalSecret" not in brand
    changed = api.ok(
        "patch", f"/brands/{brand['id']}", json={"portalEnabled": False, "portalCategories": True}
    )
    assert (changed["portalEnabled"], changed["portalCategories"]) == (False, True)
    assert api.post(f"/brands/{brand['id']}", json={}).status_code == 405
    assert api.patch(f"/brands/{brand['id']}", json={"portalEnabled": None}).status_code == 422


def test_fields_carry_portal_visible(api: Api) -> None:
    brand = portal_brand(api)
    path = f"/brands/{brand['id']}/fields/ticket"
    created = api.ok("post", path, 201, json={"key": "order", "label": "Order", "type": "text"})
    assert created["portalVisible"] is False
    shown = api.ok("patch", f"{path}/order", json={"portalVisible": True})
    assert shown["portalVisible"] is True
    contact_field = {"key": "tier", "label": "Tier", "type": "text", "portalVisible": True}
    response = api.post(f"/brands/{brand['id']}/fields/contact", json=contact_field)
    assert response.status_code == 422


def test_only_settings_managers_rotate_the_secret(world: World) -> None:
    member = Actor.member(
        account_id=world.key.account_id,
        member_id="mem_x",
        email="m@acme.test",
        name="M",
        role=Role.MEMBER,
        brand_ids=None,
    )
    before = world.brand.portal_secret
    with pytest.raises(OwnerOrAdminRequired):
        portal.rotate_secret(world.session, member, world.brand)
    assert world.brand.portal_secret == before
