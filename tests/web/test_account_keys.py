"""Account → API keys in the dashboard: the list, creating a key scoped to all brands or
some (shown once, and working against the API), bad input by its field with nothing
made, revoking; members are refused; another account's key is not found."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from dispatch.core import clock
from dispatch.core.db import Database
from tests.conftest import Api
from tests.web.conftest import Browser, add_member

Json = dict[str, Any]


def secret_on(page: str) -> str:
    found = re.search(r'id="new-key" type="text" readonly value="([^"]+)"', page)
    assert found, "no key on the page"
    return found.group(1)


def key_rows(page: str) -> list[str]:
    return re.findall(r'<tr data-key-id="([^"]+)"', page)


def live_keys(api: Api) -> list[Json]:
    return api.ok("get", "/accounts/me/api-keys")  # type: ignore[no-any-return]


def ids(keys: list[Json]) -> list[str]:
    return [k["id"] for k in keys]


@pytest.fixture
def member(browsers: Any, api: Api, brand: Json, database: Database) -> Browser:
    person = add_member(
        database, api.account_id, "agent@acme.test", role="member", brand_ids=[brand["id"]]
    )
    browser: Browser = browsers()
    assert browser.sign_in(person.email).status_code == 303
    return browser


def test_the_list_shows_each_live_key_with_its_scope(web: Browser, api: Api, brand: Json) -> None:
    scoped = api.ok(
        "post", "/accounts/me/api-keys", 201, json={"name": "Zapier", "brandIds": [brand["id"]]}
    )
    page = web.get("/account/keys")
    assert page.status_code == 200
    assert set(key_rows(page.text)) == {k["id"] for k in live_keys(api)}
    assert f"{scoped['prefix']}…" in page.text
    row = page.text.split(f'data-key-id="{scoped["id"]}"')[1].split("</tr>")[0]
    assert "Acme Store" in row
    assert "Never" in row
    assert "sk_live_" not in row.replace(scoped["prefix"], "")  # no secret, only the prefix


def test_a_created_key_is_shown_once_and_works(web: Browser, api: Api, brand: Json) -> None:
    web.get("/account/keys")
    created = web.post(
        "/account/keys", {"name": "Billing sync", "access": "some", "brand_ids": [brand["id"]]}
    )
    assert created.status_code == 200
    secret = secret_on(created.text)
    assert "Shown this once" in created.text
    made = next(k for k in live_keys(api) if k["name"] == "Billing sync")
    assert made["allBrands"] is False
    assert made["brandIds"] == [brand["id"]]
    # The key works, for its brand only.
    client = web.client
    own = client.get(f"/v1/brands/{brand['id']}", headers={"Authorization": f"Bearer {secret}"})
    assert own.status_code == 200
    # Gone from every later page.
    assert secret not in web.get("/account/keys").text


def test_an_all_brands_key_by_default(web: Browser, api: Api) -> None:
    web.get("/account/keys")
    assert web.post("/account/keys", {"name": "", "access": "all"}).status_code == 200
    made = next(k for k in live_keys(api) if k["name"] == "API key")
    assert made["allBrands"] is True


@pytest.mark.parametrize(
    ("form", "field_id"),
    [
        ({"name": "Scoped", "access": "some"}, "key-brands-error"),
        ({"name": "x" * 201, "access": "all"}, "key-name-error"),
        ({"name": "Ghost", "access": "some", "brand_ids": ["br_nope"]}, "key-brands-error"),
        ({"name": "Old", "access": "all", "expires_on": "2020-01-31"}, "key-expires-error"),
        ({"name": "Odd", "access": "all", "expires_on": "31/01/2030"}, "key-expires-error"),
    ],
)
def test_bad_input_shows_the_form_with_its_error_and_makes_nothing(
    web: Browser, api: Api, form: dict[str, Any], field_id: str
) -> None:
    before = live_keys(api)
    web.get("/account/keys")
    refused = web.post("/account/keys", form)
    assert refused.status_code == 422
    assert f'id="{field_id}"' in refused.text
    assert ids(live_keys(api)) == ids(before)


def test_a_key_can_expire_at_the_end_of_a_chosen_day(web: Browser, api: Api) -> None:
    web.get("/account/keys")
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()

    created = web.post("/account/keys", {"name": "Temp", "access": "all", "expires_on": tomorrow})

    assert created.status_code == 200
    made = next(k for k in live_keys(api) if k["name"] == "Temp")
    assert made["expiresAt"].startswith(
        (clock.now() + timedelta(days=2)).date().isoformat() + "T00:00:00"
    )
    row = re.search(
        rf'<tr data-key-id="{made["id"]}">.*?</tr>', web.get("/account/keys").text, re.S
    )
    assert row is not None
    assert 'data-label="Expires"><time' in row.group(0)


def test_revoking_a_key_refuses_it_from_then_on(web: Browser, api: Api) -> None:
    issued = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Old"})
    web.get("/account/keys")
    done = web.post(f"/account/keys/{issued['id']}/revoke")
    assert done.status_code == 303
    assert "revoked=Old" in done.headers["location"]
    assert issued["id"] not in key_rows(web.get(done.headers["location"]).text)
    refused = web.client.get("/v1/brands", headers={"Authorization": f"Bearer {issued['key']}"})
    assert refused.status_code == 401


def test_another_accounts_key_is_not_found(web: Browser, other_api: Api, api: Api) -> None:
    theirs = other_api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Theirs"})
    web.get("/account/keys")
    assert web.post(f"/account/keys/{theirs['id']}/revoke").status_code == 404
    assert any(k["id"] == theirs["id"] for k in live_keys(other_api))


def test_members_cannot_see_or_make_keys(member: Browser, api: Api) -> None:
    before = live_keys(api)
    assert member.get("/account/keys").status_code == 403
    member.get("/inbox")
    assert member.post("/account/keys", {"name": "Mine", "access": "all"}).status_code == 403
    assert member.post(f"/account/keys/{before[0]['id']}/revoke").status_code == 403
    scope = member.post(f"/account/keys/{before[0]['id']}/scope", {"access": "all"})
    assert scope.status_code == 403
    assert ids(live_keys(api)) == ids(before)
    assert 'href="/account/keys"' not in member.get("/inbox").text


def test_changing_a_keys_brands(web: Browser, api: Api, brand: Json) -> None:
    issued = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Sync"})
    web.get("/account/keys")
    done = web.post(
        f"/account/keys/{issued['id']}/scope", {"access": "some", "brand_ids": [brand["id"]]}
    )
    assert done.status_code == 303
    assert "Saved the brands Sync may use" in web.get(done.headers["location"]).text
    changed = next(k for k in live_keys(api) if k["id"] == issued["id"])
    assert changed["allBrands"] is False
    assert changed["brandIds"] == [brand["id"]]
    web.post(f"/account/keys/{issued['id']}/scope", {"access": "all"})
    assert next(k for k in live_keys(api) if k["id"] == issued["id"])["allBrands"] is True


@pytest.mark.parametrize("chosen", [[], ["br_nope"]])
def test_a_scope_without_known_brands_is_refused_by_its_field(
    web: Browser, api: Api, chosen: list[str]
) -> None:
    issued = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Sync"})
    web.get("/account/keys")
    refused = web.post(
        f"/account/keys/{issued['id']}/scope", {"access": "some", "brand_ids": chosen}
    )
    assert refused.status_code == 422
    assert re.search(r'id="scope-\d+-brands-error"', refused.text)
    assert next(k for k in live_keys(api) if k["id"] == issued["id"])["allBrands"] is True


def test_another_accounts_key_keeps_its_scope(
    web: Browser, other_api: Api, other_brand: Json
) -> None:
    theirs = other_api.ok("post", "/accounts/me/api-keys", 201, json={"name": "Theirs"})
    web.get("/account/keys")
    form = {"access": "some", "brand_ids": [other_brand["id"]]}
    assert web.post(f"/account/keys/{theirs['id']}/scope", form).status_code == 404
    assert next(k for k in live_keys(other_api) if k["id"] == theirs["id"])["allBrands"] is True
