"""The SMTP listener over real sockets on loopback: which mailboxes it accepts at RCPT,
the size limit at DATA, and the raw message stored (once per Message-ID) before 250."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from dispatch.core.db import Database
from dispatch.email import addresses, inbound, service, smtp
from dispatch.settings import Settings
from tests.conftest import Api, make_ticket
from tests.email.inbound.conftest import DOMAIN, Mailroom, mail
from tests.email.outbound.sink import free_port

TIMEOUT = 10.0
SENDER = "ann@example.com"


@pytest.fixture
def listener(settings: Settings, database: Database) -> Iterator[smtp.Listener]:
    """A listener on a free loopback port, storing into the test's database."""
    running = smtp.start(settings, database, host="127.0.0.1", port=free_port())
    yield running
    running.stop()


def wire(raw: bytes) -> bytes:
    """The message as it travels: CRLF line endings (smtplib sends bytes as given)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def connect(listener: smtp.Listener) -> smtplib.SMTP:
    return smtplib.SMTP(listener.host, listener.port, timeout=TIMEOUT)


def send(listener: smtp.Listener, to: str, raw: bytes) -> dict[str, Any]:
    """sendmail, as any mail server would; the refused recipients (none, else it raises)."""
    with connect(listener) as client:
        refused: dict[str, Any] = client.sendmail(SENDER, [to], wire(raw))
        return refused


def data_reply(listener: smtp.Listener, to: str, raw: bytes) -> tuple[int, bytes]:
    """MAIL (without a SIZE hint), RCPT and DATA by hand; DATA's reply."""
    with connect(listener) as client:
        client.ehlo()
        assert client.mail(SENDER)[0] == 250
        assert client.rcpt(to)[0] == 250
        reply: tuple[int, bytes] = client.data(wire(raw))
        return reply


@pytest.mark.parametrize("mailbox", ["slug", "brand-id", "brand-id-lowercased"])
def test_mail_to_a_brand_mailbox_is_stored_before_the_250(
    listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any], mailbox: str
) -> None:
    local = {
        "slug": brand["slug"],
        "brand-id": brand["id"],
        "brand-id-lowercased": brand["id"].lower(),
    }[mailbox]
    to = f"{local}@{DOMAIN}"

    with connect(listener) as client:
        client.ehlo()
        client.mail(SENDER)
        assert client.rcpt(to)[0] == 250
        code, reply = client.data(wire(mail(to=to)))
        # The row exists the moment the client hears 250, before any worker ran.
        [stored] = mailroom.messages(brand["id"])

    assert code == 250
    assert stored.id in reply.decode()
    assert stored.status == service.RECEIVED
    assert stored.source == "smtp"
    assert stored.envelope_sender == SENDER
    assert stored.recipient == to
    assert b"The login page spins forever." in stored.raw
    assert stored.size == len(stored.raw)


def test_a_reply_address_is_accepted_and_stored_for_its_brand(
    api: Api,
    listener: smtp.Listener,
    mailroom: Mailroom,
    brand: dict[str, Any],
    settings: Settings,
) -> None:
    ticket = make_ticket(api, brand, customerEmail="ann@example.com")
    row = mailroom.brand(brand["id"])
    to = addresses.reply_address(settings, row, mailroom.ticket(ticket["id"]))
    assert "+" in to

    assert send(listener, to, mail(to=to, subject="Re: Cannot log in")) == {}

    [stored] = mailroom.messages(brand["id"])
    assert stored.recipient == to


@pytest.mark.parametrize(
    "to",
    [
        "nobody@inbound.localhost",
        "{slug}@elsewhere.example.com",
        "{slug}-typo@inbound.localhost",
        "+123-abcdefghij@inbound.localhost",
    ],
)
def test_an_unknown_mailbox_is_refused_at_rcpt_with_550_5_1_1(
    listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any], to: str
) -> None:
    address = to.format(slug=brand["slug"])

    with connect(listener) as client:
        client.ehlo()
        client.mail(SENDER)
        code, reply = client.rcpt(address)

    assert code == 550
    assert reply.startswith(b"5.1.1")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused, connect(listener) as client:
        client.sendmail(SENDER, [address], wire(mail(to=address)))
    assert refused.value.recipients[address][0] == 550
    assert mailroom.messages(brand["id"]) == []


@pytest.mark.parametrize("change", ["inbound-disabled", "deleted"])
def test_mailboxes_of_disabled_or_deleted_brands_are_refused(
    api: Api, listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any], change: str
) -> None:
    if change == "deleted":
        api.ok("delete", f"/brands/{brand['id']}", 204, params={"confirm": "true"})
    else:
        row = mailroom.brand(brand["id"])
        row.inbound_email_enabled = False
        mailroom.session.commit()
    to = f"{brand['slug']}@{DOMAIN}"

    with connect(listener) as client:
        client.ehlo()
        client.mail(SENDER)
        code, reply = client.rcpt(to)

    assert (code, reply[:5]) == (550, b"5.1.1")
    assert mailroom.messages(brand["id"]) == []


