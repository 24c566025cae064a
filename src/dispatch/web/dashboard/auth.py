"""Signing in and out: password, emailed link, password reset, invitations, first run.

Before sign-in there is no session: these forms are protected by a double-submit token
(a cookie and the same value in the form). Links from emails open a page with a button
rather than acting on GET, so mail scanners that prefetch links spend nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from dispatch.core import transaction
from dispatch.core.db import Database
from dispatch.core.errors import DomainError
from dispatch.settings import Settings
from dispatch.signin import service as signin
from dispatch.signin.errors import LinkInvalid, SignInRefused
from dispatch.web.runner import CsrfRejected, Screen, WebError, run
from dispatch.web.security import (
    FORM_COOKIE,
    base_url,
    clear_session_cookie,
    client_of,
    keep_form_token,
    safe_next,
    same_token,
    set_session_cookie,
)
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)
T = TypeVar("T")

Field = Annotated[str, Form()]
# Links that lead to choosing a password, by the purpose in their URLs.
SET_PASSWORD = frozenset({"reset", "invite", "setup"})


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _transaction(request: Request, work: Callable[[Session], T], csrf: str) -> T:
    """Run a pre-session form's work in one transaction, after its CSRF check."""
    if not same_token(request.cookies.get(FORM_COOKIE), csrf):
        raise WebError(CsrfRejected())
    database: Database = request.app.state.database
    try:
        return await run_in_threadpool(transaction.run, database, work)
    except DomainError as error:
        raise WebError(error) from error


def _form_page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> Response:
    response = page(request, template, status_code=status_code, **context)
    keep_form_token(response, request, _settings(request))
    return response


def _signed_in(request: Request, started: signin.SignedIn, next_url: str | None) -> Response:
    response = RedirectResponse(safe_next(next_url), status_code=303)
    set_session_cookie(response, request, _settings(request), started.secret)
    return response


@router.get("/signin")
async def signin_form(request: Request, next: str = "/") -> Response:
    return _form_page(request, "auth/signin.html", next=safe_next(next))


@router.post("/signin")
async def signin_submit(
    request: Request, email: Field, password: Field, csrf_token: Field, next: Field = "/"
) -> Response:
    settings, client = _settings(request), client_of(request)
    try:
        started = await _transaction(
            request,
            lambda s: signin.sign_in_with_password(s, settings, email, password, client),
            csrf_token,
        )
    except WebError as refused:
        if isinstance(refused.error, SignInRefused):
            database: Database = request.app.state.database
            await run_in_threadpool(
                transaction.run,
                database,
                lambda s: signin.record_failure(s, email.strip().lower(), client),
            )
        return _form_page(
            request,
            "auth/signin.html",
            status_code=refused.error.status,
            error=refused.error.message,
            email=email,
            next=safe_next(next),
        )
    return _signed_in(request, started, next)


@router.get("/signin/link")
async def link_form(request: Request) -> Response:
    return _form_page(request, "auth/request_link.html", purpose="sign_in")


@router.get("/password/forgot")
async def forgot_form(request: Request) -> Response:
    return _form_page(request, "auth/request_link.html", purpose="reset")


@router.post("/signin/link")
@router.post("/password/forgot")
async def request_link(
    request: Request, email: Field, csrf_token: Field, purpose: Field = "sign_in"
) -> Response:
    if purpose not in ("sign_in", "reset"):
        purpose = "sign_in"
    settings, link_base = _settings(request), base_url(request)
    await _transaction(
        request, lambda s: signin.request_link(s, settings, email, purpose, link_base), csrf_token
    )
    # The same answer whether or not the address belongs to anyone.
    return _form_page(request, "auth/link_sent.html", email=email.strip(), purpose=purpose)


@router.get("/auth/sign-in/{token}")
async def link_landing(request: Request, token: str) -> Response:
    return _form_page(request, "auth/link_landing.html", token=token)


@router.post("/auth/sign-in/{token}")
async def link_signin(request: Request, token: str, csrf_token: Field) -> Response:
    settings, client = _settings(request), client_of(request)
    try:
        started = await _transaction(
            request, lambda s: signin.sign_in_with_link(s, settings, token, client), csrf_token
        )
    except WebError as refused:
        return _form_page(
            request, "auth/link_invalid.html", status_code=refused.error.status,
            error=refused.error.message,
        )  # fmt: skip
    return _signed_in(request, started, "/")


async def _peek(request: Request, token: str, purpose: str) -> str | None:
    """The address a set-password link is for, or None when it no longer works."""
    database: Database = request.app.state.database

    def look(session: Session) -> str:
        return signin.peek_link(session, token, purpose)

    try:
        return await run_in_threadpool(transaction.run, database, look, write=False)
    except LinkInvalid:
        return None


@router.get("/auth/{purpose}/{token}")
async def set_password_form(request: Request, purpose: str, token: str) -> Response:
    if purpose not in SET_PASSWORD:
        return _form_page(request, "auth/link_invalid.html", status_code=404,
                          error=LinkInvalid().message)  # fmt: skip
    email = await _peek(request, token, purpose)
    if email is None:
        return _form_page(request, "auth/link_invalid.html", status_code=400,
                          error=LinkInvalid().message)  # fmt: skip
    return _form_page(
        request, "auth/set_password.html", purpose=purpose, token=token,
        email="" if purpose == "setup" else email,
    )  # fmt: skip


@router.post("/auth/{purpose}/{token}")
async def set_password(
    request: Request,
    purpose: str,
    token: str,
    password: Field,
    csrf_token: Field,
    name: Annotated[str | None, Form()] = None,
    email: Annotated[str | None, Form()] = None,
) -> Response:
    if purpose not in SET_PASSWORD:
        return _form_page(request, "auth/link_invalid.html", status_code=404,
                          error=LinkInvalid().message)  # fmt: skip
    settings, client = _settings(request), client_of(request)
    try:
        started = await _transaction(
            request,
            lambda s: signin.set_password_with_link(
                s,
                settings,
                token,
                purpose,
                password,
                client,
                name=name,
                email=email if purpose == "setup" else None,
            ),
            csrf_token,
        )
    except WebError as refused:
        template = "auth/link_invalid.html" if isinstance(refused.error, LinkInvalid) else None
        return _form_page(
            request, template or "auth/set_password.html", status_code=refused.error.status,
            error=refused.error.message, purpose=purpose, token=token, email=email or "",
            name=name or "",
        )  # fmt: skip
    return _signed_in(request, started, "/")


@router.post("/signout")
async def signout(request: Request, csrf_token: Field, everywhere: Field = "") -> Response:
    def end(screen: Screen) -> None:
        if everywhere:
            signin.sign_out_everywhere(screen.session, screen.member.id)
        else:
            signin.sign_out(screen.session, screen.web_session)

    await run(request, end, write=True)  # checks the session's CSRF token
    response = RedirectResponse("/signin", status_code=303)
    clear_session_cookie(response)
    return response
