"""The worker's inbound job: stored messages are leased, processed once each, and a crash
between storing and processing (or during processing) loses nothing and doubles nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from dispatch.brands.models import Brand
from dispatch.core import transaction
from dispatch.core.errors import ValidationFailed
from dispatch.email import inbound, service, threads
from dispatch.email.addresses import Mailbox
from dispatch.email.models import InboundMessage
from dispatch.tickets.models import Ticket
from dispatch.worker.mail import MailJobs
from tests.conftest import Api
from tests.email.inbound.conftest import DOMAIN, Mailroom, mail
from tests.tickets.helpers import committed_brand

Json = dict[str, Any]


def tickets_of(mailroom: Mailroom, brand: Json) -> int:
    stmt = select(func.count()).select_from(Ticket).where(Ticket.brand_id == brand["id"])
    return int(mailroom.session.scalar(stmt) or 0)


def row(mailroom: Mailroom, message_id: str) -> InboundMessage:
    found = mailroom.session.get(InboundMessage, message_id, populate_existing=True)
    assert found is not None
    return found


def store(mailroom: Mailroom, brand: Json, **kwargs: Any) -> str:
    return mailroom.store(brand, mail(to=f"{brand['slug']}@{DOMAIN}", **kwargs)).id


def test_an_idle_mail_pass_only_reads(
    mailroom: Mailroom, brand: Json, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker looks for mail several times a second: with none waiting it must not
    queue for SQLite's single write lock (the API's writes wait behind each taker)."""
    opened: list[bool] = []
    session = mailroom.database.session

    def recording(*, write: bool = True) -> Any:
        opened.append(write)
        return session(write=write)

    monkeypatch.setattr(mailroom.database, "session", recording)
    # One inbound thread: the test's sessions share one connection, which threads cannot.
    monkeypatch.setattr(MailJobs, "inbound_threads", property(lambda _jobs: 1))
    jobs = MailJobs(mailroom.database, mailroom.settings, worker="w1")
    assert jobs.run_pass() is False
    assert opened
    assert True not in opened

    store(mailroom, brand)
    opened.clear()
    assert inbound.process_received(mailroom.database) == 1
    assert opened[0] is False
    assert True in opened


def test_a_required_field_never_turns_an_email_away(
    mailroom: Mailroom, brand: Json, api: Api
) -> None:
    """An email cannot fill custom fields: a field the team requires is theirs to fill."""
    field = {"key": "risk", "label": "Risk", "type": "text", "required": True}
    api.ok("post", f"/brands/{brand['id']}/fields/ticket", 201, json=field)
    store(mailroom, brand)

    assert inbound.process_received(mailroom.database) == 1
    assert tickets_of(mailroom, brand) == 1


def test_a_stored_message_becomes_one_ticket_however_often_the_job_runs(
    mailroom: Mailroom, brand: Json
) -> None:
    stored = store(mailroom, brand)
    assert tickets_of(mailroom, brand) == 0

    assert inbound.process_received(mailroom.database) == 1
    assert inbound.process_received(mailroom.database) == 0

    message = row(mailroom, stored)
    assert message.status == service.PROCESSED
    assert message.outcome is not None
    assert message.outcome["action"] == "created"
    assert (message.leased_by, message.lease_expires_at) == (None, None)
    assert message.attempts == 1
    assert tickets_of(mailroom, brand) == 1


def test_a_message_whose_lease_lapsed_is_processed_once_by_the_next_claim(
    mailroom: Mailroom, brand: Json, frozen_clock: Any
) -> None:
    stored = store(mailroom, brand)
    # A worker leased it and died before processing it.
    assert service.claim(mailroom.session, "crashed", limit=10, lease=inbound.LEASE) == [stored]
    mailroom.session.commit()

    assert inbound.process_received(mailroom.database) == 0
    frozen_clock.advance(seconds=inbound.LEASE.total_seconds() - 1)
    assert inbound.process_received(mailroom.database) == 0
    frozen_clock.advance(seconds=2)
    assert inbound.process_received(mailroom.database) == 1
    assert inbound.process_received(mailroom.database) == 0

    message = row(mailroom, stored)
    assert message.status == service.PROCESSED
    assert message.attempts == 2
    assert tickets_of(mailroom, brand) == 1


