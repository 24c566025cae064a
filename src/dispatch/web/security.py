"""Cookies, CSRF and where a request comes from: what every web route shares."""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from dispatch.email.outbound.config import public_base_url
from dispatch.settings import Settings
from dispatch.signin.service import Client

SESSION_COOKIE = "dispatch_session"
# Before sign-in there is no session to hold a CSRF token: the sign-in forms use a
# double-submit cookie (the form's hidden field must equal this cookie).
FORM_COOKIE = "dispatch_form"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def is_htmx(request: Request) -> bool:
    """A request htmx made (it swaps a part of the page; a full load otherwise)."""
    return request.headers.get("hx-request") == "true"


def client_of(request: Request) -> Client:
    return Client(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def secure_cookies(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure == "always":
        return True
    if settings.cookie_secure == "never":
        return False
    # uvicorn rewrites the scheme from X-Forwarded-Proto behind a trusted proxy.
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, settings: Settings, secret: str
) -> None:
    # No Max-Age: the server decides when a session ends (idle and absolute limits);
    # the browser forgets the cookie when it closes unless it restores sessions.
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_max_days * 86400,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def form_token(request: Request) -> str:
    """The pre-session CSRF token for this browser (made on first use)."""
    token = request.cookies.get(FORM_COOKIE)
    if not token or len(token) > 100:
        token = request.state.__dict__.setdefault("form_token", secrets.token_urlsafe(24))
    return token


def keep_form_token(response: Response, request: Request, settings: Settings) -> None:
    token = request.state.__dict__.get("form_token")
    if token:
        response.set_cookie(
            FORM_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request, settings),
            path="/",
        )


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and secrets.compare_digest(str(expected), str(given))


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path on this site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def base_url(request: Request) -> str:
    """Links in emails point where this request came in, unless DISPATCH_PUBLIC_URL
    says where the public reaches Dispatch."""
    settings: Settings = request.app.state.settings
    return public_base_url(settings) if settings.public_url.strip() else str(request.base_url)
