"""Wire shapes of a comment: the API object, the thread, and the event payloads."""

from __future__ import annotations

from typing import Any

from dispatch.brands.models import Brand
from dispatch.comments.models import Comment
from dispatch.comments.schemas import CommentOut, ThreadedCommentOut
from dispatch.tickets.models import Ticket


def comment_out(comment: Comment) -> CommentOut:
    return CommentOut(
        id=comment.id,
        ticket_id=comment.ticket_id,
        body=comment.body,
        author_id=comment.author_id,
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_type=comment.author_type,
        is_internal=comment.is_internal,
        parent_id=comment.parent_id,
        links=comment.links,
        metadata={**comment.metadata_, "isInternal": comment.is_internal},
        source=comment.source,
        source_id=comment.source_id,
        source_data=comment.source_data,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
    )


def thread(comments: list[Comment]) -> list[ThreadedCommentOut]:
    """Top-level comments with their replies nested, each level oldest first. A reply
    whose parent is gone (deleted) is shown at the top level."""
    nodes = {c.id: ThreadedCommentOut(**comment_out(c).model_dump(), replies=[]) for c in comments}
    top: list[ThreadedCommentOut] = []
    for comment in comments:
        node = nodes[comment.id]
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent.replies if parent is not None else top).append(node)
    return top


def customer(ticket: Ticket) -> dict[str, Any]:
    return {
        "customerId": ticket.customer_id,
        "customerEmail": ticket.customer_email,
        "customerName": ticket.customer_name,
    }


def comment_payload(out: CommentOut, ticket: Ticket, brand: Brand, **extra: Any) -> dict[str, Any]:
    """`comment.*` data: the comment, its ticket and the ticket's customer."""
    return {
        **out.model_dump(mode="json", by_alias=True),
        "ticketId": ticket.id,
        "ticketNumber": brand.public_id(ticket.ticket_number),
        **customer(ticket),
        **extra,
    }


def ticket_comment_payload(out: CommentOut, ticket: Ticket, brand: Brand) -> dict[str, Any]:
    """`ticket.comment.created` data, the reference SDK's typed payload (plus isInternal,
    so receivers never mail an internal note to a customer)."""
    rendered = out.model_dump(mode="json", by_alias=True)
    return {
        "ticketId": ticket.id,
        "ticketNumber": brand.public_id(ticket.ticket_number),
        "comment": {
            "id": rendered["id"],
            "body": rendered["body"],
            "authorId": rendered["authorId"],
            "authorType": rendered["authorType"],
            "isInternal": rendered["isInternal"],
            "createdAt": rendered["createdAt"],
        },
        **customer(ticket),
    }
