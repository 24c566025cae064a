"""Routes of contacts (also served under the legacy `/customers`) and companies."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Depends, Path, Query, Response

from dispatch.contacts import companies, service
from dispatch.contacts.schemas import (
    CompanyCreate,
    CompanyDetail,
    CompanyOut,
    CompanySort,
    CompanyUpdate,
    ContactCreate,
    ContactOut,
    ContactSort,
    ContactUpdate,
)
from dispatch.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from dispatch.core.query import text_filter
from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

ContactId = Path(alias="contactId", max_length=64)
CompanyId = Path(alias="companyId", max_length=64)
NO_CONTENT: dict[int | str, dict[str, Any]] = {204: {"description": "Deleted"}}

router = api_router(dependencies=[Depends(brand_path)])
CONTACTS = "/brands/{brandId}/contacts"
COMPANIES = "/brands/{brandId}/companies"
# The SDK's name for contacts: the same routes, marked deprecated.
CUSTOMERS = "/brands/{brandId}/customers"


async def list_contacts(
    search: str | None = Query(None, max_length=200),
    company_id: str | None = Query(None, alias="companyId", max_length=64),
    include_blocked: bool = Query(False, alias="includeBlocked"),
    sort: ContactSort = Query("createdAt"),
    order: Literal["asc", "desc"] = Query("desc"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    query = service.ContactQuery(
        search=text_filter(search),
        company_id=text_filter(company_id),
        include_blocked=include_blocked,
        sort=sort,
        order=order,
        cursor=cursor,
        limit=limit,
    )

    def work(w: Work) -> Page[ContactOut]:
        found, next_cursor = service.list_contacts(w.session, w.brand, query)
        return Page.build(found, next_cursor)

    return await uow.run(work)


async def search_contacts(
    q: str = Query(max_length=200, description="Part of a name or an email address"),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(lambda w: service.search_contacts(w.session, w.brand, q))


async def get_contact(
    contact_id: str = ContactId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.read_contact(w.session, w.brand, contact_id))


async def create_contact(body: ContactCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: service.create_contact(w.session, w.actor, w.brand, body), status_code=201
    )


async def update_contact(
    body: ContactUpdate, contact_id: str = ContactId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.update_contact(w.session, w.actor, w.brand, contact_id, body)
    )


async def delete_contact(
    contact_id: str = ContactId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.delete_contact(w.session, w.actor, w.brand, contact_id))


def _mount_contacts(prefix: str, *, tags: list[str], deprecated: bool) -> None:
    """Register the contact routes under one prefix (declared, not included, so the
    router holds plain routes)."""

    def add(path: str, endpoint: Any, method: str, **options: Any) -> None:
        router.add_api_route(
            prefix + path,
            endpoint,
            methods=[method],
            tags=list(tags),
            deprecated=deprecated or None,
            **options,
        )

    add(
        "",
        list_contacts,
        "GET",
        response_model=Page[ContactOut],
        summary="List contacts (cursor pagination)",
        description=(
            "`search` matches name and email. `companyId=null` lists contacts without a "
            "company. Senders blocked as spam are left out unless `includeBlocked=true`. "
            "`_count.tickets` counts live tickets (not deleted, spam or merged)."
        ),
    )
    # Before /{contactId}, which would otherwise take "search" for an id.
    add(
        "/search",
        search_contacts,
        "GET",
        response_model=list[ContactOut],
        summary="Autocomplete contacts by name or email (at most 10)",
        description="Whole contacts, as the list shows them; those whose name or email "
        "starts with `q` first.",
    )
    add("/{contactId}", get_contact, "GET", response_model=ContactOut, summary="Get a contact")
    add(
        "",
        create_contact,
        "POST",
        response_model=ContactOut,
        status_code=201,
        summary="Create a contact",
        description=(
            "The email is stored lowercase and is unique among the brand's contacts (409 "
            "`contact_exists`). Without `companyId` the contact joins the company whose "
            "`domain` its email address is at."
        ),
    )
    add(
        "/{contactId}",
        update_contact,
        "PATCH",
        response_model=ContactOut,
        summary="Update a contact",
        description=(
            "`metadata` and `customFields` merge: given keys are set, a null value removes a "
            "key. `companyId: null` unlinks the company."
        ),
    )
    add(
        "/{contactId}",
        delete_contact,
        "DELETE",
        response_model=ContactOut,
        summary="Delete a contact (soft); returns it",
    )


_mount_contacts(CONTACTS, tags=["Contacts"], deprecated=False)
_mount_contacts(CUSTOMERS, tags=["Contacts (legacy /customers)"], deprecated=True)


@router.get(
    COMPANIES,
    tags=["Companies"],
    response_model=Page[CompanyOut],
    summary="List companies (cursor pagination)",
    description="`search` matches name and domain. Sorted by name unless `sort` says otherwise.",
)
async def list_companies(
    search: str | None = Query(None, max_length=200),
    sort: CompanySort = Query("name"),
    order: Literal["asc", "desc"] = Query("asc"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    def work(w: Work) -> Page[CompanyOut]:
        found, next_cursor = companies.list_companies(
            w.session,
            w.brand,
            search=text_filter(search),
            sort=sort,
            order=order,
            cursor=cursor,
            limit=limit,
        )
        return Page.build(found, next_cursor)

    return await uow.run(work)


@router.get(
    COMPANIES + "/{companyId}",
    tags=["Companies"],
    response_model=CompanyDetail,
    summary="Get a company with its contacts (newest first, at most 100)",
)
async def get_company(
    company_id: str = CompanyId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: companies.read_company(w.session, w.brand, company_id))


@router.post(
    COMPANIES,
    tags=["Companies"],
    response_model=CompanyOut,
    status_code=201,
    summary="Create a company",
    description=(
        "`domain` (a hostname, stored lowercase) is unique among the brand's companies (409 "
        "`company_domain_taken`); free email providers such as gmail.com are refused (422 "
        "`free_mail_domain`). Contacts at the domain without a company are linked to it."
    ),
)
async def create_company(body: CompanyCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: companies.create_company(w.session, w.actor, w.brand, body), status_code=201
    )


@router.patch(
    COMPANIES + "/{companyId}",
    tags=["Companies"],
    response_model=CompanyOut,
    summary="Update a company",
    description=(
        "`metadata` and `customFields` merge: given keys are set, a null value removes a "
        "key. A new `domain` links the brand's company-less contacts at it."
    ),
)
async def update_company(
    body: CompanyUpdate, company_id: str = CompanyId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: companies.update_company(w.session, w.actor, w.brand, company_id, body)
    )


@router.delete(
    COMPANIES + "/{companyId}",
    tags=["Companies"],
    status_code=204,
    response_class=Response,
    responses=NO_CONTENT,
    summary="Delete a company (soft); its contacts are unlinked",
)
async def delete_company(
    company_id: str = CompanyId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: companies.delete_company(w.session, w.actor, w.brand, company_id)
    )
