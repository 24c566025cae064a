"""The relay's address and what its answers mean (pure parts; sending is in test_sending)."""

from __future__ import annotations

import random
import smtplib
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.email.outbound import sending
from dispatch.email.relay import Outcome, RelayConfig, _classify, parse_host_port
from dispatch.settings import Settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("smtp.example.com:587", ("smtp.example.com", 587)),
        ("127.0.0.1:2526", ("127.0.0.1", 2526)),
        ("[::1]:25", ("::1", 25)),
        ("mail.example.com", ("mail.example.com", 25)),
    ],
)
def test_relay_addresses_are_host_and_port(value: str, expected: tuple[str, int]) -> None:
    assert parse_host_port(value) == expected


@pytest.mark.parametrize("value", [":25", "host:0", "host:99999", "host:abc"])
def test_malformed_relay_addresses_are_refused_clearly(value: str) -> None:
    with pytest.raises(ValueError, match="DISPATCH_SMTP_RELAY"):
        parse_host_port(value)


def test_no_relay_configured_means_sending_is_off(tmp_path: object) -> None:
    assert RelayConfig.from_settings(Settings(smtp_relay="")) is None
    config = RelayConfig.from_settings(
        Settings(
            smtp_relay="relay.example.com:465",
            smtp_relay_tls="tls",
            smtp_relay_username="u",
            smtp_relay_password="p",  # type: ignore[arg-type]
        )
    )
    assert config is not None
    assert (config.host, config.port, config.tls, config.username, config.password) == (
        "relay.example.com",
        465,
        "tls",
        "u",
        "p",
    )


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 Try later"), True),
        (smtplib.SMTPDataError(554, b"5.7.1 Spam"), False),
        (smtplib.SMTPSenderRefused(550, b"5.7.1 Not allowed", "a@b.c"), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"5.1.1 Unknown")}), False),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (450, b"4.2.0 Greylisted")}), True),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
    ],
)
def test_4xx_and_connection_failures_are_temporary_5xx_replies_permanent(
    error: Exception, temporary: bool
) -> None:
    outcome = _classify(error)
    assert outcome.sent is False
    assert outcome.temporary is temporary
    assert outcome.error


def test_the_retry_schedule_spans_about_a_day_then_gives_up() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(1)
    waits = []
    for attempt in range(1, len(sending.RETRY_SCHEDULE) + 1):
        result = sending.result_of(Outcome.retry("451"), attempt, now, rng=rng)
        assert result.status == "RETRYING"
        waits.append(result.next_attempt_at - now)
    assert waits == sorted(waits)
    assert timedelta(seconds=48) <= waits[0] <= timedelta(seconds=72)
    assert timedelta(hours=20) < sum(waits, timedelta()) < timedelta(hours=31)
    last = sending.result_of(Outcome.retry("451"), len(sending.RETRY_SCHEDULE) + 1, now)
    assert (last.status, last.last_error) == ("FAILED", "451")
    assert sending.result_of(Outcome.fail("550"), 1, now).status == "FAILED"
    sent = sending.result_of(Outcome.ok(), 1, now)
    assert (sent.status, sent.sent_at, sent.last_error) == ("SENT", now, None)
