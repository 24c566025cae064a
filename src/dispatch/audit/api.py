from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import Depends, Query, Response

from dispatch.audit import service
from dispatch.audit.repository import LogFilter
from dispatch.audit.schemas import AuditLogOut
from dispatch.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from dispatch.core.query import instant_filter, text_filter
from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/logs", tags=["Activity log"], dependencies=[Depends(brand_path)]
)


@router.get("", response_model=Page[AuditLogOut], summary="The brand's activity log, newest first")
async def list_logs(
    entity_type: str | None = Query(None, alias="entityType", max_length=32),
    entity_id: str | None = Query(None, alias="entityId", max_length=64),
    event: str | None = Query(None, max_length=64),
    start_date: datetime | None = Query(None, alias="startDate"),
    end_date: datetime | None = Query(None, alias="endDate"),
    performer_type: Literal["user", "api", "system"] | None = Query(None, alias="performerType"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    f = LogFilter(
        entity_type=text_filter(entity_type),
        entity_id=text_filter(entity_id),
        event=text_filter(event),
        start=instant_filter(start_date, "startDate"),
        end=instant_filter(end_date, "endDate"),
        performer_type=performer_type,
    )

    def work(w: Work) -> Page[AuditLogOut]:
        entries, next_cursor = service.list_logs(
            w.session, w.brand.id, f, cursor=cursor, limit=limit
        )
        return Page.build([AuditLogOut.model_validate(e) for e in entries], next_cursor)

    return await uow.run(work)