def test_a_worker_that_lost_its_lease_cannot_process_the_message_again(
    mailroom: Mailroom, brand: Json, frozen_clock: Any
) -> None:
    stored = store(mailroom, brand)
    assert service.claim(mailroom.session, "slow", limit=10, lease=inbound.LEASE) == [stored]
    mailroom.session.commit()
    frozen_clock.advance(seconds=inbound.LEASE.total_seconds() + 1)
    # Another worker takes over the lapsed lease and processes the message.
    assert inbound.process_received(mailroom.database) == 1

    # The slow worker wakes up: its lease is gone, and the message is done.
    assert service.leased(mailroom.session, stored, "slow") is None
    assert service.claim(mailroom.session, "slow", limit=10, lease=inbound.LEASE) == []
    message = row(mailroom, stored)
    again = inbound.process_message(mailroom.session, message)
    mailroom.session.commit()

    assert again == message.outcome
    assert tickets_of(mailroom, brand) == 1


def test_concurrent_claims_take_disjoint_messages(mailroom: Mailroom, brand: Json) -> None:
    stored = [store(mailroom, brand, subject=f"Problem {n}") for n in range(3)]

    first = service.claim(mailroom.session, "a", limit=2, lease=inbound.LEASE)
    second = service.claim(mailroom.session, "b", limit=10, lease=inbound.LEASE)
    mailroom.session.commit()

    assert first == stored[:2]
    assert second == stored[2:]


def test_released_leases_are_free_at_once(mailroom: Mailroom, brand: Json) -> None:
    stored = store(mailroom, brand)
    service.claim(mailroom.session, "stopping", limit=10, lease=inbound.LEASE)

    assert service.release(mailroom.session, "stopping", [stored]) == 1
    mailroom.session.commit()

    assert inbound.process_received(mailroom.database) == 1
    assert tickets_of(mailroom, brand) == 1