def test_only_the_known_recipients_of_a_message_get_it(
    listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    to = f"{brand['slug']}@{DOMAIN}"
    with connect(listener) as client:
        refused = client.sendmail(SENDER, [to, f"ghost@{DOMAIN}"], wire(mail(to=to)))

    assert list(refused) == [f"ghost@{DOMAIN}"]
    assert refused[f"ghost@{DOMAIN}"][0] == 550
    assert len(mailroom.messages(brand["id"])) == 1


def test_an_oversize_message_is_refused_at_data_with_552_and_not_stored(
    settings: Settings, database: Database, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    settings.mail_max_bytes = 2048
    running = smtp.start(settings, database, host="127.0.0.1", port=free_port())
    try:
        to = f"{brand['slug']}@{DOMAIN}"
        big = mail(to=to, body=("x" * 70 + "\n") * 100)
        small = mail(to=to)
        assert len(big) > settings.mail_max_bytes > len(small)

        code, _ = data_reply(running, to, big)
        # A client that reads the SIZE announced in EHLO is refused at MAIL already.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send(running, to, big)
        assert refused.value.smtp_code == 552
        assert mailroom.messages(brand["id"]) == []

        assert send(running, to, small) == {}
    finally:
        running.stop()

    assert code == 552
    assert len(mailroom.messages(brand["id"])) == 1


def test_the_same_message_id_delivered_twice_is_stored_once_and_answered_250_both_times(
    listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    to = f"{brand['slug']}@{DOMAIN}"
    raw = mail(to=to, message_id="<twice@mail.example.com>")

    first = data_reply(listener, to, raw)
    second = data_reply(listener, to, raw)

    [stored] = mailroom.messages(brand["id"])
    assert first[0] == second[0] == 250
    assert stored.id in first[1].decode()
    assert stored.id in second[1].decode()
    assert stored.message_id == "<twice@mail.example.com>"


def test_a_message_for_two_brands_is_stored_once_for_each(
    api: Api, listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    second = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    recipients = [f"{brand['slug']}@{DOMAIN}", f"{second['slug']}@{DOMAIN}"]

    with connect(listener) as client:
        assert client.sendmail(SENDER, recipients, wire(mail(to=", ".join(recipients)))) == {}

    assert len(mailroom.messages(brand["id"])) == 1
    assert len(mailroom.messages(second["id"])) == 1


def test_a_database_failure_is_a_temporary_451_and_stores_nothing(
    listener: smtp.Listener,
    mailroom: Mailroom,
    brand: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> service.Stored:
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(service, "store_message", broken)
    to = f"{brand['slug']}@{DOMAIN}"

    code, _ = data_reply(listener, to, mail(to=to))

    assert code == 451
    assert mailroom.messages(brand["id"]) == []


def test_mail_from_the_null_sender_is_stored_but_flagged_as_a_robot(
    listener: smtp.Listener, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    to = f"{brand['slug']}@{DOMAIN}"
    with connect(listener) as client:
        assert client.sendmail("<>", [to], wire(mail(to=to, subject="Hello"))) == {}
    [stored] = mailroom.messages(brand["id"])
    assert stored.envelope_sender == ""

    outcome = inbound.process_message(mailroom.session, stored)

    assert outcome["action"] == "created"
    assert outcome["robot"] == "null-sender"


def test_a_mailbox_is_looked_up_once_a_while_and_a_change_shows_after_it(
    mailroom: Mailroom,
    brand: dict[str, Any],
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stream of mail to one mailbox costs one lookup per MAILBOX_SECONDS, not one per
    recipient; a brand disabled meanwhile is refused once that time has passed."""
    now = [100.0]
    handler = smtp.InboundHandler(database, settings, clock=lambda: now[0])
    lookups: list[str] = []
    real = service.brand_for_mailbox

    def counted(session: Any, mailbox: addresses.Mailbox) -> Any:
        lookups.append(mailbox.local)
        return real(session, mailbox)

    monkeypatch.setattr(service, "brand_for_mailbox", counted)
    plain = handler.resolve(f"{brand['slug']}@{DOMAIN}")
    tokened = handler.resolve(f"{brand['slug'].upper()}+12-abc@{DOMAIN}")
    assert plain is not None
    assert tokened is not None
    assert (plain.brand.id, tokened.brand.id) == (brand["id"], brand["id"])
    assert tokened.mailbox.token == "12-abc"
    assert lookups == [brand["slug"]]

    row = mailroom.brand(brand["id"])
    row.inbound_email_enabled = False
    mailroom.session.commit()
    now[0] += smtp.MAILBOX_SECONDS / 2
    assert handler.resolve(f"{brand['slug']}@{DOMAIN}") is not None  # remembered
    now[0] += smtp.MAILBOX_SECONDS
    assert handler.resolve(f"{brand['slug']}@{DOMAIN}") is None
    assert len(lookups) == 2


def test_mail_to_made_up_mailboxes_does_not_grow_the_memo_without_end(
    brand: dict[str, Any], database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smtp, "MAILBOXES_REMEMBERED", 4)
    handler = smtp.InboundHandler(database, settings, clock=lambda: 100.0)
    for n in range(10):
        assert handler.resolve(f"nobody{n}@{DOMAIN}") is None
        assert len(handler._brands) <= 4
    found = handler.resolve(f"{brand['slug']}@{DOMAIN}")
    assert found is not None
    assert found.brand.id == brand["id"]
    assert len(handler._brands) <= 4
