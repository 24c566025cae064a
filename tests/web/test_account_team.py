"""Team in the dashboard: a member's page; changing a role, brand access, deactivating
and reactivating, by the accounts services' rules (an admin changes members only, only
owners make owners, the last active owner stays one, nobody deactivates themselves);
refusals change nothing; another account's member is not found."""

from __future__ import annotations

from typing import Any

import pytest

from dispatch.accounts.models import Member
from dispatch.core.db import Database
from tests.conftest import Api
from tests.web.conftest import Browser, Person, add_member

Json = dict[str, Any]


def stored(database: Database, member_id: str) -> tuple[str, bool, list[str], bool]:
    """(role, all brands, brand ids, deactivated)"""
    with database.session() as s:
        m = s.get(Member, member_id)
        assert m is not None
        return m.role, m.all_brands, list(m.brand_ids), m.deactivated_at is not None


@pytest.fixture
def agent(api: Api, database: Database, brand: Json) -> Person:
    return add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )


@pytest.fixture
def second_brand(api: Api) -> Json:
    return api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})  # type: ignore[no-any-return]


def signed_in(browsers: Any, person: Person) -> Browser:
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    browser.get("/inbox")
    return browser


def test_the_team_links_each_member_to_their_page(web: Browser, agent: Person) -> None:
    assert f'href="/team/{agent.id}"' in web.get("/team").text
    page = web.get(f"/team/{agent.id}")
    assert page.status_code == 200
    assert "agent@acme.test" in page.text
    assert "Change role" in page.text


def test_an_owner_changes_a_role(web: Browser, agent: Person, database: Database) -> None:
    web.get(f"/team/{agent.id}")
    done = web.post(f"/team/{agent.id}/role", {"role": "admin"})
    assert done.status_code == 303
    assert stored(database, agent.id)[0] == "admin"
    assert "Role changed" in web.get(done.headers["location"]).text


def test_brand_access_is_saved(
    web: Browser, agent: Person, database: Database, brand: Json, second_brand: Json
) -> None:
    web.get(f"/team/{agent.id}")
    web.post(f"/team/{agent.id}/access", {"access": "some", "brand_ids": [second_brand["id"]]})
    assert stored(database, agent.id)[1:3] == (False, [second_brand["id"]])
    web.post(f"/team/{agent.id}/access", {"access": "all"})
    assert stored(database, agent.id)[1:3] == (True, [])


def test_brand_access_needs_a_brand(web: Browser, agent: Person, database: Database) -> None:
    before = stored(database, agent.id)
    web.get(f"/team/{agent.id}")
    refused = web.post(f"/team/{agent.id}/access", {"access": "some"})
    assert refused.status_code == 422
    assert 'id="member-brands-error"' in refused.text
    unknown = web.post(f"/team/{agent.id}/access", {"access": "some", "brand_ids": ["br_x"]})
    assert unknown.status_code == 422
    assert stored(database, agent.id) == before


def test_the_narrowed_member_sees_only_their_brands(
    web: Browser, browsers: Any, agent: Person, brand: Json, second_brand: Json
) -> None:
    theirs = signed_in(browsers, agent)
    assert theirs.get(f"/brands/{second_brand['id']}/inbox").status_code == 404
    web.get(f"/team/{agent.id}")
    web.post(f"/team/{agent.id}/access", {"access": "some", "brand_ids": [second_brand["id"]]})
    assert theirs.get(f"/brands/{second_brand['id']}/inbox").status_code == 200
    assert theirs.get(f"/brands/{brand['id']}/inbox").status_code == 404


def test_deactivating_signs_them_out_and_reactivating_lets_them_in(
    web: Browser, browsers: Any, agent: Person, database: Database
) -> None:
    theirs = signed_in(browsers, agent)
    web.get(f"/team/{agent.id}")
    assert web.post(f"/team/{agent.id}/deactivate").status_code == 303
    assert stored(database, agent.id)[3] is True
    assert theirs.get("/inbox").status_code == 303  # to sign-in
    assert browsers().sign_in(agent.email).status_code != 303
    assert "Reactivate" in web.get(f"/team/{agent.id}").text
    assert web.post(f"/team/{agent.id}/reactivate").status_code == 303
    assert stored(database, agent.id)[3] is False
    assert browsers().sign_in(agent.email).status_code == 303


def test_the_last_owner_is_neither_demoted_nor_deactivated(
    web: Browser, owner: Person, api: Api, database: Database, browsers: Any
) -> None:
    web.get(f"/team/{owner.id}")
    refused = web.post(f"/team/{owner.id}/role", {"role": "admin"})
    assert refused.status_code == 409
    assert "last owner" in refused.text
    assert web.post(f"/team/{owner.id}/deactivate").status_code == 409  # themselves, too
    other = add_member(database, api.account_id, "boss@acme.test", role="owner")
    assert web.post(f"/team/{other.id}/deactivate").status_code == 303
    assert stored(database, owner.id) == ("owner", True, [], False)
    assert browsers().sign_in(other.email).status_code == 401
    # With another active owner, one may step down.
    web.post(f"/team/{other.id}/reactivate")
    assert web.post(f"/team/{owner.id}/role", {"role": "admin"}).status_code == 303
    assert stored(database, owner.id)[0] == "admin"


def test_an_admin_changes_members_but_not_admins_or_owners(
    browsers: Any, api: Api, database: Database, agent: Person, owner: Person
) -> None:
    admin = add_member(database, api.account_id, "admin@acme.test", role="admin")
    peer = add_member(database, api.account_id, "peer@acme.test", role="admin")
    browser = signed_in(browsers, admin)
    assert browser.post(f"/team/{agent.id}/role", {"role": "admin"}).status_code == 303
    assert browser.post(f"/team/{peer.id}/role", {"role": "member"}).status_code == 403
    assert browser.post(f"/team/{owner.id}/deactivate").status_code == 403
    made_owner = browser.post(f"/team/{agent.id}/role", {"role": "owner"})
    assert made_owner.status_code == 403
    assert stored(database, peer.id)[0] == "admin"
    assert stored(database, owner.id) == ("owner", True, [], False)
    assert stored(database, agent.id)[0] == "admin"
    assert "Only an owner can change another admin" in browser.get(f"/team/{peer.id}").text


def test_a_member_sees_a_teammate_but_changes_nothing(
    browsers: Any, agent: Person, owner: Person, database: Database
) -> None:
    browser = signed_in(browsers, agent)
    page = browser.get(f"/team/{owner.id}")
    assert page.status_code == 200
    assert "Change role" not in page.text
    assert browser.post(f"/team/{owner.id}/deactivate").status_code == 403
    assert browser.post(f"/team/{agent.id}/role", {"role": "admin"}).status_code == 403
    assert stored(database, agent.id)[0] == "member"


def test_an_unknown_role_is_refused(web: Browser, agent: Person, database: Database) -> None:
    web.get(f"/team/{agent.id}")
    assert web.post(f"/team/{agent.id}/role", {"role": "god"}).status_code == 422
    assert stored(database, agent.id)[0] == "member"


def test_another_accounts_member_is_not_found(
    web: Browser, other_api: Api, database: Database
) -> None:
    theirs = add_member(database, other_api.account_id, "them@globex.test", role="member")
    web.get("/team")
    assert web.get(f"/team/{theirs.id}").status_code == 404
    for action, form in (("role", {"role": "admin"}), ("access", {"access": "all"}),
                         ("deactivate", {}), ("reactivate", {})):  # fmt: skip
        assert web.post(f"/team/{theirs.id}/{action}", form).status_code == 404
    assert stored(database, theirs.id) == ("member", True, [], False)
