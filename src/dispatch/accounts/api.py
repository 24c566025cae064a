from __future__ import annotations

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from dispatch.accounts import service
from dispatch.accounts.auth import current_actor
from dispatch.accounts.models import ApiKey
from dispatch.accounts.schemas import (
    AccountOut,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyScopeUpdate,
    MemberCreate,
    MemberOut,
)
from dispatch.core import idempotency
from dispatch.core.actor import Actor
from dispatch.core.routing import api_router, get_session
from dispatch.core.schemas import SuccessOut

router = api_router(prefix="/accounts/me", tags=["Accounts"])
KeyId = Path(alias="keyId", max_length=64)


def _key_out(key: ApiKey) -> ApiKeyOut:
    preview = f"{key.prefix}...{key.last_four}"
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        key_preview=preview,
        prefix=key.prefix,
        all_brands=key.all_brands,
        brand_ids=list(key.brand_ids),
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        created_at=key.created_at,
    )


@router.get("", response_model=AccountOut, summary="The caller's account")
def get_account(
    actor: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> AccountOut:
    return AccountOut.model_validate(service.get_account(session, actor))


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="List API keys")
def list_keys(
    actor: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[ApiKeyOut]:
    return [_key_out(k) for k in service.list_keys(session, actor)]


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
def create_key(
    body: ApiKeyCreate,
    request: Request,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> ApiKeyCreated:
    issued = service.create_key(
        session,
        actor,
        name=body.name,
        all_brands=body.all_brands,
        brand_ids=body.brand_ids,
        expires_at=body.expires_at,
    )
    out = _key_out(issued.record)
    idempotency.redact_on_replay(request, "key", "secret")
    return ApiKeyCreated(**out.model_dump(), key=issued.secret, secret=issued.secret)


@router.patch("/api-keys/{keyId}/scope", response_model=SuccessOut, summary="Change a key's brands")
def update_scope(
    body: ApiKeyScopeUpdate,
    key_id: str = KeyId,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> SuccessOut:
    service.update_key_scope(
        session, actor, key_id, all_brands=body.all_brands, brand_ids=body.brand_ids
    )
    return SuccessOut()


@router.delete("/api-keys/{keyId}", response_model=SuccessOut, summary="Revoke an API key")
def revoke_key(
    key_id: str = KeyId,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> SuccessOut:
    service.revoke_key(session, actor, key_id)
    return SuccessOut()


@router.get("/members", response_model=list[MemberOut], summary="List team members")
def list_members(
    actor: Actor = Depends(current_actor), session: Session = Depends(get_session)
) -> list[MemberOut]:
    return [MemberOut.model_validate(m) for m in service.list_members(session, actor)]


@router.post("/members", response_model=MemberOut, status_code=201, summary="Add a team member")
def add_member(
    body: MemberCreate,
    actor: Actor = Depends(current_actor),
    session: Session = Depends(get_session),
) -> MemberOut:
    member = service.create_member(session, actor, email=body.email, name=body.name, role=body.role)
    return MemberOut.model_validate(member)
