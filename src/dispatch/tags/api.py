from __future__ import annotations

from fastapi import Depends, Path, Response

from dispatch.core.routing import api_router
from dispatch.tags import service
from dispatch.tags.schemas import TagCreate, TagMerge, TagMergeInto, TagOut, TagStats, TagUpdate
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/tags", tags=["Tags"], dependencies=[Depends(brand_path)]
)
TagId = Path(alias="tagId", max_length=64)
TargetTagId = Path(alias="targetTagId", max_length=64)

MERGE_DESCRIPTION = (
    "Every ticket of the source tags gets the target tag (once), the sources are taken off "
    "their tickets (an activity entry per ticket and tag) and deleted. Merging a tag into "
    "itself, or tags that are unknown in this brand, is refused with 422 "
    "`invalid_tag_merge` and nothing changes."
)


@router.get("", response_model=list[TagOut], summary="List tags by name")
async def list_tags(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: [TagOut.model_validate(t) for t in service.list_tags(w.session, w.brand.id)]
    )


@router.get(
    "/stats",
    response_model=list[TagStats],
    summary="Ticket count per tag (live, non-spam, non-merged tickets)",
)
async def tag_stats(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(lambda w: service.stats(w.session, w.brand))


@router.post(
    "/merge",
    response_model=TagOut,
    summary="Merge tags into a target (dashboard form)",
    description=MERGE_DESCRIPTION,
)
async def merge_tags(body: TagMerge, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: TagOut.model_validate(
            service.merge_tags(w.session, w.actor, w.brand, body.target_tag_id, body.source_tag_ids)
        )
    )


@router.post(
    "/{targetTagId}/merge",
    response_model=TagOut,
    summary="Merge tags into this tag (SDK form)",
    description=MERGE_DESCRIPTION,
)
async def merge_into_tag(
    body: TagMergeInto,
    target_tag_id: str = TargetTagId,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: TagOut.model_validate(
            service.merge_tags(
                w.session, w.actor, w.brand, target_tag_id, body.source_tag_ids, target_field=None
            )
        )
    )


@router.get("/{tagId}", response_model=TagOut, summary="Get a tag")
async def get_tag(tag_id: str = TagId, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: TagOut.model_validate(service.get_tag(w.session, w.brand, tag_id))
    )


@router.post(
    "",
    response_model=TagOut,
    status_code=201,
    summary="Create a tag",
    description="Names are trimmed, 1 to 50 characters, unique per brand without regard "
    "to case (409 `tag_exists`). Without `color` a tag is gray (`#6b7280`).",
)
async def create_tag(body: TagCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: TagOut.model_validate(service.create_tag(w.session, w.actor, w.brand, body)),
        status_code=201,
    )


@router.patch(
    "/{tagId}",
    response_model=TagOut,
    summary="Rename or recolor a tag",
    description="`color: null` restores the default gray (`#6b7280`).",
)
async def update_tag(
    body: TagUpdate, tag_id: str = TagId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: TagOut.model_validate(
            service.update_tag(w.session, w.actor, w.brand, tag_id, body)
        )
    )


@router.delete(
    "/{tagId}",
    status_code=204,
    response_class=Response,
    summary="Delete a tag (soft), taking it off its tickets",
    description="Each ticket that had the tag gets a `tag.removed_from_ticket` activity entry.",
)
async def delete_tag(tag_id: str = TagId, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> None:
        service.delete_tag(w.session, w.actor, w.brand, tag_id)

    return await uow.run(work, status_code=204)
