from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request, Response
from pydantic_core import to_json

from dispatch.brands import service
from dispatch.brands.models import Brand
from dispatch.brands.schemas import (
    BrandCreate,
    BrandDeletePreview,
    BrandOut,
    BrandUpdate,
    TicketSchemaBody,
)
from dispatch.core.errors import ValidationFailed
from dispatch.core.hosts import server_hosts
from dispatch.core.routing import api_router
from dispatch.unit_of_work import BrandIdPath, UnitOfWork, Work, unit_of_work

router = api_router(prefix="/brands", tags=["Brands"])


@router.get("", response_model=list[BrandOut], summary="List the brands the key can use")
async def list_brands(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: [BrandOut.model_validate(b) for b in service.list_brands(w.session, w.actor)]
    )


@router.post(
    "",
    response_model=BrandOut,
    status_code=201,
    summary="Create a brand (seeds the four system statuses)",
)
async def create_brand(body: BrandCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: BrandOut.model_validate(service.create_brand(w.session, w.actor, body)),
        status_code=201,
    )


@router.get("/{brandId}", response_model=BrandOut, summary="Get a brand")
async def get_brand(
    _brand_id: str = BrandIdPath, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: BrandOut.model_validate(w.brand))


@router.patch(
    "/{brandId}",
    response_model=BrandOut,
    summary="Update a brand",
    description=(
        "`portalDomain` is a host name of the brand's own (like `help.example.com`, no "
        "scheme, path or port) pointed at this server: the hosted portal then answers at "
        "its root. Unique across brands (409 `portal_domain_taken`); never this server's "
        "own host (422); `null` clears it."
    ),
)
async def update_brand(
    body: BrandUpdate,
    request: Request,
    _brand_id: str = BrandIdPath,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    own = server_hosts(request.app.state.settings.public_url, request.headers.get("host"))
    return await uow.run(
        lambda w: BrandOut.model_validate(
            service.update_brand(w.session, w.actor, w.brand, body, server_hosts=own)
        )
    )


@router.get(
    "/{brandId}/schema",
    response_model=dict[str, Any] | None,
    summary="The brand's ticket schema (null when unset)",
)
async def get_ticket_schema(
    _brand_id: str = BrandIdPath, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: _schema(w.brand))


@router.put(
    "/{brandId}/schema",
    response_model=dict[str, Any] | None,
    summary="Set or clear the brand's ticket schema",
    description=(
        "The body is the schema itself (as in the reference API): a JSON Schema (draft "
        "2020-12) that the `customFields` of every ticket create or update setting them must "
        "satisfy (after merging, on update); each violation is a 422 "
        "`invalid_custom_fields` error on `customFields.<path>`. References are followed "
        "inside the schema only, never fetched. A `null` body clears it. Also settable as "
        "`ticketSchema` on brand create and update."
    ),
)
async def put_ticket_schema(
    request: Request,
    body: TicketSchemaBody | None = None,
    _brand_id: str = BrandIdPath,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    # FastAPI reads a JSON null body as no body; only a truly empty one is refused.
    if not (await request.body()).strip():
        raise ValidationFailed("body", "Field required: the schema, or null to clear it")
    schema = body.root if body is not None else None
    return await uow.run(
        lambda w: _schema(service.set_ticket_schema(w.session, w.actor, w.brand, schema))
    )


def _schema(brand: Brand) -> Response:
    """The schema as the body (JSON null when unset, not an empty 204)."""
    return Response(to_json(brand.ticket_schema), media_type="application/json")


@router.delete(
    "/{brandId}",
    response_model=BrandDeletePreview,
    responses={204: {"description": "Deleted (with confirm=true)"}},
    summary="Delete a brand: without confirm=true, preview what would go",
)
async def delete_brand(
    _brand_id: str = BrandIdPath,
    confirm: bool = Query(False, description="true deletes; otherwise a preview is returned"),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    def work(w: Work) -> BrandDeletePreview | None:
        if not confirm:
            return service.preview_delete(w.session, w.brand)
        service.delete_brand(w.session, w.actor, w.brand)
        return None

    return await uow.run(work)
