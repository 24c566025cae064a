"""Mail written by machines: auto-replies, lists, bounces, and our own mail coming back.

Robots are stored and threaded like any mail, but flagged, so Dispatch never answers them
automatically (that is how mail loops start). Bounces (delivery status notifications,
RFC 3464) are not conversations at all: they say an address does not work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser

from dispatch.email.parsing import ParsedMail, header_text, normalize_message_id

ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
# RFC 3834 says Precedence is not standard, but list software and auto-responders set it.
ROBOT_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[\s-]*(?:reply|response|antwort)|autoreply|auto:|"
    r"out\s+of\s+(?:the\s+)?office|abwesenheitsnotiz|réponse\s+automatique|"
    r"respuesta\s+automática|risposta\s+automatica|automatisch\s+antwoord|autosvar|"
    r"automatische\s+antwort|fuera\s+de\s+la\s+oficina|absence\s+du\s+bureau)",
    re.IGNORECASE,
)
_STATUS = re.compile(r"([245])\.\d{1,3}\.\d{1,3}")


@dataclass(frozen=True, slots=True)
class Bounce:
    """What a delivery report says: the addresses that failed for good (lowercase), whether
    it only reports a delay, and the Message-ID of the message that bounced."""

    failed: list[str]
    delayed: list[str]
    original_message_id: str | None


def _local_part(address: str | None) -> str:
    return (address or "").rpartition("@")[0].lower()


def _is_ours(message_id: str | None, inbound_domain: str) -> bool:
    return bool(message_id) and (message_id or "").lower().endswith(f"@{inbound_domain}>")


def robot_reason(
    parsed: ParsedMail,
    *,
    envelope_sender: str | None,
    inbound_domain: str,
    has_new_text: bool,
) -> str | None:
    """Why this message looks machine-written (a short code), or None for a person."""
    message = parsed.message
    auto_submitted = (header_text(message, "Auto-Submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto-submitted"
    precedence = (header_text(message, "Precedence") or "").strip().lower()
    if precedence in ROBOT_PRECEDENCE:
        return "precedence"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if header_text(message, name) is not None:
            return "autoreply-header"
    suppress = (header_text(message, "X-Auto-Response-Suppress") or "").lower()
    if "oof" in suppress or "autoreply" in suppress or suppress.strip() == "all":
        return "autoreply-header"
    if header_text(message, "List-Id") is not None or header_text(message, "List-Unsubscribe"):
        return "mailing-list"
    return_path = header_text(message, "Return-Path")
    if envelope_sender == "" or (return_path is not None and return_path.strip() in ("<>", "")):
        return "null-sender"
    if _local_part(parsed.from_.email if parsed.from_ else None) in ROBOT_LOCAL_PARTS:
        return "mailer-daemon"
    if _is_ours(parsed.message_id, inbound_domain):
        return "own-message"
    replies_to_ours = any(_is_ours(i, inbound_domain) for i in parsed.in_reply_to)
    if replies_to_ours and not has_new_text:
        return "empty-reply"
    if AUTO_REPLY_SUBJECT.match(parsed.subject):
        return "auto-reply-subject"
    return None


# --- bounces ----------------------------------------------------------------------------------


def _parts(message: Message) -> list[Message]:
    found: list[Message] = []
    stack = [message]
    while stack:
        part = stack.pop()
        found.append(part)
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend(p for p in reversed(payload) if isinstance(p, Message))
    return found


def _recipient(value: str | None) -> str | None:
    """The address of a Final-Recipient / Original-Recipient field (`rfc822; a@b`)."""
    if not value:
        return None
    address = value.partition(";")[2] if ";" in value else value
    address = address.strip().strip("<>").strip().lower()
    return address if "@" in address else None


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part (per-message, then one per
    recipient), however the parser delivered them."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, str):
        blocks = re.split(r"\n\s*\n", payload.replace("\r\n", "\n").strip())
        return [Parser().parsestr(block + "\n\n", headersonly=True) for block in blocks]
    return []


def _original_message_id(parts: list[Message]) -> str | None:
    for part in parts:
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                return normalize_message_id(header_text(inner, "Message-ID"))
        if content_type == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            match = re.search(r"^Message-ID:\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
            if match:
                return normalize_message_id(match.group(1))
    return None


def bounce(parsed: ParsedMail) -> Bounce | None:
    """The delivery report in this message, or None when it is not one.

    A report is `multipart/report; report-type=delivery-status`, or a message from a
    mailer daemon carrying a `message/delivery-status` part (or Exim's
    `X-Failed-Recipients`)."""
    message = parsed.message
    is_report = (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type") or "").lower() == "delivery-status"
    )
    from_daemon = _local_part(parsed.from_.email if parsed.from_ else None) in ROBOT_LOCAL_PARTS
    if not is_report and not from_daemon:
        return None  # most mail: its parts need not be looked at
    parts = _parts(message)
    status_parts = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    failed_header = header_text(message, "X-Failed-Recipients")
    if not is_report and not (status_parts or failed_header):
        return None
    failed: list[str] = []
    delayed: list[str] = []
    for part in status_parts:
        blocks = _status_blocks(part)
        # The first block is per-message; a report with only one has no per-recipient ones.
        for block in blocks[1:] or blocks:
            recipient = _recipient(header_text(block, "Final-Recipient")) or _recipient(
                header_text(block, "Original-Recipient")
            )
            if recipient is None:
                continue
            action = (header_text(block, "Action") or "").strip().lower()
            status = _STATUS.search(header_text(block, "Status") or "")
            if action == "failed" or (not action and status and status.group(1) == "5"):
                failed.append(recipient)
            elif action == "delayed":
                delayed.append(recipient)
    if not failed and not delayed and failed_header:
        failed = [a.strip().lower() for a in failed_header.split(",") if "@" in a]
    original = _original_message_id(parts)
    if original is None and parsed.in_reply_to:
        original = parsed.in_reply_to[0]
    return Bounce(
        failed=list(dict.fromkeys(failed)),
        delayed=list(dict.fromkeys(delayed)),
        original_message_id=original,
    )
