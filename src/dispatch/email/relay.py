"""The SMTP relay outgoing mail goes through (smtplib), and what its answers mean.

`DISPATCH_SMTP_RELAY=host:port` names it (empty: sending is off); TLS is `none`,
`starttls` (upgrade after connecting) or `tls` (TLS from the first byte); a username turns
on AUTH. One `RelayConnection` sends a batch over one SMTP session, reconnecting after any
failure. No database work happens here.

An attempt's outcome:
- accepted (250) for at least one recipient: sent (recipients refused alongside are noted);
- a 4xx reply, a dropped connection, a timeout, a refused or unreachable relay, a TLS or
  authentication failure (the relay's configuration, not the message): temporary, retried;
- a 5xx reply to the sender, the recipients or the data: permanent, the email has failed.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from dispatch.settings import Settings

log = logging.getLogger("dispatch.email.relay")

TlsMode = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class RelayConfig:
    host: str
    port: int
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    # Name given in EHLO; None lets smtplib use this machine's name.
    local_hostname: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayConfig | None:
        """The configured relay, or None when DISPATCH_SMTP_RELAY is empty."""
        value = settings.smtp_relay.strip()
        if not value:
            return None
        host, port = parse_host_port(value)
        password = settings.smtp_relay_password
        return cls(
            host=host,
            port=port,
            tls=settings.smtp_relay_tls,
            username=settings.smtp_relay_username or None,
            password=password.get_secret_value() if password is not None else None,
            timeout=settings.smtp_relay_timeout_seconds,
        )


def parse_host_port(value: str) -> tuple[str, int]:
    """`host:port`, `[v6::addr]:port`, or a host alone (port 25)."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
    else:
        host, port_text = value, ""
    if not host:
        raise ValueError(f"DISPATCH_SMTP_RELAY {value!r}: no host (expected host:port)")
    if not port_text:
        return host, 25
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"DISPATCH_SMTP_RELAY {value!r}: the port must be 1 to 65535")
    return host, int(port_text)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt: sent, or failed temporarily (retry) or permanently (give up)."""

    sent: bool
    temporary: bool = False
    error: str | None = None
    # Recipients the relay refused while accepting others: address -> reply.
    refused: dict[str, str] = field(default_factory=dict)

    @classmethod
    def ok(cls, refused: dict[str, str] | None = None) -> Outcome:
        return cls(sent=True, refused=refused or {})

    @classmethod
    def retry(cls, error: str) -> Outcome:
        return cls(sent=False, temporary=True, error=error)

    @classmethod
    def fail(cls, error: str) -> Outcome:
        return cls(sent=False, temporary=False, error=error)


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def _classify(exc: BaseException) -> Outcome:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = {addr: _reply(code, msg) for addr, (code, msg) in exc.recipients.items()}
        error = "Recipients refused: " + "; ".join(f"{a}: {r}" for a, r in replies.items())
        # Worth another try if any refusal was temporary.
        temporary = any(400 <= code < 500 for code, _ in exc.recipients.values())
        return Outcome.retry(error) if temporary else Outcome.fail(error)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        # The relay's configuration is wrong, not this message: retry once it is fixed.
        return Outcome.retry(f"Relay authentication failed: {exc}")
    if isinstance(exc, smtplib.SMTPResponseException):
        error = _reply(exc.smtp_code, exc.smtp_error)
        if isinstance(exc, smtplib.SMTPSenderRefused):
            error = f"Sender {exc.sender} refused: {error}"
        if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPHeloError):
            return Outcome.fail(error)
        return Outcome.retry(error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Outcome.retry(f"Relay closed the connection: {exc}")
    if isinstance(exc, TimeoutError):
        return Outcome.retry("Relay timed out")
    if isinstance(exc, ssl.SSLError):
        return Outcome.retry(f"TLS with the relay failed: {exc}")
    if isinstance(exc, OSError | smtplib.SMTPException):
        return Outcome.retry(f"Relay unreachable: {exc.__class__.__name__}: {exc}")
    raise exc


class RelayConnection:
    """One SMTP session for a batch of messages (context manager). Connects on the first
    send; after a failure the next send starts a fresh session."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> RelayConnection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if config.tls == "tls":
            smtp = smtplib.SMTP_SSL(
                config.host,
                config.port,
                local_hostname=config.local_hostname,
                timeout=config.timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                config.host,
                config.port,
                local_hostname=config.local_hostname,
                timeout=config.timeout,
            )
        try:
            smtp.ehlo()
            if config.tls == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
        except BaseException:
            _quietly_close(smtp)
            raise
        return smtp

    def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> Outcome:
        """Send one message (already serialised, CRLF line ends) to these recipients."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            refused = self._smtp.sendmail(sender, list(recipients), message)
        except Exception as exc:
            self.close()
            outcome = _classify(exc)
            log.info("relay %s:%s: %s", self.config.host, self.config.port, outcome.error)
            return outcome
        return Outcome.ok({a: _reply(code, msg) for a, (code, msg) in refused.items()})

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(smtp)


def _quietly_close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()
