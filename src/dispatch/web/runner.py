"""The dashboard's unit of work: one transaction per request, with the member actor
from the session cookie (the API's is `dispatch.unit_of_work`, with an API key's).

A route hands `run` a function of a `Screen`; it runs in a worker thread inside
`core.transaction.run` (commit once, roll back on error, retry deadlocks). State-changing
requests must carry the session's CSRF token (form field or X-CSRF-Token header; htmx
sends the header from the page's `hx-headers`). Templates render after the commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dispatch.accounts.models import Member
from dispatch.accounts.service import member_actor
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.core.errors import DomainError
from dispatch.core.routing import READ_METHODS
from dispatch.settings import Settings
from dispatch.signin import service as signin
from dispatch.signin.models import WebSession
from dispatch.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, same_token

T = TypeVar("T")


class NotSignedIn(Exception):
    """No live session: pages redirect to sign-in, htmx requests are told to."""


class CsrfRejected(DomainError):
    status = 403
    code = "csrf_rejected"

    def __init__(self) -> None:
        super().__init__("This form has expired. Reload the page and try again")


class WebError(Exception):
    """A refusal from a service, to be shown as a page or a message (not as JSON)."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, slots=True)
class Screen:
    """What a dashboard route's work runs with."""

    session: Session
    actor: Actor
    member: Member
    web_session: WebSession
    settings: Settings

    def brands(self) -> list[Brand]:
        """The brands the member may open, for the sidebar and pickers."""
        return brands.list_brands(self.session, self.actor)

    def brand(self, brand_id: str) -> Brand:
        """A brand the member may open; 404 otherwise (outside the account or access)."""
        return brands.get_brand(self.session, self.actor, brand_id)


def command(model: type[BaseModel], **fields: Any) -> Any:
    """Build a service command from form fields; pydantic's complaints become the same
    field errors (422) a service's refusal carries."""
    try:
        return model(**fields)
    except ValidationError as exc:
        errors = [
            {"field": str(e["loc"][0]), "message": str(e["msg"]).removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        raise DomainError(
            "Check the highlighted fields", code="validation_error", status=422, errors=errors
        ) from exc


async def run(request: Request, work: Callable[[Screen], T], *, write: bool = False) -> T:
    """Run `work` for the signed-in member in one transaction. Raises NotSignedIn
    without a live session, WebError when a service refuses."""
    secret = request.cookies.get(SESSION_COOKIE, "")
    given_csrf = None
    if request.method not in READ_METHODS:
        given_csrf = request.headers.get(CSRF_HEADER)
        if given_csrf is None:
            form = await request.form()
            field = form.get(CSRF_FIELD)
            given_csrf = field if isinstance(field, str) else None
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings

    def in_transaction(session: Session) -> T:
        found = signin.resume(session, settings, secret)
        if found is None:
            raise NotSignedIn()
        web_session, member = found
        if request.method not in READ_METHODS and not same_token(
            web_session.csrf_token, given_csrf
        ):
            raise CsrfRejected()
        request.state.web_session = web_session
        # Read now: after a rollback the row's attributes are expired.
        request.state.csrf = web_session.csrf_token
        if write and signin.needs_touch(web_session):
            signin.touch(session, web_session.id)
        screen = Screen(session, member_actor(member), member, web_session, settings)
        return work(screen)

    try:
        result = await run_in_threadpool(transaction.run, database, in_transaction, write=write)
    except DomainError as error:
        raise WebError(error) from error
    web_session = request.state.web_session
    if not write and signin.needs_touch(web_session):
        # A page that only reads keeps its reading transaction (no write lock on
        # SQLite); the session's idle clock moves in its own short write when due.
        await run_in_threadpool(
            transaction.run, database, lambda session: signin.touch(session, web_session.id)
        )
    return result
