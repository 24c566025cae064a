"""Web forms (§3.16): a brand's form tokens. Each form has a public URL,
`POST /forms/<token>` (outside `/v1`, see `web/public_forms.py`), that turns submissions
into tickets."""

from __future__ import annotations

from fastapi import Depends, Path, Response

from dispatch.core.routing import api_router
from dispatch.unit_of_work import UnitOfWork, Work, brand_path, unit_of_work
from dispatch.webforms import service
from dispatch.webforms.models import FormToken
from dispatch.webforms.schemas import FormCreate, FormTokenOut, FormUpdate

router = api_router(
    prefix="/brands/{brandId}/forms", tags=["Web forms"], dependencies=[Depends(brand_path)]
)
FormId = Path(alias="formId", max_length=64)


def _out(form: FormToken) -> FormTokenOut:
    return FormTokenOut.model_validate(form)


@router.get("", response_model=list[FormTokenOut], summary="List the brand's web forms")
async def list_forms(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: [_out(f) for f in service.list_forms(w.session, w.actor, w.brand)]
    )


@router.post(
    "",
    response_model=FormTokenOut,
    status_code=201,
    summary="Create a web form (its token `ft_...` is the public URL's secret)",
    description=(
        "`fieldMapping` maps form field names to ticket properties (`title`, `body`, "
        "`priority`, `customerEmail`, `customerName`, `customFields.<key>`); unnamed fields "
        "keep the default mapping (email, name, subject, message/body, priority; anything "
        "else to `customFields.<name>`). `allowedOrigins` lists the exact origins whose "
        "pages may post and read the answer (none: any page may post a plain HTML form)."
    ),
)
async def create_form(body: FormCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: _out(service.create_form(w.session, w.actor, w.brand, body)), status_code=201
    )


@router.get("/{formId}", response_model=FormTokenOut, summary="Get a web form")
async def get_form(form_id: str = FormId, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(lambda w: _out(service.get_form(w.session, w.actor, w.brand, form_id)))


@router.patch("/{formId}", response_model=FormTokenOut, summary="Change or enable/disable a form")
async def update_form(
    body: FormUpdate, form_id: str = FormId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: _out(service.update_form(w.session, w.actor, w.brand, form_id, body))
    )


@router.post(
    "/{formId}/regenerate",
    response_model=FormTokenOut,
    summary="Give the form a new token (the old URL stops working at once)",
)
async def regenerate_token(
    form_id: str = FormId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    return await uow.run(
        lambda w: _out(service.regenerate_token(w.session, w.actor, w.brand, form_id))
    )


@router.delete(
    "/{formId}",
    status_code=204,
    response_class=Response,
    summary="Delete a web form (its tickets stay)",
)
async def delete_form(form_id: str = FormId, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> None:
        service.delete_form(w.session, w.actor, w.brand, form_id)

    return await uow.run(work, status_code=204)
