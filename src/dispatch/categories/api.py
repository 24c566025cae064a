from __future__ import annotations

from typing import Literal

from fastapi import Depends, Path, Query, Response

from dispatch.categories import loading, service
from dispatch.categories.schemas import (
    CategoryCount,
    CategoryCreate,
    CategoryOut,
    CategoryReorder,
    CategoryStats,
    CategoryUpdate,
)
from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/categories",
    tags=["Categories"],
    dependencies=[Depends(brand_path)],
)
CategoryId = Path(alias="categoryId", max_length=64)


@router.get("", response_model=list[CategoryOut], summary="List categories in display order")
async def list_categories(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: [
            CategoryOut.model_validate(c) for c in loading.list_categories(w.session, w.brand.id)
        ]
    )


@router.get(
    "/stats",
    response_model=list[CategoryStats] | dict[str, CategoryCount],
    summary="Ticket count per category (live, non-spam, non-merged tickets)",
    description=(
        "By default the dashboard's shape: `[{id, key, name, color, ticketCount}]` in display "
        "order. With `format=map`, the SDK's shape: `{categoryId: {ticketCount}}`."
    ),
)
async def category_stats(
    shape: Literal["list", "map"] = Query("list", alias="format"),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    if shape == "map":
        return await uow.run(lambda w: service.stats_map(w.session, w.brand))
    return await uow.run(lambda w: service.stats(w.session, w.brand))


@router.post(
    "/reorder",
    status_code=204,
    response_class=Response,
    summary="Set the display order",
    description=(
        "`categoryIds` lists categories in their new order. A full list sets the whole "
        "order; a partial list permutes just those categories among the positions they "
        "already hold. Unknown ids are refused with 422 and nothing changes."
    ),
)
async def reorder_categories(
    body: CategoryReorder, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> None:
        service.reorder(w.session, w.actor, w.brand, body.category_ids)

    return await uow.run(work, status_code=204)


@router.get("/{categoryId}", response_model=CategoryOut, summary="Get a category")
async def get_category(
    category_id: str = CategoryId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: CategoryOut.model_validate(loading.get_category(w.session, w.brand, category_id))
    )


@router.post(
    "",
    response_model=CategoryOut,
    status_code=201,
    summary="Create a category (placed last unless sortOrder says where)",
    description=(
        "`key` (`^[a-z0-9_]{1,50}$`) is derived from the name when omitted: "
        '"Billing & Payments" becomes `billing_payments` (with `_2`, `_3`... if taken). '
        "Keys and names are unique among the brand's categories (409)."
    ),
)
async def create_category(
    body: CategoryCreate, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: CategoryOut.model_validate(
            service.create_category(w.session, w.actor, w.brand, body)
        ),
        status_code=201,
    )


@router.patch(
    "/{categoryId}",
    response_model=CategoryOut,
    summary="Rename, recolor, re-describe or move a category (keys never change)",
)
async def update_category(
    body: CategoryUpdate,
    category_id: str = CategoryId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: CategoryOut.model_validate(
            service.update_category(w.session, w.actor, w.brand, category_id, body)
        )
    )


@router.delete(
    "/{categoryId}",
    status_code=204,
    response_class=Response,
    summary="Delete a category (soft); its tickets become uncategorized",
    description=(
        "Every ticket in the category leaves it through the ticket workflow: each gets an "
        "activity entry and a `ticket.updated` event with trigger `category_deleted`."
    ),
)
async def delete_category(
    category_id: str = CategoryId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> None:
        service.delete_category(w.session, w.actor, w.brand, category_id)

    return await uow.run(work, status_code=204)
