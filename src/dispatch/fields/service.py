"""Custom field definitions of tickets, contacts and companies, and the check of the
values records carry under their keys (`validate_values`)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.audit.changes import record_change
from dispatch.brands import repository as brands
from dispatch.brands.models import Brand
from dispatch.core import clock, ordering
from dispatch.core.actor import Actor, require_settings_manager
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.ids import new_id
from dispatch.fields import repository, ticket_schema
from dispatch.fields.errors import (
    FieldKeyImmutable,
    FieldKeyTaken,
    InvalidCustomFields,
    UnknownEntityType,
)
from dispatch.fields.models import FieldDefinition
from dispatch.fields.schemas import FieldChanges, FieldDefinitionOut, NewField
from dispatch.fields.values import check as check_value
from dispatch.fields.values import is_blank

# Wire name -> stored entity type; `customer` is the SDK's name for contacts.
ENTITY_TYPES = {
    "ticket": "ticket",
    "contact": "contact",
    "customer": "contact",
    "company": "company",
}
STORED_ENTITY_TYPES = ("ticket", "contact", "company")
# Built into tickets (the dashboard's contact fields), compared without regard to case.
RESERVED_KEYS = {"ticket": frozenset({"requesteremail", "requestername"})}
SELECT_TYPES = frozenset({"select", "multiselect"})
SHOW_FLAGS = (("show_on_create", True), ("show_in_table", False), ("show_in_detail", True))
WIRE = {
    "label": "label",
    "type": "type",
    "required": "required",
    "default_value": "defaultValue",
    "description": "description",
    "placeholder": "placeholder",
    "options": "options",
    "show_on_create": "showOnCreate",
    "show_in_table": "showInTable",
    "show_in_detail": "showInDetail",
    "portal_visible": "portalVisible",
    "source": "source",
}


def entity_type_of(value: str) -> str:
    """The stored entity type a path or caller names (404 for an unknown one)."""
    try:
        return ENTITY_TYPES[value]
    except KeyError:
        raise UnknownEntityType(value) from None


# --- Reads --------------------------------------------------------------------------------


def list_fields(session: Session, brand_id: str, entity_type: str) -> list[FieldDefinition]:
    """To read, never change (`repository.brand_fields`)."""
    return repository.brand_fields(session, brand_id, entity_type_of(entity_type))


def all_fields(session: Session, brand_id: str) -> dict[str, list[FieldDefinition]]:
    """Every definition of the brand by stored entity type (one query)."""
    grouped: dict[str, list[FieldDefinition]] = {kind: [] for kind in STORED_ENTITY_TYPES}
    for definition in repository.list_fields(session, brand_id):
        grouped.setdefault(definition.entity_type, []).append(definition)
    return grouped


def get_field(session: Session, brand: Brand, entity_type: str, key: str) -> FieldDefinition:
    found = repository.get_field(session, brand.id, entity_type_of(entity_type), key)
    if found is None:
        raise NotFound("field", key)
    return found


# --- Definitions --------------------------------------------------------------------------


def _record(
    session: Session,
    actor: Actor,
    definition: FieldDefinition,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    """Every change of a definition comes through here: the brand's copies of its
    definitions in every process are out of date from this commit."""
    brands.config_changed(session, definition.brand_id)
    record_change(
        session,
        actor,
        event,
        brand_id=definition.brand_id,
        entity_type="field",
        entity_id=definition.id,
        data=FieldDefinitionOut.model_validate(definition).model_dump(mode="json", by_alias=True),
        changes=changes,
        metadata={"entityType": definition.entity_type, "key": definition.key},
    )


def _checked_options(field_type: str, options: list[str] | None) -> list[str] | None:
    if field_type in SELECT_TYPES:
        if not options:
            raise ValidationFailed("options", f"A {field_type} field needs at least one option")
        return options
    if options:
        raise ValidationFailed("options", "options apply only to select and multiselect fields")
    return None


def _checked_default(field_type: str, options: list[str] | None, default: Any) -> Any:
    if default is None:
        return None
    try:
        return check_value(field_type, options, default)
    except ValueError as exc:
        raise ValidationFailed("defaultValue", f"defaultValue {exc}") from None


def _checked_portal_visible(entity_type: str, value: bool | None) -> bool:
    """Only ticket fields reach the portal (its forms and ticket view)."""
    if value and entity_type != "ticket":
        raise ValidationFailed("portalVisible", "Only ticket fields can be shown in the portal")
    return bool(value)


def _is_key_violation(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_field_definitions" in text or "field_definitions.key" in text


def create_field(
    session: Session, actor: Actor, brand: Brand, entity_type: str, data: NewField
) -> FieldDefinition:
    require_settings_manager(actor, "create custom fields")
    kind = entity_type_of(entity_type)
    if data.key.lower() in RESERVED_KEYS.get(kind, frozenset()):
        raise ValidationFailed("key", f"{data.key!r} is built into {kind}s; choose another key")
    current = repository.list_fields(session, brand.id, kind)
    if any(d.key == data.key for d in current):
        raise FieldKeyTaken(kind, data.key)
    options = _checked_options(data.type, data.options)
    default = _checked_default(data.type, options, data.default_value)
    shown = {
        flag: next(v for v in (getattr(data, flag), data.visible, fallback) if v is not None)
        for flag, fallback in SHOW_FLAGS
    }
    now = clock.now()
    definition = FieldDefinition(
        id=new_id("fld"),
        brand_id=brand.id,
        entity_type=kind,
        key=data.key,
        label=data.label,
        type=data.type,
        required=bool(data.required),
        default_value=default,
        description=data.description or None,
        placeholder=data.placeholder or None,
        options=options,
        **shown,
        portal_visible=_checked_portal_visible(kind, data.portal_visible),
        sort_order=len(current),
        source=data.source or None,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(definition)
            session.flush()
    except IntegrityError as error:
        if _is_key_violation(error):
            raise FieldKeyTaken(kind, data.key) from None
        raise
    if data.sort_order is not None:
        ordering.renumber(ordering.moved([*current, definition], definition, data.sort_order), now)
        session.flush()
    _record(session, actor, definition, "field.created")
    return definition


def update_field(
    session: Session, actor: Actor, brand: Brand, entity_type: str, key: str, data: FieldChanges
) -> FieldDefinition:
    require_settings_manager(actor, "change custom fields")
    definition = get_field(session, brand, entity_type, key)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("key") is not None and fields["key"] != definition.key:
        raise FieldKeyImmutable()

    new: dict[str, Any] = {}
    for name in ("label", "type", "required", "description", "placeholder", "source"):
        if name in fields:
            new[name] = fields[name] if fields[name] != "" else None
    if fields.get("portal_visible") is not None:
        new["portal_visible"] = _checked_portal_visible(
            definition.entity_type, fields["portal_visible"]
        )
    for flag, _fallback in SHOW_FLAGS:
        if fields.get(flag) is not None:
            new[flag] = fields[flag]
        elif fields.get("visible") is not None:
            new[flag] = fields["visible"]

    field_type = new.get("type", definition.type)
    options = fields.get("options", definition.options)
    if "options" not in fields and field_type not in SELECT_TYPES:
        options = None  # the type no longer has options
    new["options"] = _checked_options(field_type, options)
    if "default_value" in fields:
        new["default_value"] = _checked_default(field_type, new["options"], fields["default_value"])
    elif definition.default_value is not None:
        try:
            new["default_value"] = check_value(field_type, new["options"], definition.default_value)
        except ValueError as exc:
            raise ValidationFailed(
                "defaultValue",
                f"The current defaultValue no longer fits ({exc}): give a new one or null",
            ) from None

    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in new.items():
        old = getattr(definition, name)
        if value != old:
            changes[WIRE[name]] = (old, value)
            setattr(definition, name, value)
    now = clock.now()
    if fields.get("sort_order") is not None and fields["sort_order"] != definition.sort_order:
        current = repository.list_fields(session, brand.id, definition.entity_type)
        old_order = definition.sort_order
        ordering.renumber(ordering.moved(current, definition, fields["sort_order"]), now)
        if definition.sort_order != old_order:
            changes["sortOrder"] = (old_order, definition.sort_order)
    if changes:
        definition.updated_at = now
        session.flush()
        _record(session, actor, definition, "field.updated", changes)
    return definition


def delete_field(
    session: Session, actor: Actor, brand: Brand, entity_type: str, key: str
) -> FieldDefinition:
    """Delete a definition for good; values records already carry stay in them."""
    require_settings_manager(actor, "delete custom fields")
    definition = get_field(session, brand, entity_type, key)
    _record(session, actor, definition, "field.deleted")
    remaining = [
        d
        for d in repository.list_fields(session, brand.id, definition.entity_type)
        if d.id != definition.id
    ]
    repository.delete_field(session, definition)
    ordering.renumber(remaining, clock.now())
    session.flush()
    return definition


def reorder(
    session: Session, actor: Actor, brand: Brand, entity_type: str, keys: list[str]
) -> list[FieldDefinition]:
    """Put the listed fields, in the listed order, into the positions they hold now: a
    full list sets the whole order, a partial one permutes just its members."""
    require_settings_manager(actor, "reorder custom fields")
    current = repository.list_fields(session, brand.id, entity_type_of(entity_type))
    by_key = {d.key: d for d in current}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise ValidationFailed(
            "keys", f"Unknown {entity_type} fields in this brand: {', '.join(unknown)}"
        )
    requested = set(keys)
    positions = [i for i, d in enumerate(current) if d.key in requested]
    order = list(current)
    for position, key in zip(positions, keys, strict=True):
        order[position] = by_key[key]
    moves = ordering.renumber(order, clock.now())
    session.flush()
    for definition in order:
        if definition.id in moves:
            _record(
                session, actor, definition, "field.updated", {"sortOrder": moves[definition.id]}
            )
    return order


# --- Values -------------------------------------------------------------------------------


def validate_values(
    session: Session,
    brand_id: str,
    entity_type: str,
    values: dict[str, Any] | None,
    *,
    current: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    requires: Callable[[FieldDefinition], bool] = lambda _definition: True,
) -> dict[str, Any]:
    """The custom field map a record will carry, checked against the brand's definitions
    and, when given, the JSON Schema the whole map must satisfy (a brand's ticket schema).

    `current=None` means a new record: null values count as absent, defaults fill absent
    fields, and required fields must be filled (those `requires` holds to it: a customer
    is asked only for the fields shown to them). Otherwise `values` is a patch merged onto
    `current`: a null removes its key (not allowed for a required field); only the keys
    in the patch are checked, so older values survive later changes of a definition.
    Keys without a definition are kept as given. Dates are stored as ISO 8601 strings.
    Every problem is reported at once in one 422 `invalid_custom_fields`, with
    `errors[].field` = `customFields.<key>` (`customFields.<path>` for the schema's).
    """
    kind = entity_type_of(entity_type)
    definitions = {d.key: d for d in repository.brand_fields(session, brand_id, kind)}
    checker = _ValueChecker(definitions)
    if current is None:
        result = {k: checker.value(k, v) for k, v in (values or {}).items() if v is not None}
        for key, definition in definitions.items():
            if key not in result and definition.default_value is not None:
                result[key] = copy.deepcopy(definition.default_value)
            if requires(definition):
                checker.filled(key, result.get(key))
    else:
        result = dict(current)
        for key, value in (values or {}).items():
            if value is None:
                result.pop(key, None)
                checker.filled(key, None, removed=True)
            else:
                result[key] = checker.value(key, value)
                checker.filled(key, value)
    if schema is not None:
        checker.errors.extend(ticket_schema.violations(schema, result))
    if checker.errors:
        raise InvalidCustomFields(checker.errors)
    return result


class _ValueChecker:
    """Checks values one at a time and collects every problem."""

    def __init__(self, definitions: dict[str, FieldDefinition]) -> None:
        self.definitions = definitions
        self.errors: list[dict[str, str]] = []

    def _error(self, key: str, message: str) -> None:
        self.errors.append({"field": f"customFields.{key}", "message": message})

    def value(self, key: str, value: Any) -> Any:
        """The value as stored (unchanged for keys without a definition)."""
        definition = self.definitions.get(key)
        if definition is None:
            return value
        try:
            return check_value(definition.type, definition.options, value)
        except ValueError as exc:
            self._error(key, f"{definition.label} {exc}")
            return value

    def filled(self, key: str, value: Any, *, removed: bool = False) -> None:
        """A required field must keep a value that is not blank."""
        definition = self.definitions.get(key)
        if definition is None or not definition.required or not is_blank(value):
            return
        suffix = " and cannot be removed" if removed else ""
        self._error(key, f"{definition.label} is required{suffix}")
