"""API keys: shown once, stored as hashes, scoped to brands, revocable, lastUsedAt tracked."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.accounts.models import ApiKey
from dispatch.core.idempotency import IdempotencyRecord
from tests.accounts.conftest import client_for, issue_key, scoped_api
from tests.conftest import Api, make_ticket


def key_rows(session: Session, account_id: str) -> list[ApiKey]:
    session.expire_all()
    return list(session.scalars(select(ApiKey).where(ApiKey.account_id == account_id)))


def column_values(row: Any) -> list[str]:
    return [str(getattr(row, c.key)) for c in row.__mapper__.column_attrs]


# --- Account -----------------------------------------------------------------------------


def test_get_account_me_returns_the_callers_account(api: Api, other_api: Api) -> None:
    me = api.ok("get", "/accounts/me")
    assert me["id"] == api.account_id
    assert me["name"] == "Acme"
    assert {"createdAt", "updatedAt"} <= me.keys()
    assert other_api.ok("get", "/accounts/me")["id"] == other_api.account_id


# --- Creation and listing ----------------------------------------------------------------


def test_created_key_shows_its_secret_once_with_preview_and_prefix(api: Api) -> None:
    created = issue_key(api, name="Zapier")
    secret = created["key"]
    assert secret.startswith("sk_live_")
    assert created["secret"] == secret
    assert created["id"].startswith("key_")
    assert created["name"] == "Zapier"
    assert created["allBrands"] is True
    assert created["brandIds"] == []
    assert created["lastUsedAt"] is None
    assert created["prefix"] == secret[: len("sk_live_") + 4]
    assert created["keyPreview"] == f"{created['prefix']}...{secret[-4:]}"


def test_list_never_includes_a_secret(api: Api) -> None:
    created = issue_key(api, name="CI")
    listed = api.ok("get", "/accounts/me/api-keys")
    assert [k["name"] for k in listed] == ["Default key", "CI"]
    for key in listed:
        assert "key" not in key
        assert "secret" not in key
    raw = json.dumps(listed)
    assert created["key"] not in raw
    assert api.key not in raw
    by_id = {k["id"]: k for k in listed}
    assert by_id[created["id"]]["keyPreview"] == created["keyPreview"]
    assert by_id[created["id"]]["prefix"] == created["prefix"]


def test_keys_are_stored_only_as_sha256_hashes(api: Api, session: Session) -> None:
    created = issue_key(api, name="Hashed")
    secrets_by_id = {created["id"]: created["key"]}
    rows = key_rows(session, api.account_id)
    assert len(rows) == 2
    for row in rows:
        for value in column_values(row):
            assert api.key not in value
            assert created["key"] not in value
    hashed = next(r for r in rows if r.id == created["id"])
    assert hashed.secret_hash == hashlib.sha256(secrets_by_id[hashed.id].encode()).hexdigest()
    default = next(r for r in rows if r.id != created["id"])
    assert default.secret_hash == hashlib.sha256(api.key.encode()).hexdigest()


def test_key_created_with_an_idempotency_key_keeps_no_secret_at_rest(
    api: Api, session: Session
) -> None:
    headers = {"Idempotency-Key": "create-key-1"}
    created = api.ok("post", "/accounts/me/api-keys", 201, json={"name": "R"}, headers=headers)
    session.expire_all()
    for record in session.scalars(select(IdempotencyRecord)):
        assert created["key"].encode() not in record.body
    replay = api.post("/accounts/me/api-keys", json={"name": "R"}, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == created["id"]
    assert replay.json()["key"] is None
    assert len(api.ok("get", "/accounts/me/api-keys")) == 2


def test_key_name_defaults_and_unknown_fields_are_refused(api: Api) -> None:
    assert issue_key(api)["name"] == "API key"
    response = api.post("/accounts/me/api-keys", json={"name": "x", "admin": True})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "admin", "message": "Unknown field"}]


def test_last_used_at_is_set_after_the_key_is_used(api: Api) -> None:
    created = issue_key(api, name="Worker")
    client_for(api, created).ok("get", "/brands")
    listed = {k["id"]: k for k in api.ok("get", "/accounts/me/api-keys")}
    assert listed[created["id"]]["lastUsedAt"] is not None
    # The listing key itself was used by the listing requests.
    assert api.ok("get", "/accounts/me/api-keys")[0]["lastUsedAt"] is not None


def test_last_used_at_is_set_by_a_write_request_too(api: Api) -> None:
    created = issue_key(api, name="Writer")
    client_for(api, created).ok("post", "/brands", 201, json={"name": "Written"})
    listed = {k["id"]: k for k in api.ok("get", "/accounts/me/api-keys")}
    assert listed[created["id"]]["lastUsedAt"] is not None


# --- Revocation --------------------------------------------------------------------------


def test_deleting_a_key_revokes_it_and_removes_it_from_the_list(api: Api) -> None:
    created = issue_key(api, name="Old")
    assert api.ok("delete", f"/accounts/me/api-keys/{created['id']}") == {"success": True}
    assert [k["id"] for k in api.ok("get", "/accounts/me/api-keys")] != [created["id"]]
    assert created["id"] not in {k["id"] for k in api.ok("get", "/accounts/me/api-keys")}
    assert client_for(api, created).get("/brands").status_code == 401
    again = api.delete(f"/accounts/me/api-keys/{created['id']}")
    assert again.status_code == 404
    assert again.json()["code"] == "api_key_not_found"


def test_a_key_can_revoke_itself(api: Api) -> None:
    me = api.ok("get", "/accounts/me/api-keys")[0]
    api.ok("delete", f"/accounts/me/api-keys/{me['id']}")
    assert api.get("/accounts/me").status_code == 401


def test_keys_of_another_account_are_not_found(api: Api, other_api: Api) -> None:
    theirs = issue_key(other_api, name="Theirs")
    for response in (
        api.delete(f"/accounts/me/api-keys/{theirs['id']}"),
        api.patch(f"/accounts/me/api-keys/{theirs['id']}/scope", json={"allBrands": True}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "api_key_not_found"
    assert theirs["id"] not in {k["id"] for k in api.ok("get", "/accounts/me/api-keys")}
    client_for(other_api, theirs).ok("get", "/brands")


# --- Brand scope ---------------------------------------------------------------------------


def test_scoped_key_lists_only_its_brands(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Shop"})
    scoped = scoped_api(api, second["id"])
    assert [b["id"] for b in scoped.ok("get", "/brands")] == [second["id"]]
    assert {b["id"] for b in api.ok("get", "/brands")} == {brand["id"], second["id"]}


def test_scoped_key_gets_404_for_brands_outside_its_scope(api: Api, brand: dict[str, Any]) -> None:
    ticket = make_ticket(api, brand)
    second = api.ok("post", "/brands", 201, json={"name": "Second Shop"})
    scoped = scoped_api(api, second["id"])
    b = brand["id"]
    for response in (
        scoped.get(f"/brands/{b}"),
        scoped.patch(f"/brands/{b}", json={"name": "Hijacked"}),
        scoped.delete(f"/brands/{b}"),
        scoped.get(f"/brands/{b}/statuses"),
        scoped.get(f"/brands/{b}/tickets"),
        scoped.get(f"/brands/{b}/tickets/{ticket['id']}"),
        scoped.post(f"/brands/{b}/tickets", json={"title": "Sneaky"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "brand_not_found"
    assert api.ok("get", f"/brands/{b}")["name"] == "Acme Store"
    scoped.ok("get", f"/brands/{second['id']}/tickets")
    make_ticket(scoped, second)


def test_scoped_key_cannot_create_brands_keys_or_members(api: Api, brand: dict[str, Any]) -> None:
    scoped = scoped_api(api, brand["id"])
    for response in (
        scoped.post("/brands", json={"name": "New"}),
        scoped.post("/accounts/me/api-keys", json={"name": "Escalate"}),
        scoped.post("/accounts/me/members", json={"email": "a@example.com"}),
        scoped.get("/accounts/me/api-keys"),
        scoped.patch(
            f"/accounts/me/api-keys/{api.ok('get', '/accounts/me/api-keys')[0]['id']}/scope",
            json={"allBrands": True},
        ),
        scoped.delete(f"/brands/{brand['id']}", params={"confirm": "true"}),
    ):
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["code"] == "insufficient_scope"
        assert response.headers["content-type"] == "application/json"
    assert [b["id"] for b in api.ok("get", "/brands")] == [brand["id"]]
    assert len(api.ok("get", "/accounts/me/api-keys")) == 2
    assert api.ok("get", "/accounts/me/members") == []


def test_scoping_a_key_to_a_brand_of_another_account_is_422(
    api: Api, brand: dict[str, Any], other_brand: dict[str, Any]
) -> None:
    response = api.post(
        "/accounts/me/api-keys",
        json={"name": "Cross", "allBrands": False, "brandIds": [brand["id"], other_brand["id"]]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "brandIds"
    assert other_brand["id"] in response.json()["message"]

    created = issue_key(api, name="Mine", brandIds=[brand["id"]])
    response = api.patch(
        f"/accounts/me/api-keys/{created['id']}/scope", json={"brandIds": [other_brand["id"]]}
    )
    assert response.status_code == 422
    listed = {k["id"]: k for k in api.ok("get", "/accounts/me/api-keys")}
    assert listed[created["id"]]["brandIds"] == [brand["id"]]
    assert len(listed) == 2


def test_scoping_a_key_to_a_deleted_brand_is_422(api: Api, brand: dict[str, Any]) -> None:
    api.ok("delete", f"/brands/{brand['id']}", 204, params={"confirm": "true"})
    response = api.post("/accounts/me/api-keys", json={"brandIds": [brand["id"]]})
    assert response.status_code == 422


def test_brand_ids_without_all_brands_scope_the_key(api: Api, brand: dict[str, Any]) -> None:
    created = issue_key(api, name="Implicit", brandIds=[brand["id"], brand["id"]])
    assert created["allBrands"] is False
    assert created["brandIds"] == [brand["id"]]


def test_all_brands_false_requires_brand_ids(api: Api) -> None:
    response = api.post("/accounts/me/api-keys", json={"name": "Nothing", "allBrands": False})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_all_brands_true_ignores_brand_ids(api: Api, other_brand: dict[str, Any]) -> None:
    created = issue_key(api, name="All", allBrands=True, brandIds=[other_brand["id"]])
    assert created["allBrands"] is True
    assert created["brandIds"] == []


def test_patch_scope_narrows_and_widens_a_key(api: Api, brand: dict[str, Any]) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Second Shop"})
    created = issue_key(api, name="Flexible")
    key_api = client_for(api, created)
    assert len(key_api.ok("get", "/brands")) == 2

    path = f"/accounts/me/api-keys/{created['id']}/scope"
    assert api.ok("patch", path, json={"allBrands": False, "brandIds": [second["id"]]}) == {
        "success": True
    }
    assert [b["id"] for b in key_api.ok("get", "/brands")] == [second["id"]]
    assert key_api.get(f"/brands/{brand['id']}").status_code == 404

    api.ok("patch", path, json={"allBrands": True})
    assert len(key_api.ok("get", "/brands")) == 2
    listed = {k["id"]: k for k in api.ok("get", "/accounts/me/api-keys")}
    assert listed[created["id"]]["allBrands"] is True
    assert listed[created["id"]]["brandIds"] == []


def test_patch_scope_needs_something_to_change(api: Api) -> None:
    created = issue_key(api, name="Same")
    response = api.patch(f"/accounts/me/api-keys/{created['id']}/scope", json={})
    assert response.status_code == 422


def test_all_brands_key_sees_brands_created_after_it(api: Api) -> None:
    created = issue_key(api, name="Future-proof")
    new = api.ok("post", "/brands", 201, json={"name": "Later Brand"})
    assert [b["id"] for b in client_for(api, created).ok("get", "/brands")] == [new["id"]]
