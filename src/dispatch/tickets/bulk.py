"""Bulk actions: one action on many tickets, each ticket through the same service function
as a single change (same validation, activity entries, events), each in its own savepoint
so one refusal does not undo the others."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.email_address import EmailAddress
from dispatch.core.errors import DomainError, ValidationFailed
from dispatch.core.schemas import WIRE, ApiModel, Command
from dispatch.tags import service as tags_service
from dispatch.tickets import service
from dispatch.tickets.policy import require_staff
from dispatch.tickets.priority import Priority
from dispatch.tickets.schemas import CloseReason, TicketChanges
from dispatch.tickets.workflow import Trigger

Action = Literal[
    # The reference's actions...
    "spam",
    "resolve",
    "close",
    "delete",
    "assign",
    "setCategory",
    "setTags",
    # ...and ours.
    "notSpam",
    "setStatus",
    "setPriority",
    "addTags",
    "removeTags",
]
MAX_TICKETS = 100


class BulkAction(Command):
    action: Action
    ticket_ids: list[str] = Field(min_length=1, max_length=MAX_TICKETS)
    assignee_id: str | None = Field(None, max_length=64)
    assignee_email: EmailAddress | None = None
    category_id: str | None = Field(None, max_length=64)
    category_key: str | None = Field(None, max_length=50)
    tags: list[str] | None = Field(None, max_length=100)
    close_reason: CloseReason | None = None
    status: str | None = Field(None, max_length=50)
    priority: Priority | None = None

    @field_validator("ticket_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("ticketIds must not repeat an id")
        return value


class BulkRequest(BulkAction):
    model_config = WIRE


class BulkResult(ApiModel):
    ticket_id: str
    success: bool
    code: str | None = None
    message: str | None = None


class BulkOut(ApiModel):
    """The dashboard's `{success, failed}` counts, `count` as the SDK reads it, and a result
    per ticket."""

    success: int
    failed: int
    count: int
    results: list[BulkResult]


def _update_for(request: BulkAction) -> TicketChanges:
    fields = request.model_fields_set
    match request.action:
        case "spam" | "notSpam":
            return TicketChanges(is_spam=request.action == "spam")
        case "resolve":
            return TicketChanges(status="resolved")
        case "close":
            return TicketChanges(status="closed", close_reason=request.close_reason)
        case "setStatus":
            return TicketChanges(status=request.status)
        case "setPriority":
            return TicketChanges(priority=request.priority)
        case "assign":
            if "assignee_email" in fields and request.assignee_email is not None:
                return TicketChanges(assignee_email=request.assignee_email)
            return TicketChanges(assignee_id=request.assignee_id)
        case "setCategory":
            if request.category_key is not None:
                return TicketChanges(category_key=request.category_key)
            return TicketChanges(category_id=request.category_id)
        case "setTags":
            return TicketChanges(tags=request.tags)
    raise AssertionError(request.action)  # every action is matched above


# What each action needs: (field, wire name) pairs of which one must be given. A null
# counts as given where it means something: assignee and category null clear them.
NEEDED: dict[str, tuple[tuple[str, str], ...]] = {
    "setTags": (("tags", "tags"),),
    "addTags": (("tags", "tags"),),
    "removeTags": (("tags", "tags"),),
    "setStatus": (("status", "status"),),
    "setPriority": (("priority", "priority"),),
    "assign": (("assignee_id", "assigneeId"), ("assignee_email", "assigneeEmail")),
    "setCategory": (("category_id", "categoryId"), ("category_key", "categoryKey")),
}
NULL_CLEARS = {"assignee_id", "assignee_email", "category_id", "category_key"}


def _check_parameters(request: BulkAction) -> None:
    """The action's parameter must be there: a 422 naming it, before any ticket changes
    (an `assign` without assigneeId would otherwise unassign every ticket)."""
    needed = NEEDED.get(request.action)
    if needed is None:
        return
    for field, _wire in needed:
        if field in request.model_fields_set and (
            getattr(request, field) is not None or field in NULL_CLEARS
        ):
            return
    wire = " or ".join(w for _f, w in needed)
    raise ValidationFailed(needed[0][1], f"{request.action} needs {wire}")


# Actions whose change depends on each ticket: worked out ticket by ticket.
PER_TICKET = frozenset({"delete", "addTags", "removeTags"})


def _tag_edit(session: Session, ticket_id: str, request: BulkAction) -> TicketChanges:
    """The ticket's tags with `tags` added or removed (names compare case-blind): the
    full list a tag change takes."""
    current = [t.name for t in tags_service.tags_for_tickets(session, [ticket_id])[ticket_id]]
    given = request.tags or []
    if request.action == "addTags":
        have = {name.lower() for name in current}
        return TicketChanges(tags=current + [n for n in given if n.lower() not in have])
    dropped = {name.lower() for name in given}
    return TicketChanges(tags=[n for n in current if n.lower() not in dropped])


def _apply(
    session: Session,
    actor: Actor,
    brand: Brand,
    ticket_id: str,
    request: BulkAction,
    update: TicketChanges | None,
) -> None:
    if request.action == "delete":
        service.delete_ticket(session, actor, brand, ticket_id)
        return
    # update_ticket loads the ticket (brand and policy checked) before any tag changes.
    changes = update or _tag_edit(session, ticket_id, request)
    service.update_ticket(session, actor, brand, ticket_id, changes, trigger=Trigger.BULK)


def run(session: Session, actor: Actor, brand: Brand, request: BulkAction) -> BulkOut:
    require_staff(actor, "run bulk actions")
    _check_parameters(request)
    update = None if request.action in PER_TICKET else _update_for(request)
    # Tickets change in id order, the order every multi-ticket change locks in: each one
    # stays locked until commit, so two bulk actions taking the same tickets in different
    # orders would otherwise deadlock. The results keep the request's order.
    outcome: dict[str, BulkResult] = {}
    for ticket_id in sorted(request.ticket_ids):
        try:
            with session.begin_nested():
                _apply(session, actor, brand, ticket_id, request, update)
        except DomainError as error:
            outcome[ticket_id] = BulkResult(
                ticket_id=ticket_id, success=False, code=error.code, message=error.message
            )
        else:
            outcome[ticket_id] = BulkResult(ticket_id=ticket_id, success=True)
    results = [outcome[ticket_id] for ticket_id in request.ticket_ids]
    done = sum(r.success for r in results)
    return BulkOut(success=done, failed=len(results) - done, count=done, results=results)
