"""Service functions the ticket service calls: resolve_category and categories_by_id."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from dispatch.categories import loading, repository, service
from dispatch.categories.errors import CategoryKeyTaken
from dispatch.categories.schemas import CategoryCreate
from dispatch.core.errors import ValidationFailed
from tests.categories.helpers import Json, actor_of, categories_path, load_brand, make_category
from tests.conftest import Api


def test_a_category_is_resolved_by_id_by_key_or_by_both(
    session: Session, brand: Json, billing: Json, shipping: Json
) -> None:
    b = load_brand(session, brand)

    by_id = loading.resolve_category(session, b, category_id=shipping["id"], category_key=None)
    by_key = loading.resolve_category(session, b, category_id=None, category_key="shipping")
    both = loading.resolve_category(session, b, category_id=shipping["id"], category_key="shipping")

    assert by_id is not None
    assert by_id.id == shipping["id"]
    assert by_key is by_id
    assert both is by_id


def test_naming_no_category_resolves_to_none(session: Session, brand: Json, billing: Json) -> None:
    b = load_brand(session, brand)
    assert loading.resolve_category(session, b, category_id=None, category_key=None) is None


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"category_id": "cat_unknown", "category_key": None}, "categoryId"),
        ({"category_id": None, "category_key": "unknown"}, "categoryKey"),
    ],
)
def test_an_unknown_category_is_a_422_on_the_field_that_named_it(
    session: Session, brand: Json, billing: Json, given: dict[str, str | None], field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        loading.resolve_category(session, load_brand(session, brand), **given)

    assert raised.value.code == "unknown_category"
    assert raised.value.errors == [{"field": field, "message": raised.value.message}]


def test_an_id_and_a_key_that_disagree_are_refused(
    session: Session, brand: Json, billing: Json, shipping: Json
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        loading.resolve_category(
            session, load_brand(session, brand), category_id=billing["id"], category_key="shipping"
        )
    assert raised.value.status == 422
    assert raised.value.errors is not None
    assert raised.value.errors[0]["field"] == "categoryKey"


def test_categories_of_other_brands_and_deleted_ones_do_not_resolve(
    api: Api, session: Session, brand: Json, sibling_brand: Json, billing: Json
) -> None:
    theirs = make_category(api, sibling_brand, name="Outlet", key="outlet")
    api.ok("delete", categories_path(brand, f"/{billing['id']}"), 204)
    b = load_brand(session, brand)

    for given in (
        {"category_id": theirs["id"], "category_key": None},
        {"category_id": None, "category_key": "outlet"},
        {"category_id": billing["id"], "category_key": None},
        {"category_id": None, "category_key": "billing"},
    ):
        with pytest.raises(ValidationFailed, match="Unknown category"):
            loading.resolve_category(session, b, **given)


def test_categories_by_id_holds_the_brands_live_categories(
    api: Api, session: Session, brand: Json, sibling_brand: Json, billing: Json, shipping: Json
) -> None:
    make_category(api, sibling_brand, name="Outlet")
    api.ok("delete", categories_path(brand, f"/{billing['id']}"), 204)

    found = loading.categories_by_id(session, brand["id"])

    assert list(found) == [shipping["id"]]
    assert found[shipping["id"]].key == "shipping"


def test_a_key_taken_by_a_concurrent_request_is_a_409_when_given(
    api: Api, session: Session, brand: Json, billing: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request checked before the other one committed: the unique index decides."""
    monkeypatch.setattr(repository, "list_categories", lambda *_args: [])
    data = CategoryCreate.model_validate({"name": "Invoices", "key": "billing"})

    with pytest.raises(CategoryKeyTaken):
        service.create_category(session, actor_of(api), load_brand(session, brand), data)


def test_a_derived_key_taken_by_a_concurrent_request_gets_a_suffix(
    api: Api, session: Session, brand: Json, billing: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "list_categories", lambda *_args: [])
    data = CategoryCreate.model_validate({"name": "Billing!"})

    created = service.create_category(session, actor_of(api), load_brand(session, brand), data)

    assert created.key == "billing_2"
