"""validate_values: custom field values checked against their definitions, for the ticket,
contact and company services. Typed checks are also property-tested on the pure checker."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from dispatch.fields import service
from dispatch.fields.errors import InvalidCustomFields, UnknownEntityType
from dispatch.fields.values import TEXT_MAX, check
from tests.categories.helpers import Json
from tests.conftest import Api
from tests.fields.helpers import make_field

OPTIONS = ["free", "pro", "enterprise"]


@pytest.fixture
def typed(api: Api, brand: Json) -> Json:
    """One ticket field of every type (none required, no defaults)."""
    for field_type in ("text", "number", "boolean", "date", "url", "array", "object"):
        make_field(api, brand, key=f"a_{field_type}", label=field_type.title(), type=field_type)
    make_field(api, brand, key="a_select", label="Select", type="select", options=OPTIONS)
    make_field(api, brand, key="a_multiselect", label="Multi", type="multiselect", options=OPTIONS)
    return brand


def validate(session: Session, brand: Json, values: Any, **kw: Any) -> dict[str, Any]:
    return service.validate_values(session, brand["id"], "ticket", values, **kw)


def refused(session: Session, brand: Json, values: Any, **kw: Any) -> dict[str, str]:
    """The errors of a refused map, as {field: message}."""
    with pytest.raises(InvalidCustomFields) as raised:
        validate(session, brand, values, **kw)
    error = raised.value
    assert (error.status, error.code) == (422, "invalid_custom_fields")
    assert error.errors
    return {e["field"]: e["message"] for e in error.errors}


VALID = [
    ("a_text", "hello", "hello"),
    ("a_text", "", ""),
    ("a_text", "x" * TEXT_MAX, "x" * TEXT_MAX),
    ("a_number", 42, 42),
    ("a_number", -3.25, -3.25),
    ("a_number", 0, 0),
    ("a_boolean", True, True),
    ("a_boolean", False, False),
    ("a_date", "2026-02-28", "2026-02-28"),
    ("a_date", "20260228", "2026-02-28"),
    ("a_date", "2026-02-28T10:30:00Z", "2026-02-28T10:30:00Z"),
    ("a_date", "2026-02-28T10:30:00+01:00", "2026-02-28T09:30:00Z"),
    ("a_date", "2026-02-28T10:30:00", "2026-02-28T10:30:00Z"),
    ("a_date", "2026-02-28T23:30:00-05:00", "2026-03-01T04:30:00Z"),
    ("a_date", "2026-02-28T10:30:00.250Z", "2026-02-28T10:30:00.250000Z"),
    ("a_select", "pro", "pro"),
    ("a_multiselect", ["enterprise", "free"], ["enterprise", "free"]),
    ("a_multiselect", [], []),
    ("a_url", "https://example.com/path?q=1#top", "https://example.com/path?q=1#top"),
    ("a_url", "http://localhost:8080", "http://localhost:8080"),
    ("a_array", [1, "two", {"three": 3}], [1, "two", {"three": 3}]),
    ("a_array", [], []),
    ("a_object", {"a": [1, 2], "b": None}, {"a": [1, 2], "b": None}),
]


TYPES = {
    "a_text": "text",
    "a_number": "number",
    "a_boolean": "boolean",
    "a_date": "date",
    "a_select": "select",
    "a_multiselect": "multiselect",
    "a_url": "url",
    "a_array": "array",
    "a_object": "object",
}


@pytest.mark.parametrize(("key", "value", "stored"), VALID)
def test_valid_values_of_every_type_are_stored_as_checked(
    key: str, value: Any, stored: Any
) -> None:
    assert check(TYPES[key], OPTIONS, value) == stored


def test_validate_values_stores_valid_values_of_every_type_as_checked(
    session: Session, typed: Json
) -> None:
    for key, value, stored in VALID:
        assert validate(session, typed, {key: value}) == {key: stored}
        current = {"kept": 1, key: "old"}
        assert validate(session, typed, {key: value}, current=current) == {key: stored, "kept": 1}


INVALID = [
    ("a_text", 5, "must be a string"),
    ("a_text", "x" * (TEXT_MAX + 1), "at most 10,000"),
    ("a_text", ["a"], "must be a string"),
    ("a_number", "42", "must be a number"),
    ("a_number", True, "must be a number"),
    ("a_number", math.inf, "finite"),
    ("a_number", math.nan, "finite"),
    ("a_boolean", "true", "true or false"),
    ("a_boolean", 1, "true or false"),
    ("a_date", "28/02/2026", "ISO 8601"),
    ("a_date", "2026-02-30", "ISO 8601"),
    ("a_date", "2026-02-28T25:00:00Z", "ISO 8601"),
    ("a_date", 20260228, "ISO 8601"),
    ("a_date", "", "ISO 8601"),
    ("a_date", "0001-01-01T00:00:00+01:00", "ISO 8601"),
    ("a_select", "gold", "must be one of: free, pro, enterprise"),
    ("a_select", ["pro"], "must be one of"),
    ("a_select", "PRO", "must be one of"),
    ("a_multiselect", "pro", "list of options"),
    ("a_multiselect", ["pro", "gold"], "'gold' is not an option"),
    ("a_multiselect", ["pro", "pro"], "must not repeat"),
    ("a_multiselect", ["pro", 1], "list of options"),
    ("a_url", "example.com", "http or https URL"),
    ("a_url", "ftp://example.com", "http or https URL"),
    ("a_url", "javascript:alert(1)", "http or https URL"),
    ("a_url", "https://", "http or https URL"),
    ("a_url", "https://exa mple.com", "http or https URL"),
    ("a_url", "https://example.com:99999", "http or https URL"),
    ("a_url", "https://example.com/" + "a" * 2048, "at most 2048"),
    ("a_url", 7, "http or https URL"),
    ("a_array", {"a": 1}, "must be a list"),
    ("a_array", "[1]", "must be a list"),
    ("a_object", [1], "must be an object"),
    ("a_object", "{}", "must be an object"),
]


@pytest.mark.parametrize(("key", "value", "message"), INVALID)
def test_invalid_values_are_refused_with_a_reason(key: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check(TYPES[key], OPTIONS, value)


def test_validate_values_refuses_invalid_values_naming_the_field(
    session: Session, typed: Json
) -> None:
    for key, value, message in INVALID:
        for current in (None, {"a_text": "kept"}):
            errors = refused(session, typed, {key: value}, current=current)
            assert list(errors) == [f"customFields.{key}"]
            assert message in errors[f"customFields.{key}"]


def test_every_problem_is_reported_at_once(session: Session, typed: Json) -> None:
    errors = refused(
        session,
        typed,
        {"a_number": "x", "a_text": "fine", "a_boolean": "no", "a_select": "gold", "free": 1},
    )
    assert set(errors) == {
        "customFields.a_number",
        "customFields.a_boolean",
        "customFields.a_select",
    }
    assert errors["customFields.a_number"] == "Number must be a number"


def test_the_error_message_summarises_the_problems(session: Session, typed: Json) -> None:
    with pytest.raises(InvalidCustomFields) as raised:
        validate(session, typed, {"a_number": "x", "a_boolean": "no"})
    assert raised.value.message.startswith("Invalid custom fields: customFields.a_number")


def test_keys_without_a_definition_are_kept_as_given(session: Session, typed: Json) -> None:
    given_values = {"requesterEmail": "ann@example.com", "anything": {"deep": [1]}, "a_number": 1}
    assert validate(session, typed, given_values) == given_values


def test_no_values_and_no_definitions_give_an_empty_map(session: Session, brand: Json) -> None:
    assert validate(session, brand, None) == {}
    assert validate(session, brand, {}) == {}


# --- New records: defaults and required fields --------------------------------------------


@pytest.fixture
def rules(api: Api, brand: Json) -> Json:
    make_field(api, brand, key="order_number", label="Order number", required=True)
    make_field(
        api, brand, key="plan", label="Plan", type="select", options=OPTIONS, defaultValue="free"
    )
    make_field(
        api,
        brand,
        key="tier",
        label="Tier",
        type="select",
        options=OPTIONS,
        required=True,
        defaultValue="pro",
    )
    make_field(api, brand, key="notes", label="Notes")
    return brand


def test_on_create_defaults_fill_absent_fields(session: Session, rules: Json) -> None:
    assert validate(session, rules, {"order_number": "A-1"}) == {
        "order_number": "A-1",
        "plan": "free",
        "tier": "pro",
    }


def test_on_create_given_values_win_over_defaults_and_null_counts_as_absent(
    session: Session, rules: Json
) -> None:
    assert validate(
        session, rules, {"order_number": "A-1", "plan": "enterprise", "tier": None, "notes": None}
    ) == {"order_number": "A-1", "plan": "enterprise", "tier": "pro"}


@pytest.mark.parametrize("values", [None, {}, {"order_number": None}, {"order_number": "  "}])
def test_on_create_a_required_field_must_be_filled(
    session: Session, rules: Json, values: Any
) -> None:
    errors = refused(session, rules, values)
    assert errors == {"customFields.order_number": "Order number is required"}


def test_a_value_of_a_deleted_definition_is_no_longer_checked(
    api: Api, session: Session, rules: Json
) -> None:
    api.ok("delete", f"/brands/{rules['id']}/fields/ticket/order_number", 204)
    assert validate(session, rules, {"order_number": 5}) == {
        "order_number": 5,
        "plan": "free",
        "tier": "pro",
    }


# --- Changes: a patch merged onto the current map ------------------------------------------


CURRENT = {"order_number": "A-1", "tier": "pro", "legacy": "x"}


def test_a_patch_is_merged_onto_the_current_values(session: Session, rules: Json) -> None:
    assert validate(session, rules, {"plan": "pro", "notes": "call back"}, current=CURRENT) == {
        **CURRENT,
        "plan": "pro",
        "notes": "call back",
    }


def test_null_in_a_patch_removes_the_key(session: Session, rules: Json) -> None:
    assert validate(session, rules, {"legacy": None, "missing": None}, current=CURRENT) == {
        "order_number": "A-1",
        "tier": "pro",
    }


def test_a_patch_adds_no_defaults(session: Session, rules: Json) -> None:
    assert validate(session, rules, {}, current=CURRENT) == CURRENT
    assert validate(session, rules, None, current=CURRENT) == CURRENT


def test_a_patch_does_not_change_the_current_map(session: Session, rules: Json) -> None:
    current = dict(CURRENT)
    validate(session, rules, {"legacy": None, "plan": "pro"}, current=current)
    assert current == CURRENT


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"order_number": None}, "Order number is required and cannot be removed"),
        ({"tier": None}, "Tier is required and cannot be removed"),
        ({"order_number": ""}, "Order number is required"),
    ],
)
def test_a_patch_cannot_remove_or_blank_a_required_field(
    session: Session, rules: Json, patch: Json, message: str
) -> None:
    errors = refused(session, rules, patch, current=CURRENT)
    assert list(errors.values()) == [message]


def test_a_patch_checks_only_the_keys_it_names(session: Session, rules: Json) -> None:
    """Values stored before a definition changed survive unrelated changes."""
    current = {"order_number": "A-1", "tier": "pro", "plan": "retired-plan"}
    assert validate(session, rules, {"notes": "n"}, current=current) == {**current, "notes": "n"}
    errors = refused(session, rules, {"plan": "retired-plan"}, current=current)
    assert list(errors) == ["customFields.plan"]


def test_a_required_field_missing_before_does_not_block_other_changes(
    session: Session, rules: Json
) -> None:
    assert validate(session, rules, {"notes": "n"}, current={}) == {"notes": "n"}


# --- Entity types --------------------------------------------------------------------------


def test_definitions_apply_only_to_their_entity_type_and_brand(
    api: Api, session: Session, brand: Json, sibling_brand: Json
) -> None:
    make_field(api, brand, "contact", key="crm_id", label="CRM id", type="number")
    make_field(api, sibling_brand, key="crm_id", label="CRM id", type="number", required=True)

    for entity_type in ("contact", "customer"):
        with pytest.raises(InvalidCustomFields):
            service.validate_values(session, brand["id"], entity_type, {"crm_id": "x"})
    assert service.validate_values(session, brand["id"], "ticket", {"crm_id": "x"}) == {
        "crm_id": "x"
    }
    assert service.validate_values(session, brand["id"], "company", {}) == {}


def test_an_unknown_entity_type_is_refused(session: Session, brand: Json) -> None:
    with pytest.raises(UnknownEntityType):
        service.validate_values(session, brand["id"], "tickets", {})


# --- Properties of the pure checker ------------------------------------------------------


@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_number_is_a_number(value: float) -> None:
    assert check("number", None, value) == value


@given(st.booleans() | st.text() | st.none() | st.lists(st.integers()))
def test_nothing_but_numbers_is_a_number(value: Any) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        check("number", None, value)


@given(st.text(max_size=TEXT_MAX))
def test_any_string_up_to_the_limit_is_text(value: str) -> None:
    assert check("text", None, value) == value


@given(st.dates())
def test_any_date_round_trips_in_iso_form(value: date) -> None:
    assert check("date", None, value.isoformat()) == value.isoformat()


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1),  # noqa: DTZ001 - naive bounds, zones drawn below
        max_value=datetime(2200, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_any_date_time_is_stored_as_the_same_instant_in_utc(value: datetime) -> None:
    stored = check("date", None, value.isoformat())
    assert stored.endswith("Z")
    assert datetime.fromisoformat(stored) == value


@given(st.lists(st.sampled_from(OPTIONS), unique=True))
def test_any_distinct_choice_of_options_is_a_multiselect_value(value: list[str]) -> None:
    assert check("multiselect", OPTIONS, value) == value


@given(st.text().filter(lambda s: s not in OPTIONS))
def test_a_string_that_is_not_an_option_is_no_select_value(value: str) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        check("select", OPTIONS, value)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)


@given(st.lists(JSON))
def test_any_json_list_is_an_array_and_no_object(value: list[Any]) -> None:
    assert check("array", None, value) == value
    with pytest.raises(ValueError, match="must be an object"):
        check("object", None, value)


@given(st.dictionaries(st.text(), JSON))
def test_any_json_object_is_an_object_and_no_array(value: dict[str, Any]) -> None:
    assert check("object", None, value) == value
    with pytest.raises(ValueError, match="must be a list"):
        check("array", None, value)
