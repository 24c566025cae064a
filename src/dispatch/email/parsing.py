"""Raw RFC 822 bytes in, the parts Dispatch uses out: addresses, ids, text, HTML, files.

Python's `email` package parses the structure (policy.compat32: header values stay the
strings that arrived, not objects built on every read: the modern policy's header
classes were a fifth of the worker's time per message). A header is read from its raw
value: 8-bit bytes as UTF-8 (else Windows-1252), RFC 2047 encoded words decoded, an
address header split into addresses before its display names are decoded. Real mail is
often broken, so nothing here raises on bad input: an unknown or lying charset falls back
to UTF-8 and then Windows-1252 (as browsers do), and a broken MIME structure yields
whatever text can be found.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from dispatch.core.email_address import is_email

# Labels mail clients use for charsets Python calls something else, or for which the real
# encoding is a superset (WHATWG Encoding Standard: latin-1 means windows-1252, etc.).
CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"^[^<>\s@]+@[^<>\s@]+$")
_WHITESPACE = re.compile(r"\s+")
# Characters no text column can hold (PostgreSQL refuses NUL) or that mean nothing in
# mail text: C0 controls other than tab and line breaks, and lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_ESCAPED_BYTES = re.compile(r"[\udc80-\udcff]")
_FILENAME_UNSAFE = re.compile(r"[\x00-\x1f/\\]+")


@dataclass(frozen=True, slots=True)
class Address:
    name: str | None
    email: str

    def formatted(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class FilePart:
    """An attachment or inline image as it arrived."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None
    inline: bool


@dataclass(slots=True)
class ParsedMail:
    message: Message
    subject: str
    from_: Address | None
    reply_to: list[Address]
    to: list[Address]
    cc: list[Address]
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    date: datetime | None
    text: str | None
    html: str | None
    files: list[FilePart] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return header_text(self.message, name)

    def headers(self, name: str) -> list[str]:
        return header_texts(self.message, name)


# --- decoding ------------------------------------------------------------------------------


def printable(text: str) -> str:
    """Text without the characters a message may carry but nothing can store."""
    return _UNPRINTABLE.sub("", text)


def codec_for(charset: str | None) -> str:
    """A Python codec for a MIME charset label; unknown labels give utf-8."""
    label = (charset or "").strip().strip('"').lower()
    label = CHARSET_ALIASES.get(label, label)
    if not label:
        return "utf-8"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return "utf-8"


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in a declared charset, tolerating wrong and unknown labels."""
    declared = codec_for(charset)
    for codec in dict.fromkeys((declared, "utf-8")):
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return printable(data.decode(codec))
    return printable(data.decode("cp1252", errors="replace"))


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words leniently (unknown charsets become best guesses)."""
    try:
        return printable(str(make_header(decode_header(value))))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        pieces = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                pieces.append(decode_bytes(chunk, charset))
            else:
                pieces.append(printable(chunk))
        return "".join(pieces)


def _raw_values(message: Message, name: str) -> list[str]:
    """Every value of a header as it arrived (folded), 8-bit bytes decoded."""
    wanted = name.lower()
    return [
        _eight_bit(value if isinstance(value, str) else str(value))
        for key, value in message.raw_items()
        if key.lower() == wanted
    ]


def _eight_bit(value: str) -> str:
    """A raw header value with its 8-bit bytes (kept by the parser as surrogate escapes)
    decoded: UTF-8 as most clients send it, else Windows-1252."""
    if not _ESCAPED_BYTES.search(value):
        return printable(value)
    return decode_bytes(value.encode("utf-8", "surrogateescape"), "utf-8")


def header_texts(message: Message, name: str) -> list[str]:
    """Every value of a header, encoded words decoded, unfolded."""
    return [_unfold(_decode_words(value)) for value in _raw_values(message, name)]


def header_text(message: Message, name: str) -> str | None:
    values = header_texts(message, name)
    return values[0] if values else None


def _unfold(value: str) -> str:
    return _WHITESPACE.sub(" ", printable(value).replace("\r", "").replace("\n", " ")).strip()


def addresses(message: Message, *names: str) -> list[Address]:
    """The addresses in these headers, in order, without duplicates. Each value is split
    into addresses first, then display names are decoded: an encoded word may hide a
    comma or an @ (`=?utf-8?q?Doe=2C_John?= <j@x>`)."""
    found: dict[str, Address] = {}
    for name in names:
        for value in _raw_values(message, name):
            for display, mail in getaddresses([_unfold(value)]):
                mail = mail.strip().strip("<>").strip()
                if not is_email(mail):
                    continue
                key = mail.lower()
                if key not in found:
                    found[key] = Address(_decode_words(display).strip() or None, key)
    return list(found.values())


def normalize_message_id(value: str | None) -> str | None:
    """`<id@host>` from a Message-ID header value (bare `id@host` gets its brackets)."""
    if not value:
        return None
    match = _MESSAGE_ID.search(value)
    if match:
        return f"<{match.group(1)}>"[:998]
    bare = value.strip()
    if _BARE_ID.match(bare):
        return f"<{bare}>"[:998]
    return None


