from __future__ import annotations

from fastapi import Depends, Path, Query, Response

from dispatch.comments import service
from dispatch.comments.schemas import CommentCreate, CommentOut, CommentUpdate, ThreadedCommentOut
from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/tickets/{ticketId}/comments",
    tags=["Comments"],
    dependencies=[Depends(brand_path)],
)
TicketId = Path(alias="ticketId", max_length=64)
CommentId = Path(alias="commentId", max_length=64)


@router.get(
    "",
    response_model=list[CommentOut] | list[ThreadedCommentOut],
    summary="List a ticket's comments, oldest first",
    description=(
        "A flat, chronological list; replies carry `parentId`. With `threaded=true`, only "
        "top-level comments, each with its `replies` nested (oldest first at every level). "
        "Internal notes and SYSTEM comments (status changes) are included: check "
        "`isInternal` before showing a comment to a customer."
    ),
)
async def list_comments(
    ticket_id: str = TicketId,
    threaded: bool = Query(False, description="Nest replies under their parent"),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    def work(w: Work) -> list[CommentOut] | list[ThreadedCommentOut]:
        if threaded:
            return service.list_thread(w.session, w.actor, w.brand, ticket_id)
        return service.list_comments(w.session, w.actor, w.brand, ticket_id)

    return await uow.run(work)


@router.get("/{commentId}", response_model=CommentOut, summary="Get a comment")
async def get_comment(
    ticket_id: str = TicketId,
    comment_id: str = CommentId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: service.get_comment(w.session, w.actor, w.brand, ticket_id, comment_id)
    )


@router.post(
    "",
    response_model=CommentOut,
    status_code=201,
    summary="Add a comment or an internal note",
    description=(
        "`authorType` is AGENT (default) or CUSTOMER. An internal note (`isInternal` or "
        "`metadata.isInternal`) is never emailed nor shown to customers; a CUSTOMER note is "
        "refused. `setStatus` (any status key of the brand) changes the ticket's status in "
        "the same transaction. A public CUSTOMER comment on a pending, resolved or closed "
        "ticket reopens it (auto-reopen) unless `setStatus` is given. A comment on a ticket "
        "that was merged away lands on the ticket it was merged into "
        "(`metadata.redirectedFrom`). `cc` and `connectionId` are kept in `metadata` for "
        "the email channel."
    ),
)
async def create_comment(
    body: CommentCreate, ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.create_comment(w.session, w.actor, w.brand, ticket_id, body),
        status_code=201,
    )


@router.patch(
    "/{commentId}",
    response_model=CommentOut,
    summary="Edit a comment's body, links or metadata",
    description=(
        "`metadata` merges: given keys are set, a null value removes a key. "
        "`metadata.isInternal` cannot change. SYSTEM comments cannot be edited (422)."
    ),
)
async def update_comment(
    body: CommentUpdate,
    ticket_id: str = TicketId,
    comment_id: str = CommentId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: service.update_comment(w.session, w.actor, w.brand, ticket_id, comment_id, body)
    )


@router.delete(
    "/{commentId}",
    response_model=CommentOut,
    summary="Delete a comment (soft); returns it",
    description="SYSTEM comments (the status history) cannot be deleted (422).",
)
async def delete_comment(
    ticket_id: str = TicketId,
    comment_id: str = CommentId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: service.delete_comment(w.session, w.actor, w.brand, ticket_id, comment_id)
    )
