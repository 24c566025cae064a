"""A brand's own domain for its hosted portal (`portalDomain`): read and PATCHed on the
brand, a bare host name stored lowercased in its ASCII form, unique across brands of any
account (a deleted brand's is taken over), never this server's own host, null clears."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.brands import repository
from dispatch.brands import service as brands
from dispatch.brands.schemas import BrandChanges
from dispatch.core.actor import Actor
from dispatch.core.errors import Conflict
from dispatch.settings import Settings
from tests.conftest import Api

Json = dict[str, Any]


def _set(api: Api, brand: Json, domain: str | None) -> Any:
    return api.patch(f"/brands/{brand['id']}", json={"portalDomain": domain})


def test_a_new_brand_has_no_portal_domain(api: Api, brand: Json) -> None:
    assert brand["portalDomain"] is None


def test_the_domain_is_stored_lowercased_and_cleared_with_null(api: Api, brand: Json) -> None:
    assert _set(api, brand, " Help.Acme.TEST. ").json()["portalDomain"] == "help.acme.test"
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] == "help.acme.test"
    assert _set(api, brand, None).json()["portalDomain"] is None
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] is None


def test_a_domain_other_changes_leave_alone_stays(api: Api, brand: Json) -> None:
    _set(api, brand, "help.acme.test")
    api.ok("patch", f"/brands/{brand['id']}", json={"name": "Acme Support"})
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] == "help.acme.test"


def test_an_international_domain_is_stored_in_its_ascii_form(api: Api, brand: Json) -> None:
    assert _set(api, brand, "hilfe.bücher.example").json()["portalDomain"] == (
        "hilfe.xn--bcher-kva.example"
    )


@pytest.mark.parametrize(
    "domain",
    [
        "https://help.acme.test",
        "help.acme.test/support",
        "help.acme.test:8443",
        "help",
        "192.168.1.20",
        "[::1]",
        "help..acme.test",
        "-help.acme.test",
        "help_desk.acme.test",
        "ex--ample.acme.test",
        "☃.acme.test",
        "user@help.acme.test",
        "help acme.test",
        "x" * 64 + ".acme.test",
    ],
)
def test_what_is_not_a_bare_host_name_is_422_and_changes_nothing(
    api: Api, brand: Json, domain: str
) -> None:
    _set(api, brand, "help.acme.test")
    refused = _set(api, brand, domain)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "validation_error"
    assert refused.json()["errors"][0]["field"] == "portalDomain"
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] == "help.acme.test"


def test_another_brand_s_domain_is_409_in_any_account(
    api: Api, other_api: Api, brand: Json, other_brand: Json
) -> None:
    _set(api, brand, "help.acme.test")
    sister: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    for caller, target in ((api, sister), (other_api, other_brand)):
        refused = _set(caller, target, "HELP.acme.test")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "portal_domain_taken"
        assert caller.ok("get", f"/brands/{target['id']}")["portalDomain"] is None


def test_a_deleted_brand_s_domain_may_be_taken_over(api: Api, brand: Json) -> None:
    old: Json = api.ok("post", "/brands", 201, json={"name": "Old Acme"})
    _set(api, old, "help.acme.test")
    api.ok("delete", f"/brands/{old['id']}?confirm=true", 204)
    assert _set(api, brand, "help.acme.test").json()["portalDomain"] == "help.acme.test"


def test_the_server_s_own_host_is_refused(api: Api, brand: Json, settings: Settings) -> None:
    settings.public_url = "https://desk.acme.test/"
    refused = _set(api, brand, "desk.acme.test")
    assert refused.status_code == 422
    assert "this server's own address" in refused.json()["errors"][0]["message"]
    # The host this request came to is the server's too (the dashboard answers there).
    url = f"/v1/brands/{brand['id']}"
    headers = {"Authorization": f"Bearer {api.key}", "Host": "ops.acme.test"}
    came_to = api.client.patch(url, json={"portalDomain": "ops.acme.test"}, headers=headers)
    assert came_to.status_code == 422
    assert api.ok("get", f"/brands/{brand['id']}")["portalDomain"] is None


def test_a_domain_taken_between_the_check_and_the_write_is_a_409(
    session: Session, api: Api, brand: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set(api, brand, "help.acme.test")
    sister = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    # As if the other request committed after this one looked.
    monkeypatch.setattr(repository, "portal_domain_owner", lambda *_a, **_k: None)
    row = repository.get_brand(session, api.account_id, sister["id"])
    assert row is not None
    actor = Actor.system(api.account_id, name="Test")
    with pytest.raises(Conflict) as refused:
        brands.update_brand(session, actor, row, BrandChanges(portal_domain="help.acme.test"))
    assert refused.value.code == "portal_domain_taken"