def test_a_failure_while_processing_leaves_nothing_half_written_and_is_retried(
    mailroom: Mailroom, brand: Json, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = store(mailroom, brand)
    remember = threads.remember
    calls = 0

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            # After the ticket was written, before the message was marked processed.
            raise RuntimeError("worker crashed")
        return remember(*args, **kwargs)

    monkeypatch.setattr(threads, "remember", crash_once)

    assert inbound.process_received(mailroom.database) == 0
    message = row(mailroom, stored)
    assert message.status == service.RECEIVED
    assert message.error == "RuntimeError: worker crashed"
    assert message.lease_expires_at == frozen_clock.now + timedelta(seconds=inbound.RETRY_DELAYS[0])
    assert tickets_of(mailroom, brand) == 0

    assert inbound.process_received(mailroom.database) == 0
    frozen_clock.advance(seconds=inbound.RETRY_DELAYS[0])
    assert inbound.process_received(mailroom.database) == 1

    message = row(mailroom, stored)
    assert message.status == service.PROCESSED
    assert message.error is None
    assert message.attempts == 2
    assert tickets_of(mailroom, brand) == 1


def test_a_message_that_keeps_failing_is_marked_failed_after_the_last_attempt(
    mailroom: Mailroom, brand: Json, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = store(mailroom, brand)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("always")

    monkeypatch.setattr(threads, "remember", crash)

    for delay in inbound.RETRY_DELAYS:
        assert inbound.process_received(mailroom.database) == 0
        assert row(mailroom, stored).status == service.RECEIVED
        frozen_clock.advance(seconds=delay)
    assert inbound.process_received(mailroom.database) == 0

    message = row(mailroom, stored)
    assert message.attempts == inbound.MAX_ATTEMPTS
    assert message.status == service.FAILED
    assert message.outcome == {"action": "failed", "error": "RuntimeError: always"}
    frozen_clock.advance(days=1)
    assert service.claim(mailroom.session, "later", limit=10, lease=inbound.LEASE) == []
    assert tickets_of(mailroom, brand) == 0


def test_a_reply_stored_twice_under_different_ids_is_one_comment(
    mailroom: Mailroom, brand: Json
) -> None:
    """The same Message-ID is stored once, so two deliveries make one ticket."""
    raw = mail(to=f"{brand['slug']}@{DOMAIN}", message_id="<dup@example.com>")
    first = mailroom.store(brand, raw)
    second = mailroom.store(brand, raw, source="http")

    assert second.duplicate is True
    assert second.id == first.id
    assert inbound.process_received(mailroom.database) == 1
    assert tickets_of(mailroom, brand) == 1


@pytest.mark.parametrize("sender", ["ann@customer.test", "agent@corp.local"])
def test_a_sender_on_an_internal_domain_becomes_the_tickets_contact(
    mailroom: Mailroom, brand: Json, sender: str
) -> None:
    outcome = mailroom.deliver(
        brand, mail(to=f"{brand['slug']}@{DOMAIN}", sender=f"Ann <{sender}>")
    )
    assert outcome["action"] == "created"
    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.customer_email == sender
    assert ticket.customer_id is not None


def test_nul_and_control_characters_are_dropped_from_every_part_of_a_mail(
    mailroom: Mailroom, brand: Json
) -> None:
    raw = mail(
        to=f"{brand['slug']}@{DOMAIN}",
        sender="An\x00n <ann@example.com>",
        subject="Export\x00 fails",
        body="It\x00 fails\x07 at 80%.",
        html="<p>It\x00 fails</p>",
    )
    outcome = mailroom.deliver(brand, raw)
    assert outcome["action"] == "created"
    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.title == "Export fails"
    assert ticket.body is not None
    assert ticket.body.startswith("It fails at 80%.")
    assert ticket.customer_name == "Ann"
    assert "\x00" not in str(ticket.source_data)


@pytest.mark.parametrize(
    "error",
    [ValidationFailed("title", "too long"), DataError("INSERT", {}, Exception("bad data"))],
)
def test_a_message_that_cannot_be_processed_is_failed_at_once_with_its_reason(
    mailroom: Mailroom, brand: Json, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    stored = store(mailroom, brand)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(threads, "remember", refuse)

    assert inbound.process_received(mailroom.database) == 0
    message = row(mailroom, stored)
    assert message.status == service.FAILED
    assert message.attempts == 1
    assert message.outcome == {"action": "failed", "error": message.error}
    assert message.error is not None
    assert message.error.startswith(type(error).__name__)
    assert tickets_of(mailroom, brand) == 0


def test_the_same_message_stored_at_the_same_moment_twice_is_kept_once(
    database_url: str,
) -> None:
    """Two connections deliver one Message-ID at once: the second waits for the first's
    transaction, then finds it stored (a duplicate), and neither delivery fails."""
    with committed_brand(database_url) as (database, _actor, brand_id):
        with database.session(write=False) as reading:
            brand = reading.get(Brand, brand_id)
        assert brand is not None
        mailbox = Mailbox(address=f"{brand.slug}@{DOMAIN}", local=brand.slug, token=None)
        recipient = service.Recipient(brand, mailbox)

        def store(session: Session) -> service.Stored:
            return service.store_message(
                session, recipient, b"raw", message_id="<once@x>", envelope_sender=None,
                source="smtp",
            )  # fmt: skip

        first_session = database.session()
        first = store(first_session)
        seconds: list[service.Stored] = []
        other = threading.Thread(
            target=lambda: seconds.append(transaction.run(database, store)), daemon=True
        )
        other.start()
        other.join(timeout=0.3)  # it waits for the first transaction
        first_session.commit()
        first_session.close()
        other.join(timeout=15)

        [second] = seconds
        assert (first.duplicate, second.duplicate) == (False, True)
        assert second.id == first.id
