"""A batch's emails made ahead, in a reading transaction (the worker does so on SQLite,
whose single write lock every API write waits behind): the writing transaction only
writes them, and only for the very events it claims."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.comments.schemas import NewComment
from dispatch.comments.service import create_comment
from dispatch.core import consumers, transaction
from dispatch.core.db import Database
from dispatch.core.events import EMAIL, EventInbox
from dispatch.email import notifications
from dispatch.email.models import EmailMessage
from dispatch.settings import Settings
from dispatch.tickets.schemas import NewTicket
from dispatch.tickets.service import create_ticket
from dispatch.worker import mail
from dispatch.worker.mail import MailJobs
from tests.comments.helpers import post_comment
from tests.conftest import BACKEND, Api, make_ticket
from tests.email.outbound.helpers import Json, emails, generate, thread_rows
from tests.tickets.helpers import committed_brand


def _prepared(database: Database, settings: Settings) -> notifications.Prepared:
    prepared = transaction.run(
        database, lambda s: notifications.prepare_next(s, settings=settings), write=False
    )
    assert prepared is not None
    return prepared


def _write(database: Database, settings: Settings, prepared: notifications.Prepared) -> int:
    return transaction.run(
        database,
        lambda s: notifications.generate_from_events(s, settings=settings, prepared=prepared),
    )


def test_made_ahead_the_emails_are_written_without_rendering_anything_again(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    comment = post_comment(api, brand, ticket, body="We shipped a fix.")
    prepared = _prepared(database, settings)
    assert emails(session) == []  # making them wrote nothing
    later = post_comment(api, brand, ticket, body="And a follow-up.")  # comes meanwhile

    def no_rendering(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("rendered under the write lock")

    monkeypatch.setattr(notifications, "render", no_rendering)
    assert _write(database, settings, prepared) == len(prepared.positions)

    [email] = emails(session, ticket_id=ticket["id"])
    assert email.kind == "comment"
    assert "We shipped a fix." in email.text_body
    [recorded] = thread_rows(session, ticket["id"])
    assert (recorded.message_id, recorded.comment_id) == (email.message_id, comment["id"])
    monkeypatch.undo()
    assert generate(database, settings) > 0  # the later event waited for its own batch
    assert [e.comment_id for e in thread_rows(session, ticket["id"])] == [
        comment["id"],
        later["id"],
    ]


def test_events_another_worker_took_meanwhile_are_not_mailed_twice(
    api: Api, brand: Json, database: Database, session: Session, settings: Settings
) -> None:
    first = make_ticket(api, brand, customerEmail="jane@example.com")
    post_comment(api, brand, first, body="One")
    second = make_ticket(api, brand, customerEmail="joe@example.com")
    post_comment(api, brand, second, body="Two")
    prepared = _prepared(database, settings)
    # Another worker consumes the oldest event before this one writes its batch.
    transaction.run(
        database,
        lambda s: notifications.generate_from_events(s, limit=1, settings=settings),
    )

    considered = _write(database, settings, prepared)

    assert considered == len(prepared.positions) - 1
    assert [len(emails(session, ticket_id=t["id"])) for t in (first, second)] == [1, 1]
    assert generate(database, settings) == 0


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's single writer")
def test_on_sqlite_the_worker_makes_emails_while_another_transaction_holds_the_write_lock(
    database_url: str, settings: Settings
) -> None:
    with committed_brand(database_url) as (database, actor, brand_id):

        def reply(session: Session) -> None:
            brand = session.get(Brand, brand_id)
            assert brand is not None
            ticket = create_ticket(
                session,
                actor,
                brand,
                NewTicket.model_validate({"title": "Help", "customer_email": "j@example.com"}),
            )
            create_comment(session, actor, brand, ticket.id, NewComment(body="On it."))

        transaction.run(database, reply)
        jobs = MailJobs(database, settings, worker="test")
        made: list[notifications.Prepared | None] = []
        holder = database.session()
        holder.execute(text("SELECT 1"))  # a writing session takes the lock at once
        try:
            thread = threading.Thread(target=lambda: made.append(jobs._prepare(jobs.event_batch)))
            thread.start()
            thread.join(timeout=15)
            assert made, "making the emails waited for the write lock"
        finally:
            holder.rollback()
            holder.close()
        [prepared] = made
        assert prepared is not None
        assert len(prepared.rows) == 2  # the email and its thread entry
        assert jobs._generate() == len(prepared.positions)
        with database.session(write=False) as session:
            recorded = session.scalars(
                select(EmailMessage).where(EmailMessage.brand_id == brand_id)
            ).all()
            assert len(recorded) == 1


def test_a_mail_pass_asks_for_the_next_at_once_only_after_a_full_batch(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Otherwise the loop lets events gather: a pass per commit made batches of one,
    each paying all of a pass's reads."""
    ticket, waiting = _three_replies(api, brand, session, monkeypatch)
    monkeypatch.setattr(mail, "EVENT_BATCH", waiting - 1)
    jobs = MailJobs(database, settings, worker="test")

    assert jobs.run_pass() is True  # a full batch: more may wait
    assert jobs.run_pass() is False  # the one event left: the loop may pause
    assert len(emails(session, ticket_id=ticket["id"])) == 3


def test_on_sqlite_a_mail_pass_makes_at_most_a_small_batch(
    api: Api,
    brand: Json,
    database: Database,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite: the emails are written in the write lock every API write waits behind, at
    most `consumers.SQLITE_BATCH` events a pass; PostgreSQL takes its whole batch."""
    ticket, waiting = _three_replies(api, brand, session, monkeypatch)
    monkeypatch.setattr(consumers, "SQLITE_BATCH", waiting - 1)
    jobs = MailJobs(database, settings, worker="test")

    sqlite = database.dialect == "sqlite"
    assert jobs.run_pass() is sqlite  # a full batch on SQLite: more may wait
    assert jobs.run_pass() is False
    assert len(emails(session, ticket_id=ticket["id"])) == 3


def _three_replies(
    api: Api, brand: Json, session: Session, monkeypatch: pytest.MonkeyPatch
) -> tuple[Json, int]:
    """A ticket with three replies to email its customer about (the mail jobs with one
    inbound thread); how many events wait for the email consumer."""
    monkeypatch.setattr(MailJobs, "inbound_threads", property(lambda _jobs: 1))
    ticket = make_ticket(api, brand, customerEmail="jane@example.com")
    for body in ("One", "Two", "Three"):
        post_comment(api, brand, ticket, body=body)
    waiting = session.scalar(
        select(func.count()).select_from(EventInbox).where(EventInbox.consumer == EMAIL)
    )
    assert waiting is not None
    assert waiting >= 3
    return ticket, waiting
