"""The SQL statements of turning an emailed message into a new ticket (pinned like the
API's writes in tests/core/test_statement_counts.py; counted on PostgreSQL, where each is
a round trip). The worker runs this for every inbound message."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection

from dispatch.email import inbound, service
from dispatch.email.inbound import job
from dispatch.email.models import InboundMessage
from tests.conftest import BACKEND
from tests.core.test_statement_counts import statements
from tests.email.inbound.conftest import DOMAIN, Mailroom, mail

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="counted on PostgreSQL")

# From a new address: its sender was looked up twice (once to act as them, once to open
# the ticket) and its Message-ID read before it was written: 12 then, 10; its Message-ID
# is now recorded within the commit's one statement: 9.
EMAILED_NEW_TICKET = 9


def test_processing_an_emailed_new_ticket(
    mailroom: Mailroom, brand: dict[str, Any], connection: Connection
) -> None:
    mailroom.deliver(brand, mail(to=f"{brand['slug']}@{DOMAIN}"))  # the brand has served
    raw = mail(to=f"{brand['slug']}@{DOMAIN}", sender="New Sender <new.sender@example.com>")
    message = mailroom.session.get(InboundMessage, mailroom.store(brand, raw).id)
    assert message is not None

    with statements(connection) as seen:
        outcome = inbound.process_message(mailroom.session, message)
        mailroom.session.commit()

    assert outcome["action"] == "created"
    assert len(seen) <= EMAILED_NEW_TICKET, "\n".join(seen)


def test_the_job_reads_the_brand_with_the_lease_check(
    mailroom: Mailroom, brand: dict[str, Any], connection: Connection
) -> None:
    """No savepoint around the processing (a failure rolls the whole transaction back and
    is recorded in another); the locked read of the lease brings the brand along: the
    job's whole message costs no more than processing it alone."""
    mailroom.deliver(brand, mail(to=f"{brand['slug']}@{DOMAIN}"))  # the brand has served
    raw = mail(to=f"{brand['slug']}@{DOMAIN}", sender="New Sender <new.sender@example.com>")
    mailroom.store(brand, raw)
    [claimed] = service.claim(mailroom.session, "w1", limit=5, lease=inbound.LEASE)
    mailroom.session.commit()

    with statements(connection) as seen:
        assert job._process_leased(mailroom.session, claimed, "w1") == 1
        mailroom.session.commit()

    assert len(seen) <= EMAILED_NEW_TICKET, "\n".join(seen)
