"""A brand's contacts: the list (search by name or email, company filter, cursor pages,
each contact's kept ticket count) with a "New contact" form, and a contact's page: edit
(name, email, company, notification emails, custom fields), their tickets with the
inbox's bulk actions, a new ticket for them, merging a duplicate into them, deleting.

Every form works without JavaScript: a POST, then a redirect that names what happened.
A refused form comes back with its field errors (422) and nothing changed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from dispatch.brands.models import Brand
from dispatch.contacts import service
from dispatch.contacts.schemas import ContactChanges, ContactOut, NewContact
from dispatch.core.errors import ValidationFailed
from dispatch.fields import service as fields
from dispatch.tickets import service as tickets
from dispatch.tickets.contact_merge import merge_contacts
from dispatch.tickets.schemas import NewTicket
from dispatch.web.dashboard import inbox
from dispatch.web.forms import EDITABLE_FIELD_TYPES, custom_fields_of, editable, field_errors
from dispatch.web.listing import QUERY_MAX, ListQuery, redirect_to, shell
from dispatch.web.pickers import company_choices
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

LIST = "/brands/{brand_id}/contacts"
ONE = LIST + "/{contact_id}"
PAGE_SIZE = 25
# Refusals without `errors` that are about one field of a contact form.
_FIELD_OF_CODE = {"contact_exists": "email", "unknown_company": "company_id"}
# Without htmx, a part comes inside its whole page.
_WHOLE = {"inbox/_merge.html": "inbox/merge.html", "contacts/_tickets.html": "contacts/detail.html"}


def _listing(screen: Screen, brand_id: str, view: ListQuery, **extra: Any) -> dict[str, Any]:
    brand = screen.brand(brand_id)
    query = service.ContactQuery(
        search=view.q or None,
        company_id=view.company or None,
        cursor=view.cursor or None,
        limit=PAGE_SIZE,
    )
    found, next_cursor = service.list_contacts(screen.session, brand, query)
    return {
        **shell(screen, brand, "contacts"),
        "base": LIST.format(brand_id=brand.id),
        "view": view,
        "contacts": found,
        "next_cursor": next_cursor,
        "companies": company_choices(screen, brand, view.company),
        "values": {},
        "errors": {},
        **extra,
    }


def _list_notice(request: Request) -> str | None:
    deleted = request.query_params.get("deleted", "")[:QUERY_MAX]
    return f"Deleted {deleted}" if deleted else None


@router.get(LIST)
async def list_page(request: Request, brand_id: str) -> Response:
    view = ListQuery.parse(request)
    context = await run(request, lambda screen: _listing(screen, brand_id, view))
    partial = request.headers.get("hx-target") == "contacts-results"
    template = "contacts/_results.html" if partial else "contacts/list.html"
    return page(request, template, notice=_list_notice(request), **context)


@router.post(LIST)
async def create(request: Request, brand_id: str) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("email", "name", "company_id")}

    def work(screen: Screen) -> ContactOut:
        brand = screen.brand(brand_id)
        data = command(
            NewContact,
            email=values["email"],
            name=values["name"] or None,
            company_id=values["company_id"] or None,
        )
        return service.create_contact(screen.session, screen.actor, brand, data)

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = _errors(refused)
        context = await run(request, lambda s: _listing(s, brand_id, ListQuery()))
        context.update(values=values, errors=errors, creating=True)
        return page(request, "contacts/list.html", status_code=422, **context)
    return redirect_to(ONE.format(brand_id=brand_id, contact_id=created.id), created="1")


def _errors(refused: WebError) -> dict[str, str]:
    """A refusal by the fields of the form that caused it; anything else is shown the
    usual way (not found, not allowed)."""
    errors = field_errors(refused.error, by_code=_FIELD_OF_CODE)
    if errors is None:
        raise refused
    # The API's names of the form's fields.
    aliases = {"companyId": "company_id", "customFields": "custom_fields"}
    return {aliases.get(name, name): message for name, message in errors.items()}


# --- one contact --------------------------------------------------------------------------


def _tickets(
    screen: Screen, brand: Brand, contact: ContactOut, cursor: str | None
) -> dict[str, Any]:
    """The contact's tickets (every status, recently updated first) and what the inbox's
    bulk bar needs to act on them."""
    query = tickets.TicketQuery(
        customer_id=contact.id, sort="updatedAt", cursor=cursor, limit=PAGE_SIZE
    )
    found, next_cursor = tickets.list_tickets(screen.session, screen.actor, brand, query)
    here = ONE.format(brand_id=brand.id, contact_id=contact.id)
    return {
        "tickets": found,
        "next_cursor": next_cursor,
        "cursor": cursor or "",
        "bulk_action": here + "/bulk" + (f"?{urlencode({'cursor': cursor})}" if cursor else ""),
        **inbox.bulk_choices(screen, brand),
    }


def _contact_page(
    screen: Screen, brand_id: str, contact_id: str, cursor: str | None = None, **extra: Any
) -> dict[str, Any]:
    brand = screen.brand(brand_id)
    contact = service.read_contact(screen.session, brand, contact_id)
    return {
        **shell(screen, brand, "contacts"),
        "contact": contact,
        "base": ONE.format(brand_id=brand.id, contact_id=contact.id),
        "list_url": LIST.format(brand_id=brand.id),
        "companies": company_choices(screen, brand, contact.company_id),
        "fields": [
            f for f in fields.list_fields(screen.session, brand.id, "contact") if f.show_in_detail
        ],
        "editable_types": EDITABLE_FIELD_TYPES,
        "values": {},
        "custom_values": contact.custom_fields,
        "errors": {},
        "ticket_values": {},
        "ticket_errors": {},
        "priorities": inbox.PRIORITIES,
        **_tickets(screen, brand, contact, cursor),
        **extra,
    }


def _contact_notice(request: Request) -> str | None:
    query = request.query_params
    if query.get("created"):
        return "Contact created"
    if query.get("saved"):
        return "Saved"
    merged, moved = query.get("merged", "")[:QUERY_MAX], query.get("moved", "")
    if merged and moved.isdigit():
        return f"Merged {merged} into this contact; {_tickets_phrase(int(moved))} moved"
    return None


def _tickets_phrase(count: int) -> str:
    return f"{count} ticket" + ("" if count == 1 else "s")


def _is_partial(request: Request) -> bool:
    return request.headers.get("hx-target") == "inbox-results"


@router.get(ONE)
async def contact_page(request: Request, brand_id: str, contact_id: str) -> Response:
    cursor = request.query_params.get("cursor") or None
    context = await run(request, lambda s: _contact_page(s, brand_id, contact_id, cursor))
    template = "contacts/_tickets.html" if _is_partial(request) else "contacts/detail.html"
    return page(request, template, notice=_contact_notice(request), **context)


def _changes(form: FormData, field_types: dict[str, str]) -> dict[str, Any]:
    """What the edit form says the contact is, as `ContactChanges` fields."""
    data: dict[str, Any] = {
        "name": str(form.get("name") or "").strip() or None,
        "email": str(form.get("email") or "").strip(),
        "company_id": str(form.get("company_id") or "") or None,
        "notify_email": form.get("notify_email") == "on",
    }
    custom = custom_fields_of(form, field_types)
    if custom:
        data["custom_fields"] = custom
    return data


@router.post(ONE)
async def update(request: Request, brand_id: str, contact_id: str) -> Response:
    form = await request.form()

    def work(screen: Screen) -> None:
        brand = screen.brand(brand_id)
        types = editable(fields.list_fields(screen.session, brand.id, "contact"))
        data = command(ContactChanges, **_changes(form, types))
        service.update_contact(screen.session, screen.actor, brand, contact_id, data)

    try:
        await run(request, work, write=True)
    except WebError as refused:
        errors = _errors(refused)
        context = await run(request, lambda s: _contact_page(s, brand_id, contact_id))
        typed = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        custom = {k.removeprefix("cf."): v for k, v in typed.items() if k.startswith("cf.")}
        context.update(values=typed, custom_values=custom, errors=errors, editing=True)
        return page(request, "contacts/detail.html", status_code=422, **context)
    return redirect_to(ONE.format(brand_id=brand_id, contact_id=contact_id), saved="1")


@router.post(ONE + "/tickets")
async def new_ticket(request: Request, brand_id: str, contact_id: str) -> Response:
    """A ticket with this contact as its requester, made by the tickets service as the
    API makes one; then its page."""
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("title", "body", "priority")}

    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        contact = service.read_contact(screen.session, brand, contact_id)
        data = command(
            NewTicket,
            title=values["title"],
            body=values["body"] or None,
            priority=values["priority"] or None,
            source="web",
            customer_email=contact.email,
            customer_name=contact.name,
        )
        return tickets.create_ticket(screen.session, screen.actor, brand, data).id

    try:
        ticket_id = await run(request, work, write=True)
    except WebError as refused:
        errors = _errors(refused)
        context = await run(request, lambda s: _contact_page(s, brand_id, contact_id))
        context.update(ticket_values=values, ticket_errors=errors)
        return page(request, "contacts/detail.html", status_code=422, **context)
    return RedirectResponse(f"/brands/{brand_id}/tickets/{ticket_id}", status_code=303)


@router.post(ONE + "/bulk")
async def bulk(request: Request, brand_id: str, contact_id: str) -> Response:
    """The inbox's bulk actions on the contact's selected tickets (merging asks for its
    target first, as in the inbox); then their tickets again, with the outcome."""
    form = inbox.BulkForm.of(await request.form())
    cursor = request.query_params.get("cursor") or None

    def work(screen: Screen) -> tuple[str, dict[str, Any]]:
        # The page's brand and contact first: another's are a 404 whatever the form says.
        brand = screen.brand(brand_id)
        service.read_contact(screen.session, brand, contact_id)
        if form.action == "merge" and not form.target:
            return "inbox/_merge.html", {
                **shell(screen, brand, "contacts"),
                "choices": inbox.merge_choices(screen, form),
                "back": ONE.format(brand_id=brand.id, contact_id=contact_id),
                "query": "",
            }
        if form.action == "merge":
            notice, failed = inbox.run_merge(screen, form), False
        else:
            notice, failed = inbox.run_bulk(screen, form)
        context = _contact_page(screen, brand_id, contact_id, cursor)
        return "contacts/_tickets.html", {**context, "notice": notice, "notice_failed": failed}

    partial, context = await run(request, work, write=True)
    return page(request, partial if _is_partial(request) else _WHOLE[partial], **context)


# --- merging and deleting -----------------------------------------------------------------


@router.get(ONE + "/merge")
async def merge_page(request: Request, brand_id: str, contact_id: str) -> Response:
    """Find the duplicate (search by name or email), then see what moves and confirm."""
    term = (request.query_params.get("q") or "").strip()[:QUERY_MAX]
    chosen = (request.query_params.get("duplicate") or "").strip()[:QUERY_MAX]

    def work(screen: Screen) -> dict[str, Any]:
        context = _contact_page(screen, brand_id, contact_id)
        brand, contact = context["brand"], context["contact"]
        found = service.search_contacts(screen.session, brand, term) if term else []
        duplicate = service.read_contact(screen.session, brand, chosen) if chosen else None
        if duplicate is not None and duplicate.id == contact.id:
            duplicate = None
        return {
            **context,
            "q": "",
            "term": term,
            "found": [c for c in found if c.id != contact.id],
            "duplicate": duplicate,
        }

    return page(request, "contacts/merge.html", **await run(request, work))


@router.post(ONE + "/merge")
async def merge(request: Request, brand_id: str, contact_id: str) -> Response:
    form = await request.form()
    duplicate_id = str(form.get("duplicate_id") or "")

    def work(screen: Screen) -> tuple[str, int]:
        brand = screen.brand(brand_id)
        service.read_contact(screen.session, brand, contact_id)
        if not duplicate_id:
            raise ValidationFailed(
                "duplicate_id", "Choose the duplicate to merge into this contact"
            )
        merged = merge_contacts(screen.session, screen.actor, brand, contact_id, duplicate_id)
        return merged.duplicate.email, merged.moved_tickets

    email, moved = await run(request, work, write=True)
    target = ONE.format(brand_id=brand_id, contact_id=contact_id)
    return redirect_to(target, merged=email, moved=str(moved))


@router.get(ONE + "/delete")
async def delete_page(request: Request, brand_id: str, contact_id: str) -> Response:
    context = await run(request, lambda s: _contact_page(s, brand_id, contact_id))
    return page(request, "contacts/delete.html", **context)


@router.post(ONE + "/delete")
async def delete(request: Request, brand_id: str, contact_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        return service.delete_contact(screen.session, screen.actor, brand, contact_id).email

    email = await run(request, work, write=True)
    return redirect_to(LIST.format(brand_id=brand_id), deleted=email)
