"""Account → API keys: the live keys (name, prefix, brand scope, created, last used),
creating one scoped to all brands or some (its secret shown on the next page only,
with a copy button), changing a key's brands, and revoking one after a confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewApiKey
from dispatch.core import clock
from dispatch.core.errors import ValidationFailed
from dispatch.web.dashboard.account.shell import account_shell
from dispatch.web.dashboard.inbox import day_bound
from dispatch.web.forms import field_errors
from dispatch.web.listing import redirect_to
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

BASE = "/account/keys"
# The service's field names, as the form's.
_FIELDS = {
    "brandIds": "brand_ids",
    "brand_ids": "brand_ids",
    "name": "name",
    "expires_on": "expires_on",
}


def _keys(screen: Screen, **extra: Any) -> dict[str, Any]:
    return {
        **account_shell(screen, "keys"),
        "keys": accounts.list_keys(screen.session, screen.actor),
        "values": {"access": "all"},
        "errors": {},
        **extra,
    }


def _notice(request: Request) -> str | None:
    query = request.query_params
    if revoked := query.get("revoked"):
        return f"Revoked {revoked[:200]}: requests with it are refused from now on"
    if scoped := query.get("scoped"):
        return f"Saved the brands {scoped[:200]} may use"
    return None


def _expiry(expires_on: str) -> datetime | None:
    """The end of the chosen day (UTC): the key works through that day. None: never."""
    expires_at = day_bound(expires_on.strip(), "expires_on", next_day=True)
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationFailed("expires_on", "Choose today or a later day")
    return expires_at


def _scope(access: str, brand_ids: list[str] | None) -> list[str] | None:
    """The brands a form chose: None for all; a refusal for "only these" with none."""
    if access == "all":
        return None
    if not brand_ids:
        raise ValidationFailed("brand_ids", "Choose the brands it may use, or all brands")
    return brand_ids


@router.get(BASE)
async def keys_page(request: Request) -> Response:
    context = await run(request, _keys)
    return page(request, "account/keys.html", notice=_notice(request), **context)


@router.post(BASE)
async def create(
    request: Request,
    name: Annotated[str, Form()] = "",
    access: Annotated[str, Form()] = "all",
    brand_ids: Annotated[list[str] | None, Form()] = None,
    expires_on: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "name": name,
        "access": access,
        "brand_ids": brand_ids or [],
        "expires_on": expires_on,
    }

    def work(screen: Screen) -> dict[str, Any]:
        expires_at = _expiry(expires_on)
        scope = _scope(access, brand_ids)
        data = command(
            NewApiKey, name=name.strip() or "API key", all_brands=scope is None, brand_ids=scope
        )
        issued = accounts.create_key(
            screen.session,
            screen.actor,
            name=data.name,
            all_brands=data.all_brands,
            brand_ids=data.brand_ids,
            expires_at=expires_at,
        )
        return {**account_shell(screen, "keys"), "key": issued.record, "secret": issued.secret}

    try:
        context = await run(request, work, write=True)
    except WebError as refused:
        errors = field_errors(refused.error)
        if errors is None:
            raise
        shown = {_FIELDS.get(f, "brand_ids"): message for f, message in errors.items()}
        context = await run(request, lambda s: _keys(s, values=values, errors=shown))
        return page(request, "account/keys.html", status_code=422, **context)
    return page(request, "account/key_created.html", **context)


@router.post(BASE + "/{key_id}/scope")
async def change_scope(
    request: Request,
    key_id: str,
    access: Annotated[str, Form()] = "all",
    brand_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def work(screen: Screen) -> str:
        accounts.get_key(screen.session, screen.actor, key_id)  # another's is a 404 first
        scope = _scope(access, brand_ids)
        key = accounts.update_key_scope(
            screen.session, screen.actor, key_id, all_brands=scope is None, brand_ids=scope
        )
        return key.name

    try:
        name = await run(request, work, write=True)
    except WebError as refused:
        errors = field_errors(refused.error)
        if errors is None:
            raise
        shown = {"scope": next(iter(errors.values())), "scope_key": key_id}
        context = await run(request, lambda s: _keys(s, errors=shown))
        return page(request, "account/keys.html", status_code=422, **context)
    return redirect_to(BASE, scoped=name)


@router.post(BASE + "/{key_id}/revoke")
async def revoke(request: Request, key_id: str) -> Response:
    def work(screen: Screen) -> str:
        return accounts.revoke_key(screen.session, screen.actor, key_id).name

    return redirect_to(BASE, revoked=await run(request, work, write=True))
