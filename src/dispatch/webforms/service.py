"""Web forms: a brand's form tokens (create, change, regenerate, delete: settings
managers; reading: the brand's staff) and the submissions posted to them, each a ticket
opened through `tickets.service.create_ticket` by the web channel.

A submission with an email address is the customer's own: their contact is found or
created and they open the ticket (as through the portal or by email); one without is
opened by the web channel itself. Either way the ticket's `source` is `web`, its
`sourceId` the form's id, and the form counts the submission in the same transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.attachments import service as attachments
from dispatch.attachments.config import AttachmentConfig
from dispatch.audit.changes import assign, record_change
from dispatch.brands.models import Brand
from dispatch.contacts import service as contacts
from dispatch.core import clock
from dispatch.core.actor import Actor, Channel, require_settings_manager
from dispatch.core.errors import NotFound
from dispatch.core.ids import new_id
from dispatch.fields import repository as fields
from dispatch.tickets import service as tickets
from dispatch.tickets.policy import require_staff
from dispatch.tickets.schemas import NewTicket, TicketOut
from dispatch.webforms import mapping, repository
from dispatch.webforms.errors import OriginNotAllowed, TooManyFiles
from dispatch.webforms.models import FormToken
from dispatch.webforms.schemas import FormChanges, FormTokenOut, NewForm

TOKEN_PREFIX = "ft"  # noqa: S105 - an id prefix, not a secret
MAX_FILES = 5
_EDITABLE = (
    "name",
    "success_url",
    "error_url",
    "thank_you_message",
    "field_mapping",
    "honeypot_field",
    "allowed_origins",
    "enabled",
)


# --- reads ----------------------------------------------------------------------------------


def list_forms(session: Session, actor: Actor, brand: Brand) -> list[FormToken]:
    require_staff(actor, "see web forms")
    return repository.list_forms(session, brand.id)


def get_form(session: Session, actor: Actor, brand: Brand, form_id: str) -> FormToken:
    require_staff(actor, "see web forms")
    form = repository.get_form(session, brand.id, form_id)
    if form is None:
        raise NotFound("form", form_id)
    return form


# --- changes --------------------------------------------------------------------------------


def _record(
    session: Session,
    actor: Actor,
    form: FormToken,
    event: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> None:
    record_change(
        session,
        actor,
        event,
        brand_id=form.brand_id,
        entity_type="form",
        entity_id=form.id,
        data=FormTokenOut.model_validate(form).model_dump(mode="json", by_alias=True),
        changes=changes,
    )


def create_form(session: Session, actor: Actor, brand: Brand, data: NewForm) -> FormToken:
    require_settings_manager(actor, "create web forms")
    now = clock.now()
    form = FormToken(
        id=new_id("form"),
        brand_id=brand.id,
        name=data.name,
        token=new_id(TOKEN_PREFIX),
        success_url=data.success_url,
        error_url=data.error_url,
        thank_you_message=data.thank_you_message,
        field_mapping=data.field_mapping,
        honeypot_field=data.honeypot_field,
        allowed_origins=data.allowed_origins or [],
        enabled=True,
        submission_count=0,
        last_submission_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(form)
    session.flush()
    _record(session, actor, form, "form.created")
    return form


def update_form(
    session: Session, actor: Actor, brand: Brand, form_id: str, data: FormChanges
) -> FormToken:
    require_settings_manager(actor, "change web forms")
    form = get_form(session, actor, brand, form_id)
    given = data.model_dump(exclude_unset=True)
    if "allowed_origins" in given and given["allowed_origins"] is None:
        given["allowed_origins"] = []
    changes = assign(form, given, _EDITABLE)
    if changes:
        form.updated_at = clock.now()
        session.flush()
        _record(session, actor, form, "form.updated", changes)
    return form


def regenerate_token(session: Session, actor: Actor, brand: Brand, form_id: str) -> FormToken:
    """A new token: the old URL answers 404 from now on (a form's leaked or abused URL)."""
    require_settings_manager(actor, "regenerate web form tokens")
    form = get_form(session, actor, brand, form_id)
    form.token = new_id(TOKEN_PREFIX)
    form.updated_at = clock.now()
    session.flush()
    _record(session, actor, form, "form.token_regenerated")
    return form


def delete_form(session: Session, actor: Actor, brand: Brand, form_id: str) -> FormToken:
    """Deleted at once; its tickets stay (they keep the form's id as `sourceId`)."""
    require_settings_manager(actor, "delete web forms")
    form = get_form(session, actor, brand, form_id)
    _record(session, actor, form, "form.deleted")
    session.delete(form)
    session.flush()
    return form


# --- submissions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Post:
    """A submission as it arrived: field values by name (lists when repeated), the files
    and the Origin header a browser sent."""

    fields: dict[str, Any]
    files: Sequence[attachments.Upload] = ()
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    form: FormToken
    brand: Brand
    # None when the honeypot caught it: answered as a success, dropped.
    ticket: TicketOut | None


def live_form(session: Session, token: str) -> tuple[FormToken, Brand]:
    """The enabled form behind a public token, with its brand; 404 for anything else (an
    unknown or regenerated token, a disabled form, a deleted brand)."""
    found = repository.by_token(session, token)
    if found is None or not found[0].enabled:
        raise NotFound("form")
    return found


def allows_origin(form: FormToken, origin: str | None) -> bool:
    """Whether a browser page at `origin` may post (any page when the form lists none;
    a request without Origin is not a browser's cross-origin one)."""
    return origin is None or not form.allowed_origins or origin in form.allowed_origins


def _caught(form: FormToken, fields: dict[str, Any]) -> bool:
    """Whether the honeypot field (hidden from people) was filled in: a bot."""
    if not form.honeypot_field:
        return False
    value = fields.get(form.honeypot_field)
    values = value if isinstance(value, list) else [value]
    return any(v not in (None, "") and str(v).strip() for v in values)


def _requester(session: Session, web: Actor, brand: Brand, found: mapping.Submission) -> Actor:
    """Who opens the ticket: the customer who gave their address, else the web channel."""
    if found.customer_email is None:
        return web
    contact = contacts.find_or_create_contact(
        session, web, brand, email=found.customer_email, name=found.customer_name
    )
    return Actor.customer(
        account_id=brand.account_id,
        brand_id=brand.id,
        contact_id=contact.id,
        email=found.customer_email,
        name=found.customer_name,
        channel=Channel.WEB,
    )


def submit(
    session: Session,
    token: str,
    post: Post,
    files_config: AttachmentConfig,
    *,
    check_sender: Callable[[str], None],
) -> Submitted:
    """Open a ticket from a submission to the form behind `token`. `check_sender` is asked
    about the requester's address before anything is written (the sender's rate limit)."""
    form, brand = live_form(session, token)
    if not allows_origin(form, post.origin):
        raise OriginNotAllowed(post.origin or "")
    if _caught(form, post.fields):
        return Submitted(form, brand, None)
    found = mapping.read(post.fields, form.field_mapping)
    if found.customer_email is not None:
        check_sender(found.customer_email)
    if len(post.files) > MAX_FILES:
        raise TooManyFiles(MAX_FILES)
    web = Actor.system(brand.account_id, channel=Channel.WEB, name=form.name)
    pending = [
        attachments.upload_pending(session, web, brand, upload, files_config).id
        for upload in post.files
    ]
    actor = _requester(session, web, brand, found)
    definitions = fields.list_fields(session, brand.id, "ticket")
    custom = mapping.typed(found.custom_fields, {d.key: d.type for d in definitions})
    data = NewTicket(
        title=found.title,
        body=found.body,
        priority=found.priority,
        source="web",
        source_id=form.id,
        source_data={"formId": form.id, "formName": form.name},
        customer_name=found.customer_name,
        attachment_ids=pending or None,
        # Only when given: given custom fields are checked against the brand's schema.
        **({"custom_fields": custom} if custom else {}),
    )
    ticket = tickets.create_ticket(session, actor, brand, data)
    repository.count_submission(session, form, clock.now())
    return Submitted(form, brand, ticket)


def limited(config: AttachmentConfig, max_bytes: int) -> AttachmentConfig:
    """The attachment config with a form's per-file limit (never above the server's)."""
    return dataclasses.replace(config, max_bytes=min(config.max_bytes, max_bytes))
