"""Form tokens under /v1/brands/:b/forms: create, read, list, change, enable/disable,
regenerate and delete; validation; other brands' and accounts' forms are 404; activity."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import activity, count_rows
from tests.conftest import Api
from tests.statuses.helpers import assert_problem
from tests.webforms.helpers import JSON_ACCEPT, Json, forms_path, make_form, submit_url


def test_create_returns_the_form_with_every_field(api: Api, brand: Json, frozen_clock: Any) -> None:
    created = make_form(
        api,
        brand,
        name="Contact us",
        successUrl="https://acme.example/thanks",
        errorUrl="https://acme.example/oops?from=form",
        thankYouMessage="Thanks, we will write back within a day.",
        fieldMapping={"topic": "title", "details": "body", "order": "customFields.orderId"},
        honeypotField="website",
        allowedOrigins=["HTTPS://Acme.Example:443", "http://localhost:3000"],
    )

    assert created["id"].startswith("form_")
    assert created["token"].startswith("ft_")
    assert len(created["token"]) > 20
    assert created == {
        "id": created["id"],
        "brandId": brand["id"],
        "name": "Contact us",
        "token": created["token"],
        "successUrl": "https://acme.example/thanks",
        "errorUrl": "https://acme.example/oops?from=form",
        "thankYouMessage": "Thanks, we will write back within a day.",
        "fieldMapping": {"topic": "title", "details": "body", "order": "customFields.orderId"},
        "enabled": True,
        "honeypotField": "website",
        "allowedOrigins": ["https://acme.example", "http://localhost:3000"],
        "submissionCount": 0,
        "lastSubmissionAt": None,
        "createdAt": "2026-01-15T09:00:00Z",
        "updatedAt": "2026-01-15T09:00:00Z",
    }


def test_a_form_needs_only_a_name(api: Api, brand: Json) -> None:
    created = make_form(api, brand, name="Feedback")
    assert created["allowedOrigins"] == []
    assert (created["fieldMapping"], created["successUrl"], created["honeypotField"]) == (
        None,
        None,
        None,
    )


def test_forms_are_listed_and_fetched(api: Api, brand: Json, form: Json) -> None:
    second = make_form(api, brand, name="Returns")
    assert api.ok("get", forms_path(brand)) == [form, second]
    assert api.ok("get", forms_path(brand, f"/{form['id']}")) == form


def test_reference_aliases_of_the_requester_map_to_the_contact(api: Api, brand: Json) -> None:
    created = make_form(
        api,
        brand,
        fieldMapping={"mail": "customFields.requesterEmail", "who": "customFields.requesterName"},
    )
    assert created["fieldMapping"] == {"mail": "customerEmail", "who": "customerName"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"successUrl": "javascript:alert(1)"}, "successUrl"),
        ({"errorUrl": "/relative/path"}, "errorUrl"),
        ({"allowedOrigins": ["https://acme.example/path"]}, "allowedOrigins"),
        ({"allowedOrigins": ["*"]}, "allowedOrigins"),
        ({"allowedOrigins": ["https://a.example", "https://A.example"]}, "allowedOrigins"),
        ({"fieldMapping": {"topic": "assigneeId"}}, "fieldMapping"),
        ({"fieldMapping": {"topic": "customFields.bad key"}}, "fieldMapping"),
        ({"honeypotField": "email", "fieldMapping": {"email": "customerEmail"}}, "honeypotField"),
        ({"thankYouMessage": "x" * 2001}, "thankYouMessage"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_forms_are_refused_and_nothing_is_written(
    api: Api, brand: Json, session: Session, body: Json, field: str | None
) -> None:
    before = count_rows(session, brand["id"])
    response = api.post(forms_path(brand), json={"name": "Contact", **body})
    problem = assert_problem(response, 422, "validation_error")
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}
    assert api.ok("get", forms_path(brand)) == []
    assert count_rows(session, brand["id"]) == before


def test_update_changes_the_given_fields_and_records_what_changed(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    changed = api.ok(
        "patch",
        forms_path(brand, f"/{form['id']}"),
        json={"name": "Support", "allowedOrigins": ["https://shop.example"], "enabled": False},
    )
    assert (changed["name"], changed["allowedOrigins"], changed["enabled"]) == (
        "Support",
        ["https://shop.example"],
        False,
    )
    assert changed["token"] == form["token"]
    entry = activity(session, brand["id"], event="form.updated")[-1]
    assert entry.entity_id == form["id"]
    assert set(entry.changes) == {"name", "allowedOrigins", "enabled"}
    assert entry.changes["name"] == {"old": "Contact us", "new": "Support"}


def test_null_clears_optional_fields(api: Api, brand: Json) -> None:
    form = make_form(
        api, brand, successUrl="https://a.example/ok", allowedOrigins=["https://a.example"]
    )
    cleared = api.ok(
        "patch",
        forms_path(brand, f"/{form['id']}"),
        json={"successUrl": None, "allowedOrigins": None},
    )
    assert (cleared["successUrl"], cleared["allowedOrigins"]) == (None, [])


@pytest.mark.parametrize("body", [{}, {"name": None}, {"enabled": None}, {"enabled": "maybe"}])
def test_bad_updates_are_refused(api: Api, brand: Json, form: Json, body: Json) -> None:
    assert_problem(
        api.patch(forms_path(brand, f"/{form['id']}"), json=body), 422, "validation_error"
    )
    assert api.ok("get", forms_path(brand, f"/{form['id']}")) == form


def test_regenerate_replaces_the_token_and_the_old_url_stops_working(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    fresh = api.ok("post", forms_path(brand, f"/{form['id']}/regenerate"))
    assert fresh["token"] != form["token"]
    assert fresh["token"].startswith("ft_")

    old = api.client.post(submit_url(form), data={"email": "ann@example.com"}, headers=JSON_ACCEPT)
    assert old.status_code == 404
    new = api.client.post(submit_url(fresh), data={"email": "ann@example.com"}, headers=JSON_ACCEPT)
    assert new.status_code == 200, new.text
    assert activity(session, brand["id"], event="form.token_regenerated")


def test_delete_removes_the_form_and_its_url(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    assert api.delete(forms_path(brand, f"/{form['id']}")).status_code == 204
    assert api.ok("get", forms_path(brand)) == []
    assert_problem(api.get(forms_path(brand, f"/{form['id']}")), 404, "form_not_found")
    gone = api.client.post(submit_url(form), data={"subject": "Hi"}, headers=JSON_ACCEPT)
    assert gone.status_code == 404
    assert activity(session, brand["id"], event="form.deleted")


def test_creating_is_recorded_in_the_activity_log(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    [entry] = activity(session, brand["id"], event="form.created")
    assert (entry.entity_type, entry.entity_id) == ("form", form["id"])


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "Mine now"}),
        ("delete", "", None),
        ("post", "/regenerate", None),
    ],
)
def test_another_accounts_form_is_not_found(
    api: Api,
    other_api: Api,
    other_brand: Json,
    method: str,
    suffix: str,
    body: Json | None,
) -> None:
    theirs = make_form(other_api, other_brand)
    kwargs = {"json": body} if body is not None else {}
    # Through our brand, and through theirs (which is not ours either).
    for brand_id in (None, other_brand["id"]):
        mine = api.ok("post", "/brands", 201, json={"name": f"Mine {brand_id}"})
        path = f"/brands/{brand_id or mine['id']}/forms/{theirs['id']}{suffix}"
        response = getattr(api, method)(path, **kwargs)
        assert response.status_code == 404, response.text
    assert other_api.ok("get", forms_path(other_brand, f"/{theirs['id']}")) == theirs


def test_another_brands_form_is_not_found_through_this_brand(
    api: Api, brand: Json, form: Json
) -> None:
    sibling = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    assert_problem(api.get(forms_path(sibling, f"/{form['id']}")), 404, "form_not_found")
    assert api.ok("get", forms_path(sibling)) == []
