from __future__ import annotations

from fastapi import Depends, Query, Response
from sqlalchemy.orm import Session

from dispatch.accounts.auth import current_actor
from dispatch.brands import service
from dispatch.brands.dependencies import BrandIdPath
from dispatch.brands.schemas import BrandCreate, BrandDeletePreview, BrandOut, BrandUpdate
from dispatch.core.actor import Actor
from dispatch.core.routing import api_router, get_session

router = api_router(prefix="/brands", tags=["Brands"])


@router.get("", response_model=list[BrandOut], summary="List the brands the key can use")
def list_brands(
    actor: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[BrandOut]:
    return [BrandOut.model_validate(b) for b in service.list_brands(session, actor)]


@router.post(
    "",
    response_model=BrandOut,
    status_code=201,
    summary="Create a brand (seeds the four system statuses)",
)
def create_brand(
    body: BrandCreate,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> BrandOut:
    return BrandOut.model_validate(service.create_brand(session, actor, body))


@router.get("/{brandId}", response_model=BrandOut, summary="Get a brand")
def get_brand(
    brand_id: str = BrandIdPath,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> BrandOut:
    return BrandOut.model_validate(service.get_brand(session, actor, brand_id))


@router.patch("/{brandId}", response_model=BrandOut, summary="Update a brand")
def update_brand(
    body: BrandUpdate,
    brand_id: str = BrandIdPath,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> BrandOut:
    return BrandOut.model_validate(service.update_brand(session, actor, brand_id, body))


@router.delete(
    "/{brandId}",
    response_model=BrandDeletePreview,
    responses={204: {"description": "Deleted (with confirm=true)"}},
    summary="Delete a brand: without confirm=true, preview what would go",
)
def delete_brand(
    brand_id: str = BrandIdPath,
    confirm: bool = Query(False, description="true deletes; otherwise a preview is returned"),
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> BrandDeletePreview | Response:
    if not confirm:
        return service.preview_delete(session, actor, brand_id)
    service.delete_brand(session, actor, brand_id)
    return Response(status_code=204)
