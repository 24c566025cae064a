from __future__ import annotations

from fastapi import Body, Depends, Path, Query, Response

from dispatch.core.errors import ValidationFailed
from dispatch.core.routing import api_router
from dispatch.core.schemas import ApiModel
from dispatch.statuses import loading, service
from dispatch.statuses.schemas import (
    StatusCreate,
    StatusOut,
    StatusReorder,
    StatusReplacement,
    StatusStats,
    StatusUpdate,
)
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/statuses", tags=["Statuses"], dependencies=[Depends(brand_path)]
)
StatusId = Path(alias="statusId", max_length=64)


class StatusDeleted(ApiModel):
    deleted: bool = True
    id: str
    key: str
    replacement_status_id: str | None
    replacement_status_key: str | None
    moved_ticket_count: int


def _one_value(field: str, in_query: str | None, in_body: str | None) -> str | None:
    """A replacement given in the query or the body; both only if they agree."""
    if in_query is not None and in_body is not None and in_query != in_body:
        raise ValidationFailed(field, f"{field} differs between the query and the body")
    return in_query if in_query is not None else in_body


@router.get("", response_model=list[StatusOut], summary="List statuses in display order")
async def list_statuses(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: [
            StatusOut.model_validate(s) for s in loading.list_for_brand(w.session, w.brand.id)
        ]
    )


@router.get(
    "/stats",
    response_model=list[StatusStats],
    summary="Ticket count per status (live, non-spam tickets)",
)
async def status_stats(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(lambda w: service.stats(w.session, w.brand))


@router.post(
    "/reorder",
    response_model=list[StatusOut],
    summary="Set the display order",
    description=(
        "`statusIds` lists statuses in their new order. A full list sets the whole order; "
        "a partial list (for example only the custom statuses) permutes just those "
        "statuses among the positions they already hold. System statuses keep their "
        "frame: open first, closed last, open → pending → resolved → closed; custom "
        "statuses may sit in any gap between them. An order that breaks the frame is "
        "refused with 422 `invalid_status_order` and nothing changes."
    ),
)
async def reorder_statuses(
    body: StatusReorder, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> list[StatusOut]:
        ordered = service.reorder(w.session, w.actor, w.brand, body.status_ids)
        return [StatusOut.model_validate(s) for s in ordered]

    return await uow.run(work)


@router.get("/{statusId}", response_model=StatusOut, summary="Get a status")
async def get_status(
    status_id: str = StatusId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: StatusOut.model_validate(loading.get_status(w.session, w.brand, status_id))
    )


@router.post(
    "",
    response_model=StatusOut,
    status_code=201,
    summary="Create a custom status (placed before Resolved unless sortOrder says where)",
)
async def create_status(body: StatusCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: StatusOut.model_validate(
            service.create_status(w.session, w.actor, w.brand, body)
        ),
        status_code=201,
    )


@router.patch(
    "/{statusId}",
    response_model=StatusOut,
    summary="Rename, recolor, re-describe or move a status (keys never change)",
)
async def update_status(
    body: StatusUpdate, status_id: str = StatusId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: StatusOut.model_validate(
            service.update_status(w.session, w.actor, w.brand, status_id, body)
        )
    )


@router.delete(
    "/{statusId}",
    response_model=StatusDeleted,
    summary="Delete a custom status, moving its tickets to a replacement",
    description=(
        "Give the replacement as `replacementStatusId` or `replacementStatusKey`, in the "
        "query or the JSON body. It is required while live tickets use the status. All "
        "tickets move atomically; each gets an activity entry and a `ticket.updated` event. "
        "System statuses cannot be deleted (422 `system_status_immutable`)."
    ),
)
async def delete_status(
    status_id: str = StatusId,
    replacement_status_id: str | None = Query(None, alias="replacementStatusId", max_length=64),
    replacement_status_key: str | None = Query(None, alias="replacementStatusKey", max_length=50),
    body: StatusReplacement | None = Body(None),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    replacement_id = _one_value(
        "replacementStatusId",
        replacement_status_id,
        body.replacement_status_id if body else None,
    )
    replacement_key = _one_value(
        "replacementStatusKey",
        replacement_status_key,
        body.replacement_status_key if body else None,
    )

    def work(w: Work) -> StatusDeleted:
        status, replacement, moved = service.delete_status(
            w.session,
            w.actor,
            w.brand,
            status_id,
            replacement_id=replacement_id,
            replacement_key=replacement_key,
        )
        return StatusDeleted(
            id=status.id,
            key=status.key,
            replacement_status_id=replacement.id if replacement else None,
            replacement_status_key=replacement.key if replacement else None,
            moved_ticket_count=moved,
        )

    return await uow.run(work)