def message_ids(value: str | None) -> list[str]:
    """Every `<id>` in an In-Reply-To or References value, in order."""
    if not value:
        return []
    ids = [f"<{m}>" for m in _MESSAGE_ID.findall(value)]
    if not ids and _BARE_ID.match(value.strip()):
        ids = [f"<{value.strip()}>"]
    return list(dict.fromkeys(ids))


def _raw_header(message: Message, name: str) -> str | None:
    raw = _raw_values(message, name)
    return raw[0] if raw else None


def _date(message: Message) -> datetime | None:
    value = _raw_header(message, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(_unfold(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- structure ------------------------------------------------------------------------------


def part_text(part: Message) -> str:
    """A text part's content as str, whatever its charset or transfer encoding claims."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return decode_bytes(payload, part.get_content_charset())
    raw = part.get_payload()
    return printable(raw) if isinstance(raw, str) else ""


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        name = _FILENAME_UNSAFE.sub("_", _decode_words(name)).strip(" .") or None
    if not name:
        subtype = part.get_content_subtype() or "bin"
        main = part.get_content_maintype()
        stem = "image" if main == "image" else "message" if main == "message" else "attachment"
        extension = "eml" if part.get_content_type() == "message/rfc822" else subtype
        name = f"{stem}-{index}.{extension}"
    return name[:255]


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _content_id(part: Message) -> str | None:
    value = header_text(part, "Content-ID")
    if not value:
        return None
    return value.strip().strip("<>").strip() or None


def _payload_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822" or part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            inner = payload[0]
            if isinstance(inner, Message):
                try:
                    return inner.as_bytes(policy=policy.compat32)
                except Exception:
                    return str(inner).encode("utf-8", "replace")
        return b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


@dataclass(slots=True)
class _Walk:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)


def _walk(part: Message, out: _Walk) -> None:
    content_type = part.get_content_type()
    disposition = _disposition(part)
    if content_type in ("message/rfc822", "message/global"):
        # A forwarded or bounced message travels whole, as an .eml file.
        data = _payload_bytes(part)
        if data:
            name = _filename(part, len(out.files) + 1)
            out.files.append(FilePart(name, "message/rfc822", data, None, inline=False))
        return
    if content_type.startswith("message/") or content_type == "text/rfc822-headers":
        # Parts of delivery reports: robots.py reads them from the message itself.
        return
    if part.is_multipart():
        payload = part.get_payload()
        children = (
            [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        )
        if content_type == "multipart/alternative":
            _walk_alternative(children, out)
            return
        for child in children:
            _walk(child, out)
        return
    is_attachment = disposition == "attachment"
    if content_type in ("text/plain", "text/html") and not is_attachment:
        try:
            has_name = bool(part.get_filename())
        except Exception:
            has_name = False
        if not (has_name and disposition == "inline" and content_type == "text/plain"):
            (out.plain if content_type == "text/plain" else out.html).append(part_text(part))
            return
    if content_type.startswith("multipart/"):
        # A multipart part without a usable boundary: its raw text is all we have.
        out.plain.append(part_text(part))
        return
    data = _payload_bytes(part)
    if not data:
        return
    content_id = _content_id(part)
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    out.files.append(
        FilePart(_filename(part, len(out.files) + 1), content_type, data, content_id, inline)
    )


def _walk_alternative(children: list[Message], out: _Walk) -> None:
    """multipart/alternative: one plain and one HTML rendering of the same content; the
    richer branch (multipart/related) also carries its inline images."""
    plain: str | None = None
    html: str | None = None
    for child in children:
        branch = _Walk()
        _walk(child, branch)
        if branch.plain and plain is None:
            plain = "\n".join(branch.plain)
        if branch.html:
            html = "\n".join(branch.html)
        out.files.extend(branch.files)
    if plain is not None:
        out.plain.append(plain)
    if html is not None:
        out.html.append(html)


def parse(raw: bytes) -> ParsedMail:
    """Parse raw message bytes; never raises for malformed input."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    walked = _Walk()
    try:
        _walk(message, walked)
    except Exception:
        walked = _Walk(plain=[part_text(message)] if not message.is_multipart() else [])
    from_ = addresses(message, "From")
    subject = _unfold(header_text(message, "Subject") or "")
    defects = [type(d).__name__ for d in getattr(message, "defects", [])]
    return ParsedMail(
        message=message,
        subject=subject,
        from_=from_[0] if from_ else None,
        reply_to=addresses(message, "Reply-To"),
        to=addresses(message, "To"),
        cc=addresses(message, "Cc"),
        message_id=normalize_message_id(_raw_header(message, "Message-ID")),
        in_reply_to=message_ids(_raw_header(message, "In-Reply-To")),
        references=message_ids(" ".join(_raw_values(message, "References"))),
        date=_date(message),
        text="\n".join(walked.plain) if walked.plain else None,
        html="\n".join(walked.html) if walked.html else None,
        files=walked.files,
        defects=defects,
    )


# Where a message names the mailboxes it was delivered to, most telling first.
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "To", "Cc")


def headers_of(raw: bytes) -> Message:
    """The headers of raw bytes, without reading the body."""
    return BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)


def message_id_of(raw: bytes, headers: Message | None = None) -> str | None:
    """The normalized Message-ID of raw bytes (or of their already-parsed `headers`)."""
    if headers is None:
        try:
            headers = headers_of(raw)
        except Exception:
            return None
    return normalize_message_id(_raw_header(headers, "Message-ID"))
