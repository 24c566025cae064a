"""Team: who is on it, inviting members (owners and admins), a member's page (role,
brand access, deactivate or reactivate, resend the invitation), and the member's own
password and sessions. Changes go through the accounts services, whose rules are the
API's: an admin changes members only, only owners make owners, the last active owner
stays one, nobody deactivates themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewMember
from dispatch.core.actor import Actor, Role
from dispatch.signin import service as signin
from dispatch.web.forms import field_errors
from dispatch.web.listing import redirect_to
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.security import base_url
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)


def _team(screen: Screen) -> dict[str, Any]:
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "team": accounts.list_members(screen.session, screen.actor),
        "can_invite": screen.actor.role in (Role.OWNER, Role.ADMIN),
        "nav": "team",
    }


@router.get("/team")
async def team(request: Request) -> Response:
    return page(request, "team.html", **await run(request, _team))


@router.post("/team/invite")
async def invite(
    request: Request,
    email: Annotated[str, Form()],
    role: Annotated[str, Form()] = "member",
    name: Annotated[str, Form()] = "",
    access: Annotated[str, Form()] = "all",
    brand_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    link_base = base_url(request)

    def work(screen: Screen) -> dict[str, Any]:
        data = command(
            NewMember,
            email=email,
            name=name.strip() or None,
            role=role,
            all_brands=access == "all",
            brand_ids=brand_ids if access != "all" else None,
        )
        invited = signin.invite(screen.session, screen.settings, screen.actor, data, link_base)
        return {**_team(screen), "notice": f"Invitation sent to {invited.email}"}

    return page(request, "team.html", **await run(request, work, write=True))


@router.post("/team/{member_id}/resend")
async def resend(request: Request, member_id: str) -> Response:
    link_base = base_url(request)

    def work(screen: Screen) -> dict[str, Any]:
        member = signin.resend_invitation(
            screen.session, screen.settings, screen.actor, member_id, link_base
        )
        return {**_team(screen), "notice": f"Invitation sent again to {member.email}"}

    return page(request, "team.html", **await run(request, work, write=True))


# --- one member -------------------------------------------------------------------------

MEMBER = "/team/{member_id}"
DONE = {
    "role": "Role changed",
    "access": "Brand access saved",
    "deactivated": "Deactivated: they can no longer sign in",
    "reactivated": "Reactivated: they can sign in again",
}


def _member_page(screen: Screen, member_id: str) -> dict[str, Any]:
    teammate = accounts.get_member(screen.session, screen.actor, member_id)
    manages = screen.actor.role is Role.OWNER or (
        screen.actor.role is Role.ADMIN
        and (teammate.role == Role.MEMBER or teammate.id == screen.member.id)
    )
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "teammate": teammate,
        "can_manage": manages,
        "nav": "team",
    }


@router.get(MEMBER)
async def member_page(request: Request, member_id: str) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    context = await run(request, lambda s: _member_page(s, member_id))
    return page(request, "team/member.html", notice=done, **context)


Change = Callable[[Session, Actor, str], object]


async def _change(request: Request, member_id: str, change: Change, done: str) -> Response:
    """Run a change of the member; back to their page, which says what happened. A
    refusal about the form's fields shows the page with them (422), nothing changed."""
    try:
        await run(request, lambda s: change(s.session, s.actor, member_id), write=True)
    except WebError as refused:
        errors = field_errors(refused.error)
        if errors is None:
            raise
        context = await run(request, lambda s: _member_page(s, member_id))
        return page(request, "team/member.html", status_code=422, errors=errors, **context)
    return redirect_to(MEMBER.format(member_id=member_id), done=done)


@router.post(MEMBER + "/role")
async def change_role(request: Request, member_id: str, role: Annotated[str, Form()]) -> Response:
    def change(session: Session, actor: Actor, target: str) -> None:
        accounts.change_role(session, actor, target, role)

    return await _change(request, member_id, change, "role")


@router.post(MEMBER + "/access")
async def change_access(
    request: Request,
    member_id: str,
    access: Annotated[str, Form()] = "all",
    brand_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def change(session: Session, actor: Actor, target: str) -> None:
        everything = access == "all"
        chosen = [] if everything else brand_ids or []
        accounts.set_brand_access(session, actor, target, all_brands=everything, brand_ids=chosen)

    return await _change(request, member_id, change, "access")


@router.post(MEMBER + "/deactivate")
async def deactivate(request: Request, member_id: str) -> Response:
    return await _change(request, member_id, accounts.deactivate_member, "deactivated")


@router.post(MEMBER + "/reactivate")
async def reactivate(request: Request, member_id: str) -> Response:
    return await _change(request, member_id, accounts.reactivate_member, "reactivated")


@router.get("/account/security")
async def security(request: Request) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        return {"member": screen.member, "brands": screen.brands(), "nav": "security"}

    return page(request, "security.html", **await run(request, work))


@router.post("/account/password")
async def change_password(
    request: Request,
    new_password: Annotated[str, Form()],
    current_password: Annotated[str, Form()] = "",
) -> Response:
    def work(screen: Screen) -> dict[str, Any]:
        signin.change_password(
            screen.session, screen.settings, screen.web_session, screen.member,
            current_password, new_password,
        )  # fmt: skip
        return {
            "member": screen.member,
            "brands": screen.brands(),
            "nav": "security",
            "notice": "Password changed. Your other sessions were signed out.",
        }

    return page(request, "security.html", **await run(request, work, write=True))


@router.post("/account/signout-others")
async def sign_out_others(request: Request) -> Response:
    def work(screen: Screen) -> None:
        signin.sign_out_everywhere(screen.session, screen.member.id, keep=screen.web_session.id)

    await run(request, work, write=True)
    return RedirectResponse("/account/security?signed_out=1", status_code=303)
