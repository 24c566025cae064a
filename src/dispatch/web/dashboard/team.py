"""Team: who is on it, inviting members (owners and admins), and the member's own
password and sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from dispatch.accounts import service as accounts
from dispatch.accounts.schemas import NewMember
from dispatch.core.actor import Role
from dispatch.signin import service as signin
from dispatch.web.dashboard.auth import base_url
from dispatch.web.runner import Screen, command, run
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
