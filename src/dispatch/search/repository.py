"""Ticket search: the words of a query, each matched as a prefix, all required, found in a
ticket's title, body or requester, in any of its comments, or in its contact.

PostgreSQL answers from GIN full-text indexes, SQLite from FTS5 tables; both split text
into words the same way (letters and digits; '@' and '.' separate words).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, false, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from dispatch.comments.models import SYSTEM, Comment
from dispatch.contacts.models import Contact
from dispatch.core.db import one_of
from dispatch.search.models import TICKET_DOCUMENT
from dispatch.tickets.models import Ticket

MAX_TERMS = 10
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def terms(query: str) -> list[str]:
    """The words of a query, lowercased, at most MAX_TERMS."""
    return [word.lower() for word in _WORD.findall(query)][:MAX_TERMS]


def ticket_condition(
    session: Session, brand_ids: Collection[str], query: str
) -> ColumnElement[bool]:
    """A WHERE clause for tickets of `brand_ids` (one brand, or several for the
    cross-brand queue) that match `query`."""
    words = terms(query)
    if not words:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql(words)
    return _sqlite(brand_ids, words)


def plan_each_search(session: Session) -> None:
    """PostgreSQL: plan this transaction's searches for their own words. psycopg prepares
    a statement the fifth time a connection runs it, and PostgreSQL may then keep one
    generic plan for it, blind to how common the words are: it collected every match of a
    word most tickets contain where walking the newest tickets finds a page at once
    (bench/RESULTS.md, dashboard pages: p95 96 → 23 ms over the benchmark's queries)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_CUSTOM_PLANS)


_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


def _conversation(brand_ids: Collection[str]) -> list[ColumnElement[bool]]:
    """The comments a search looks in (SQLite; PostgreSQL's stored document takes the
    same): the brand's live ones, without the SYSTEM comments that record status changes
    ("Status changed from Open to Pending" would make every ticket that ever was pending
    match "pending")."""
    return [
        one_of(Comment.brand_id, brand_ids),
        Comment.deleted_at.is_(None),
        Comment.author_type != SYSTEM,
    ]


def _postgresql(words: list[str]) -> ColumnElement[bool]:
    # The stored document holds the conversation and the contact (see search/models.py):
    # one condition, whose selectivity the planner can estimate.
    tsquery = func.to_tsquery(
        literal_column("'simple'::regconfig"),
        func.dispatch_unaccent(" & ".join(f"{word}:*" for word in words)),
    )
    return TICKET_DOCUMENT.op("@@")(tsquery)


def _fts_rowids(fts_table: str, match: str) -> Any:
    fts = table(fts_table)
    return (
        select(literal_column("rowid"))
        .select_from(fts)
        .where(literal_column(fts_table).op("MATCH")(match))
    )


def _sqlite(brand_ids: Collection[str], words: list[str]) -> ColumnElement[bool]:
    # Each word a quoted prefix phrase; FTS5 requires all of them.
    match = " ".join(f'"{word}"*' for word in words)
    in_comments = select(Comment.ticket_id).where(
        *_conversation(brand_ids),
        literal_column("comments.rowid").in_(_fts_rowids("comments_fts", match)),
    )
    in_contacts = select(Contact.id).where(
        one_of(Contact.brand_id, brand_ids),
        Contact.deleted_at.is_(None),
        literal_column("contacts.rowid").in_(_fts_rowids("contacts_fts", match)),
    )
    return or_(
        literal_column("tickets.rowid").in_(_fts_rowids("tickets_fts", match)),
        Ticket.id.in_(in_comments),
        Ticket.customer_id.in_(in_contacts),
    )
