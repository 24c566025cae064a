from __future__ import annotations

from fastapi import Depends, Path, Response

from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, brand_path, unit_of_work
from dispatch.watchers import service
from dispatch.watchers.schemas import WatcherOut, WatcherSpec, WatcherUpdate

router = api_router(
    prefix="/brands/{brandId}/tickets/{ticketId}/watchers",
    tags=["Watchers"],
    dependencies=[Depends(brand_path)],
)
TicketId = Path(alias="ticketId", max_length=64)
MemberRef = Path(
    alias="memberId",
    max_length=320,
    description="The watcher's team member id, the watcher id, or the watcher's email",
)


@router.get("", response_model=list[WatcherOut], summary="List a ticket's watchers")
async def list_watchers(
    ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: [
            service.watcher_out(x)
            for x in service.list_watchers(w.session, w.actor, w.brand, ticket_id)
        ]
    )


@router.post(
    "",
    response_model=WatcherOut,
    status_code=201,
    summary="Add a watcher",
    description=(
        "Give `memberEmail`, or `memberId` (a team member of the account, whose email is "
        "used), or both when they agree. A watcher is identified by email: adding the same "
        "address twice is a 409 `watcher_exists`. Watchers are notified of new comments "
        "and status changes unless their flags say otherwise."
    ),
)
async def add_watcher(
    body: WatcherSpec, ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.watcher_out(
            service.add_watcher(w.session, w.actor, w.brand, ticket_id, body)
        ),
        status_code=201,
    )


@router.patch(
    "/{memberId}",
    response_model=WatcherOut,
    summary="Change a watcher's notification flags",
)
async def update_watcher(
    body: WatcherUpdate,
    ticket_id: str = TicketId,
    member: str = MemberRef,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: service.watcher_out(
            service.update_watcher(w.session, w.actor, w.brand, ticket_id, member, body)
        )
    )


@router.delete("/{memberId}", status_code=204, summary="Remove a watcher")
async def remove_watcher(
    ticket_id: str = TicketId, member: str = MemberRef, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.remove_watcher(w.session, w.actor, w.brand, ticket_id, member),
        status_code=204,
    )
