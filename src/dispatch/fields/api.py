from __future__ import annotations

from fastapi import Depends, Path, Response

from dispatch.core.routing import api_router
from dispatch.fields import service
from dispatch.fields.models import FieldDefinition
from dispatch.fields.schemas import (
    FieldCreate,
    FieldDefinitionOut,
    FieldDefinitions,
    FieldReorder,
    FieldUpdate,
)
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work

router = api_router(
    prefix="/brands/{brandId}/fields", tags=["Custom fields"], dependencies=[Depends(brand_path)]
)
EntityType = Path(
    alias="entityType",
    max_length=20,
    description="ticket, contact (or its SDK name customer) or company",
)
FieldKey = Path(alias="key", max_length=64)


def _out(definitions: list[FieldDefinition]) -> list[FieldDefinitionOut]:
    return [FieldDefinitionOut.model_validate(d) for d in definitions]


@router.get(
    "",
    response_model=FieldDefinitions,
    summary="Every custom field definition, by entity type",
    description="`customer` repeats `contact` under the SDK's name.",
)
async def all_fields(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> FieldDefinitions:
        grouped = service.all_fields(w.session, w.brand.id)
        contact = _out(grouped["contact"])
        return FieldDefinitions(
            ticket=_out(grouped["ticket"]),
            contact=contact,
            customer=contact,
            company=_out(grouped["company"]),
        )

    return await uow.run(work)


@router.get(
    "/{entityType}",
    response_model=list[FieldDefinitionOut],
    summary="The definitions of one entity type in display order",
)
async def list_fields(
    entity_type: str = EntityType, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(lambda w: _out(service.list_fields(w.session, w.brand.id, entity_type)))


@router.post(
    "/{entityType}",
    response_model=FieldDefinitionOut,
    status_code=201,
    summary="Define a custom field (placed last unless sortOrder says where)",
    description=(
        "`key` (`^[a-z][a-z0-9_]*$`, at most 50) is unique per entity type and never "
        "changes. select and multiselect fields need `options` (distinct); `defaultValue` "
        "must fit the type. The deprecated `visible` stands for each of `showOnCreate`, "
        "`showInTable` and `showInDetail` not given."
    ),
)
async def create_field(
    body: FieldCreate, entity_type: str = EntityType, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: FieldDefinitionOut.model_validate(
            service.create_field(w.session, w.actor, w.brand, entity_type, body)
        ),
        status_code=201,
    )


@router.post(
    "/{entityType}/reorder",
    response_model=list[FieldDefinitionOut],
    summary="Set the display order",
    description=(
        "`keys` lists fields in their new order. A full list sets the whole order; a "
        "partial list permutes just those fields among the positions they already hold."
    ),
)
async def reorder_fields(
    body: FieldReorder, entity_type: str = EntityType, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: _out(service.reorder(w.session, w.actor, w.brand, entity_type, body.keys))
    )


@router.get("/{entityType}/{key}", response_model=FieldDefinitionOut, summary="Get one definition")
async def get_field(
    entity_type: str = EntityType, key: str = FieldKey, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: FieldDefinitionOut.model_validate(
            service.get_field(w.session, w.brand, entity_type, key)
        )
    )


@router.patch(
    "/{entityType}/{key}",
    response_model=FieldDefinitionOut,
    summary="Change a definition (its key never changes)",
)
async def update_field(
    body: FieldUpdate,
    entity_type: str = EntityType,
    key: str = FieldKey,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    return await uow.run(
        lambda w: FieldDefinitionOut.model_validate(
            service.update_field(w.session, w.actor, w.brand, entity_type, key, body)
        )
    )


@router.delete(
    "/{entityType}/{key}",
    status_code=204,
    response_class=Response,
    summary="Delete a definition (values already stored stay in their records)",
)
async def delete_field(
    entity_type: str = EntityType, key: str = FieldKey, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> None:
        service.delete_field(w.session, w.actor, w.brand, entity_type, key)

    return await uow.run(work, status_code=204)
