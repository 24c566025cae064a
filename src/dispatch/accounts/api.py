from __future__ import annotations

from fastapi import Depends, Path, Response

from dispatch.accounts import service
from dispatch.accounts.models import ApiKey
from dispatch.accounts.schemas import (
    AccountOut,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyScopeUpdate,
    MemberCreate,
    MemberOut,
    UsageOut,
)
from dispatch.core.routing import api_router
from dispatch.core.schemas import SuccessOut
from dispatch.unit_of_work import UnitOfWork, Work, unit_of_work

router = api_router(prefix="/accounts/me", tags=["Accounts"])
KeyId = Path(alias="keyId", max_length=64)


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        key_preview=f"{key.prefix}...{key.last_four}",
        prefix=key.prefix,
        all_brands=key.all_brands,
        brand_ids=list(key.brand_ids),
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        created_at=key.created_at,
    )


@router.get("", response_model=AccountOut, summary="The caller's account")
async def get_account(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: AccountOut.model_validate(service.get_account(w.session, w.actor))
    )


@router.get(
    "/usage",
    response_model=UsageOut,
    summary="Tickets and brands in use",
    description=(
        "Live tickets (not deleted, of live brands) created this calendar month (UTC) and in "
        "total, and live brands: of the brands the key may use. `plan` is always null: "
        "self-hosted Dispatch has no plans or limits."
    ),
)
async def get_usage(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(lambda w: service.get_usage(w.session, w.actor))


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="List API keys")
async def list_keys(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(lambda w: [_key_out(k) for k in service.list_keys(w.session, w.actor)])


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    summary="Create an API key (the secret is shown only in this response)",
    description=(
        "The secret (`key`, also as `secret`) appears only in this response. A retry with "
        "the same `Idempotency-Key` replays the response with `key` and `secret` null: "
        "the secret is never stored."
    ),
)
async def create_key(body: ApiKeyCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> ApiKeyCreated:
        issued = service.create_key(
            w.session,
            w.actor,
            name=body.name,
            all_brands=body.all_brands,
            brand_ids=body.brand_ids,
            expires_at=body.expires_at,
        )
        out = _key_out(issued.record)
        return ApiKeyCreated(**out.model_dump(), key=issued.secret, secret=issued.secret)

    return await uow.run(work, status_code=201, redact_on_replay=("key", "secret"))


@router.patch("/api-keys/{keyId}/scope", response_model=SuccessOut, summary="Change a key's brands")
async def update_scope(
    body: ApiKeyScopeUpdate, key_id: str = KeyId, uow: UnitOfWork = Depends(unit_of_work)
) -> Response:
    def work(w: Work) -> SuccessOut:
        service.update_key_scope(
            w.session, w.actor, key_id, all_brands=body.all_brands, brand_ids=body.brand_ids
        )
        return SuccessOut()

    return await uow.run(work)


@router.delete("/api-keys/{keyId}", response_model=SuccessOut, summary="Revoke an API key")
async def revoke_key(key_id: str = KeyId, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> SuccessOut:
        service.revoke_key(w.session, w.actor, key_id)
        return SuccessOut()

    return await uow.run(work)


@router.get("/members", response_model=list[MemberOut], summary="List team members")
async def list_members(uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    return await uow.run(
        lambda w: [MemberOut.model_validate(m) for m in service.list_members(w.session, w.actor)]
    )


@router.post("/members", response_model=MemberOut, status_code=201, summary="Add a team member")
async def add_member(body: MemberCreate, uow: UnitOfWork = Depends(unit_of_work)) -> Response:
    def work(w: Work) -> MemberOut:
        member = service.create_member(w.session, w.actor, body)
        return MemberOut.model_validate(member)

    return await uow.run(work, status_code=201)
