"""A brand's companies: the list (search by name or domain, cursor pages, each company's
count of contacts) with a "New company" form, and a company's page: edit its name, email
domain and custom fields, its contacts, its contacts' tickets, delete it.

Like the contacts screen: plain forms, a redirect that names what happened, and a
refused form back with its field errors (422) with nothing changed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from dispatch.contacts import companies
from dispatch.contacts.schemas import CompanyChanges, CompanyOut, NewCompany
from dispatch.fields import service as fields
from dispatch.tickets import service as tickets
from dispatch.web.forms import EDITABLE_FIELD_TYPES, custom_fields_of, editable, field_errors
from dispatch.web.listing import QUERY_MAX, ListQuery, redirect_to, shell
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

LIST = "/brands/{brand_id}/companies"
ONE = LIST + "/{company_id}"
PAGE_SIZE = 25
_FIELD_OF_CODE = {"company_domain_taken": "domain"}


def _errors(refused: WebError) -> dict[str, str]:
    errors = field_errors(refused.error, by_code=_FIELD_OF_CODE)
    if errors is None:
        raise refused
    return errors


def _shell_of(screen: Screen, brand_id: str) -> dict[str, Any]:
    return shell(screen, screen.brand(brand_id), "companies")


def _listing(screen: Screen, brand_id: str, view: ListQuery, **extra: Any) -> dict[str, Any]:
    shell = _shell_of(screen, brand_id)
    brand = shell["brand"]
    found, next_cursor = companies.list_companies(
        screen.session,
        brand,
        search=view.q or None,
        sort="name",
        order="asc",
        cursor=view.cursor or None,
        limit=PAGE_SIZE,
    )
    return {
        **shell,
        "base": LIST.format(brand_id=brand.id),
        "view": view,
        "companies": found,
        "next_cursor": next_cursor,
        "values": {},
        "errors": {},
        **extra,
    }


@router.get(LIST)
async def list_page(request: Request, brand_id: str) -> Response:
    view = ListQuery.parse(request)
    context = await run(request, lambda screen: _listing(screen, brand_id, view))
    deleted = request.query_params.get("deleted", "")[:QUERY_MAX]
    partial = request.headers.get("hx-target") == "companies-results"
    template = "companies/_results.html" if partial else "companies/list.html"
    return page(request, template, notice=f"Deleted {deleted}" if deleted else None, **context)


@router.post(LIST)
async def create(request: Request, brand_id: str) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("name", "domain")}

    def work(screen: Screen) -> CompanyOut:
        data = command(NewCompany, name=values["name"], domain=values["domain"] or None)
        return companies.create_company(screen.session, screen.actor, screen.brand(brand_id), data)

    try:
        created = await run(request, work, write=True)
    except WebError as refused:
        errors = _errors(refused)
        context = await run(request, lambda s: _listing(s, brand_id, ListQuery()))
        context.update(values=values, errors=errors, creating=True)
        return page(request, "companies/list.html", status_code=422, **context)
    return redirect_to(ONE.format(brand_id=brand_id, company_id=created.id), created="1")


def _company_page(
    screen: Screen, brand_id: str, company_id: str, cursor: str | None = None
) -> dict[str, Any]:
    """The company with its contacts (newest first, as many as the API shows) and its
    contacts' tickets, recently updated first, a page at a time."""
    shell = _shell_of(screen, brand_id)
    brand = shell["brand"]
    company = companies.read_company(screen.session, brand, company_id)
    query = tickets.TicketQuery(
        company_id=company.id, sort="updatedAt", cursor=cursor, limit=PAGE_SIZE
    )
    found, next_cursor = tickets.list_tickets(screen.session, screen.actor, brand, query)
    definitions = fields.list_fields(screen.session, brand.id, "company")
    return {
        **shell,
        "company": company,
        "base": ONE.format(brand_id=brand.id, company_id=company.id),
        "list_url": LIST.format(brand_id=brand.id),
        "contacts_url": f"/brands/{brand.id}/contacts?{urlencode({'company': company.id})}",
        "shown_contacts": companies.COMPANY_CONTACTS_SHOWN,
        "fields": [f for f in definitions if f.show_in_detail],
        "editable_types": EDITABLE_FIELD_TYPES,
        "values": {},
        "custom_values": company.custom_fields,
        "errors": {},
        "tickets": found,
        "next_cursor": next_cursor,
        "cursor": cursor or "",
        "team_names": {},
    }


def _notice(request: Request) -> str | None:
    if request.query_params.get("created"):
        return "Company created"
    if request.query_params.get("saved"):
        return "Saved"
    return None


@router.get(ONE)
async def company_page(request: Request, brand_id: str, company_id: str) -> Response:
    cursor = request.query_params.get("cursor") or None
    context = await run(request, lambda s: _company_page(s, brand_id, company_id, cursor))
    partial = request.headers.get("hx-target") == "company-tickets"
    template = "companies/_tickets.html" if partial else "companies/detail.html"
    return page(request, template, notice=_notice(request), **context)


@router.post(ONE)
async def update(request: Request, brand_id: str, company_id: str) -> Response:
    form = await request.form()
    name = str(form.get("name") or "").strip()
    domain = str(form.get("domain") or "").strip()

    def work(screen: Screen) -> None:
        brand = screen.brand(brand_id)
        types = editable(fields.list_fields(screen.session, brand.id, "company"))
        custom = custom_fields_of(form, types)
        data = command(
            CompanyChanges,
            name=name,
            domain=domain or None,
            **({"custom_fields": custom} if custom else {}),
        )
        companies.update_company(screen.session, screen.actor, brand, company_id, data)

    try:
        await run(request, work, write=True)
    except WebError as refused:
        errors = _errors(refused)
        context = await run(request, lambda s: _company_page(s, brand_id, company_id))
        typed = {k: v for k, v in form.items() if isinstance(v, str)}
        custom_typed = {k.removeprefix("cf."): v for k, v in typed.items() if k.startswith("cf.")}
        context.update(values=typed, custom_values=custom_typed, errors=errors, editing=True)
        return page(request, "companies/detail.html", status_code=422, **context)
    return redirect_to(ONE.format(brand_id=brand_id, company_id=company_id), saved="1")


@router.get(ONE + "/delete")
async def delete_page(request: Request, brand_id: str, company_id: str) -> Response:
    context = await run(request, lambda s: _company_page(s, brand_id, company_id))
    return page(request, "companies/delete.html", **context)


@router.post(ONE + "/delete")
async def delete(request: Request, brand_id: str, company_id: str) -> Response:
    def work(screen: Screen) -> str:
        brand = screen.brand(brand_id)
        name = companies.read_company(screen.session, brand, company_id).name
        companies.delete_company(screen.session, screen.actor, brand, company_id)
        return name

    name = await run(request, work, write=True)
    return redirect_to(LIST.format(brand_id=brand_id), deleted=name)
