from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import Depends, Path, Query, Request, Response

from dispatch.audit.schemas import AuditLogOut
from dispatch.core.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    NEXT_PAGE_LINK_HEADER,
    Page,
    array_page,
)
from dispatch.core.query import instant_filter, text_filter
from dispatch.core.routing import api_router
from dispatch.tickets import bulk as bulk_actions
from dispatch.tickets import service
from dispatch.tickets.bulk import BulkOut, BulkRequest
from dispatch.tickets.merge import merge_tickets
from dispatch.tickets.schemas import (
    MergeOut,
    MergeRequest,
    SortField,
    Source,
    SpamRequest,
    TicketCreate,
    TicketOut,
    TicketUpdate,
)
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/tickets", tags=["Tickets"], dependencies=[Depends(brand_path)]
)

TicketId = Path(alias="ticketId", max_length=64)


@router.post("", response_model=TicketOut, status_code=201, summary="Create a ticket")
async def create_ticket(body: TicketCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: service.create_ticket(w.session, w.actor, w.brand, body), status_code=201
    )


@router.get(
    "",
    response_model=Page[TicketOut],
    summary="List tickets (cursor pagination)",
    description=(
        "`status` takes a key, a comma-separated list of keys, `active` (open, pending and "
        "custom statuses) or `inactive` (resolved, closed). `assigneeId=null` lists "
        "unassigned tickets, `categoryId=null` uncategorized ones; `tagIds` (comma "
        "separated) lists tickets with any of the tags. Spam is left out unless "
        "`isSpam=true`, which lists only spam. `search` matches every word, as a prefix, in "
        "the title, body, requester, comments and contact. Dates without a zone are UTC. "
        "An empty filter is ignored."
    ),
)
async def list_tickets(
    status: str | None = Query(None, max_length=1000),
    status_id: str | None = Query(None, alias="statusId", max_length=2000),
    priority: str | None = Query(None, max_length=100),
    assignee_id: str | None = Query(None, alias="assigneeId", max_length=64),
    assignee_email: str | None = Query(None, alias="assigneeEmail", max_length=320),
    created_by: str | None = Query(None, alias="createdBy", max_length=320),
    created_after: datetime | None = Query(None, alias="createdAfter"),
    created_before: datetime | None = Query(None, alias="createdBefore"),
    search: str | None = Query(None, max_length=200),
    customer_id: str | None = Query(None, alias="customerId", max_length=64),
    customer_email: str | None = Query(None, alias="customerEmail", max_length=320),
    category_id: str | None = Query(None, alias="categoryId", max_length=64),
    tag_ids: str | None = Query(None, alias="tagIds", max_length=2000),
    has_attachments: bool | None = Query(None, alias="hasAttachments"),
    is_spam: bool = Query(False, alias="isSpam"),
    source: Source | None = Query(None),
    sort: SortField = Query("createdAt"),
    order: Literal["asc", "desc"] = Query("desc"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    query = service.TicketQuery(
        status=text_filter(status),
        status_id=text_filter(status_id),
        priority=text_filter(priority),
        assignee_id=text_filter(assignee_id),
        assignee_email=text_filter(assignee_email),
        created_by=text_filter(created_by),
        created_after=instant_filter(created_after, "createdAfter"),
        created_before=instant_filter(created_before, "createdBefore"),
        search=text_filter(search),
        customer_id=text_filter(customer_id),
        customer_email=text_filter(customer_email),
        category_id=text_filter(category_id),
        tag_ids=text_filter(tag_ids),
        has_attachments=has_attachments,
        is_spam=is_spam,
        source=source,
        sort=sort,
        order=order,
        cursor=cursor,
        limit=limit,
    )

    def work(w: Work) -> Page[TicketOut]:
        tickets, next_cursor = service.list_tickets(w.session, w.actor, w.brand, query)
        return Page.build(tickets, next_cursor)

    return await uow.run(work)


@router.post(
    "/bulk",
    response_model=BulkOut,
    summary="One action on up to 100 tickets",
    description=(
        "Actions: spam, notSpam, resolve, close (closeReason), delete, assign (assigneeId or "
        "assigneeEmail; null unassigns), setCategory (categoryId or categoryKey; null clears), "
        "setTags (tags: the full list of names), addTags and removeTags (tags: names to add "
        "or remove), setStatus (status), setPriority (priority). "
        "Each ticket goes through the same checks, activity entries and events as a single "
        "change; a refused ticket does not stop the others (see `results`)."
    ),
)
async def bulk(body: BulkRequest, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(lambda w: bulk_actions.run(w.session, w.actor, w.brand, body))


@router.get("/{ticketId}", response_model=TicketOut, summary="Get a ticket")
async def get_ticket(
    ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.get_ticket(w.session, w.actor, w.brand, ticket_id))


@router.patch(
    "/{ticketId}",
    response_model=TicketOut,
    summary="Update a ticket",
    description=(
        "Any status can follow any other: give `status` (a key) or `statusId`. "
        "`customFields` and `metadata` merge: given keys are set, a null value removes a key. "
        "`assigneeEmail` may be any address; it links to the team member who has it."
    ),
)
async def update_ticket(
    body: TicketUpdate, ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.update_ticket(w.session, w.actor, w.brand, ticket_id, body)
    )


@router.delete("/{ticketId}", response_model=TicketOut, summary="Delete a ticket (soft)")
async def delete_ticket(
    ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: service.delete_ticket(w.session, w.actor, w.brand, ticket_id))


@router.post(
    "/{ticketId}/spam",
    response_model=TicketOut,
    summary="Mark or unmark a ticket as spam",
    description=(
        "`isSpam: true` hides the ticket from normal lists and counts and blocks its sender: "
        "their later tickets arrive as spam. `false` restores the ticket and unblocks them."
    ),
)
async def mark_spam(
    body: SpamRequest, ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: service.set_spam(w.session, w.actor, w.brand, ticket_id, body.is_spam)
    )


@router.post(
    "/{ticketId}/merge",
    response_model=MergeOut,
    summary="Merge tickets into this one",
    description=(
        "Comments, attachments, tags and watchers of `sourceTicketIds` move to this ticket; "
        "the sources close (closeReason duplicate) with `mergedIntoId` set and leave lists; "
        "later replies to them land here. Tickets of one brand only."
    ),
)
async def merge(
    body: MergeRequest, ticket_id: str = TicketId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> MergeOut:
        target, merged = merge_tickets(
            w.session, w.actor, w.brand, ticket_id, body.source_ticket_ids
        )
        return MergeOut(
            **target.model_dump(),
            target_ticket_id=target.id,
            merged_ticket_ids=merged,
            merged_count=len(merged),
        )

    return await uow.run(work)


@router.get(
    "/{ticketId}/logs",
    response_model=list[AuditLogOut],
    summary="The ticket's activity log, oldest first",
    description=(
        "A plain array, as the reference API answers. `limit` (default and most 100) and "
        "`cursor` page it: while more follow, the `Link` header names the next page."
    ),
    responses={200: {"headers": NEXT_PAGE_LINK_HEADER}},
)
async def ticket_logs(
    request: Request,
    ticket_id: str = TicketId,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(MAX_LIMIT, ge=1, le=MAX_LIMIT),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    def work(w: Work) -> Response:
        entries, next_cursor = service.history(
            w.session, w.actor, w.brand, ticket_id, cursor=cursor, limit=limit
        )
        return array_page(
            request.url, [AuditLogOut.model_validate(e) for e in entries], next_cursor
        )

    return await uow.run(work)
