"""What the sender wrote, apart from the history they quoted and their signature.

Mail clients quote in a few recognisable shapes, and this module knows them:

- Gmail, Apple Mail, Thunderbird: an attribution line ("On Mon, 5 Jan 2026 at 10:00, Ann
  <ann@example.com> wrote:", and its translations, sometimes wrapped over two or three
  lines) followed by `>`-quoted lines;
- Outlook: "-----Original Message-----", or a "From: / Sent: / To: / Subject:" block
  (translated labels too, often after a line of underscores, often in *bold*);
- `>` quoting, interleaved with answers (bottom posting) or not.

Forwarded mail is the exception: what was forwarded is the content, so it stays in the
text (and its From/Date/Subject are returned). Signatures: the "-- " delimiter and the
one-liners phones and apps append ("Sent from my iPhone", "Get Outlook for iOS").

HTML-only mail becomes Markdown-ish text with `markdownify` (links and images as Markdown),
and HTML kept for display is sanitized with `nh3`. The splitting itself is hand-written:
the Python libraries for it (email-reply-parser, talon) are unmaintained or much heavier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdownify import markdownify

# --- patterns -------------------------------------------------------------------------------

_WROTE = (
    r"wrote|a\s+écrit|écrit|schrieb|escribió|escribio|ha\s+scritto|scrisse|schreef|escreveu|"
    r"pisze|napisał\(a\)|napisal\(a\)|napisał|skrev|kirjoitti|napsal\(a\)|napsal|"
    r"написал\(\u0430\)|написал|написала|yazd\u0131|írta|έγραψε|a\s+scris|rakstīja|parašė|"
    r"写道|寫道|님이\s*작성"
)
ATTRIBUTION_END = re.compile(rf"(?:{_WROTE})\s*[:\uff1a]\s*$", re.IGNORECASE)
# Gmail in Japanese and some others: "2026年1月5日(月) 10:00 Ann <ann@example.com>:".
ADDRESS_COLON_END = re.compile(r"<[^<>\s]+@[^<>\s]+>\s*[:\uff1a]\s*$")

_ORIGINAL = (
    r"Original\s+Message|Ursprüngliche\s+Nachricht|Message\s+d'origine|Mensaje\s+original|"
    r"Messaggio\s+originale|Oorspronkelijk\s+bericht|Mensagem\s+original|"
    r"Oprindelig\s+meddelelse|Opprinnelig\s+melding|Ursprungligt\s+meddelande|"
    r"Alkuperäinen\s+viesti|Původní\s+zpráva|Wiadomość\s+oryginalna|Исходное\s+сообщение|"
    r"Eredeti\s+üzenet|Orijinal\s+Mesaj|Αρχικό\s+μήνυμα|原始邮件|原始郵件"
)
ORIGINAL_MESSAGE = re.compile(rf"^\s*[-_=]{{2,}}\s*(?:{_ORIGINAL})\s*[-_=]{{2,}}\s*$", re.I)

_FORWARDED = (
    r"Forwarded\s+message|Forwarded\s+Message|Weitergeleitete\s+Nachricht|"
    r"Message\s+transféré|Mensaje\s+reenviado|Messaggio\s+inoltrato|Doorgestuurd\s+bericht|"
    r"Mensagem\s+encaminhada|Videresendt\s+meddelelse|Vidarebefordrat\s+meddelande|"
    r"Przekazana\s+wiadomość|Пересылаемое\s+сообщение|転送されたメッセージ|转发的邮件"
)
FORWARD_MARKER = re.compile(
    rf"^\s*(?:[-_=]{{2,}}\s*(?:{_FORWARDED})\s*[-_=]{{2,}}"
    r"|Begin\s+forwarded\s+message\s*:|Anfang\s+der\s+weitergeleiteten\s+Nachricht\s*:"
    r"|Début\s+du\s+message\s+réexpédié\s*:|Inicio\s+del\s+mensaje\s+reenviado\s*:"
    r"|Inizio\s+messaggio\s+inoltrato\s*:)\s*$",
    re.IGNORECASE,
)
FORWARD_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|fw|wg|tr|rv|enc|vs|doorst|vl|i)\s*[:\uff1a]", re.IGNORECASE
)
OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")


def _label(words: str) -> str:
    return rf"^\s*[*_]{{0,2}}\s*(?:{words})\s*(?:[*_]{{0,2}}\s*[:\uff1a]|[:\uff1a]\s*[*_]{{0,2}})"


FROM_LABEL = re.compile(
    _label(
        r"From|Von|De|Da|Van|Från|Fra|Od|От|Lähettäjä|Kimden|Feladó|Από|"
        r"差出人|发件人|寄件者|보낸\s*사람"
    ),
    re.IGNORECASE,
)
OTHER_LABEL = re.compile(
    _label(
        r"Sent|Date|To|Cc|Subject|Gesendet|Datum|An|Betreff|Envoyé|À|Objet|Enviado|Enviada|"
        r"Fecha|Para|Asunto|Inviato|Data|A|Oggetto|Verzonden|Aan|Onderwerp|Assunto|Skickat|"
        r"Till|Ämne|Sendt|Til|Emne|Wysłano|Do|Temat|Отправлено|Кому|Тема|Lähetetty|"
        r"Vastaanottaja|Aihe|Gönderildi|Kime|Konu|Elküldve|Címzett|Tárgy|送信日時|宛先|件名|"
        r"发送时间|收件人|主题|發送時間|收件者|主旨|날짜|받는\s*사람|제목"
    ),
    re.IGNORECASE,
)
HEADER_FIELD = re.compile(
    r"^\s*[*_]{0,2}\s*([^\s:\uff1a*]+(?:\s[^\s:\uff1a*]+)?)\s*(?:[*_]{0,2}\s*[:\uff1a]|[:\uff1a]\s*[*_]{0,2})\s*(.*)$"
)

SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:Sent\s+from\s+my\s+\w+(?:\s+\w+){0,3}|Sent\s+from\s+(?:Outlook|Mail|Yahoo\s+Mail|"
    r"Gmail|Proton\s*Mail)(?:\s+for\s+\w+)?(?:\s+on\s+\w+)?|Get\s+Outlook\s+for\s+\w+|"
    r"Sent\s+with\s+Proton\s*Mail.*|Sent\s+from\s+Mail\s+for\s+Windows.*|"
    r"Von\s+meinem\s+\w+(?:\s+\w+)?\s+gesendet|Gesendet\s+von\s+meinem\s+\w+.*|"
    r"Envoyé\s+de\s+mon\s+\w+.*|Enviado\s+desde\s+mi\s+\w+.*|Enviado\s+do\s+meu\s+\w+.*|"
    r"Inviato\s+da\s+(?:iPhone|iPad|\w+).*|Verzonden\s+(?:vanaf|met)\s+mijn\s+\w+.*|"
    r"Skickat\s+från\s+min\s+\w+.*|Sendt\s+fra\s+min\s+\w+.*|iPhoneから送信|iPadから送信)\s*$",
    re.IGNORECASE,
)
# Gmail's plain-text stand-in for an inline image: "[image: logo.png]".
IMAGE_PLACEHOLDER = re.compile(r"\[image:\s*([^\]]*)\]", re.IGNORECASE)
BLANK_RUN = re.compile(r"\n{3,}")
# How far below its start a signature may reach (a longer block is text, not signature).
SIGNATURE_MAX_LINES = 15
MOBILE_SIGNATURE_WINDOW = 3


@dataclass(frozen=True, slots=True)
class Cleaned:
    text: str
    quoted: str | None
    signature: str | None
    forwarded: dict[str, str] | None = None


# --- helpers ----------------------------------------------------------------------------------


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy(text: str) -> str:
    """Trailing spaces off, runs of blank lines collapsed, ends trimmed."""
    lines = [line.rstrip() for line in normalize_newlines(text).split("\n")]
    joined = "\n".join(lines).replace("\u00a0", " ")
    return BLANK_RUN.sub("\n\n", joined).strip("\n").strip()


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], index: int) -> int:
    """How many lines (1-3) starting at `index` form an attribution ("On ... wrote:"),
    or 0 when they do not."""
    for span in (1, 2, 3):
        if index + span > len(lines):
            break
        if span > 1 and not lines[index + span - 1].strip():
            break
        joined = " ".join(line.strip() for line in lines[index : index + span])
        if len(joined) > 400:
            break
        if ATTRIBUTION_END.search(joined) and (re.search(r"\d", joined) or "@" in joined):
            return span
        if ADDRESS_COLON_END.search(joined) and re.search(r"\d", joined):
            following = _next_nonblank(lines, index + span)
            if following is not None and _is_quoted(lines[following]):
                return span
    return 0


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for i in range(start, len(lines)):
        if lines[i].strip():
            return i
    return None


def _header_block_at(lines: list[str], index: int) -> bool:
    """An Outlook-style "From: / Sent: / To: / Subject:" block starts at `index`."""
    if not FROM_LABEL.match(lines[index]):
        return False
    others = 0
    for line in lines[index + 1 : index + 8]:
        if OTHER_LABEL.match(line):
            others += 1
        if others >= 2:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Marker:
    index: int
    kind: str  # attribution | original | header | forward | quote
    span: int = 1


def _first_marker(lines: list[str]) -> _Marker | None:
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if FORWARD_MARKER.match(line):
            return _Marker(i, "forward")
        if ORIGINAL_MESSAGE.match(line):
            return _Marker(i, "original")
        if OUTLOOK_RULE.match(line):
            following = _next_nonblank(lines, i + 1)
            if following is not None and _header_block_at(lines, following):
                return _Marker(i, "header")
        if _header_block_at(lines, i):
            return _Marker(i, "header")
        span = _attribution_at(lines, i)
        if span:
            return _Marker(i, "attribution", span)
        if _is_quoted(line):
            return _Marker(i, "quote")
    return None


def _forwarded_fields(lines: list[str]) -> dict[str, str]:
    """From/Date/Subject/To of a forwarded block's header lines."""
    names = {
        "from": "from",
        "von": "from",
        "de": "from",
        "date": "date",
        "sent": "date",
        "datum": "date",
        "gesendet": "date",
        "subject": "subject",
        "betreff": "subject",
        "objet": "subject",
        "asunto": "subject",
        "to": "to",
        "an": "to",
        "à": "to",
        "para": "to",
        "cc": "cc",
    }
    found: dict[str, str] = {}
    for line in lines[:12]:
        match = HEADER_FIELD.match(line)
        if match is None:
            if found and not line.strip():
                break
            continue
        key = names.get(match.group(1).strip().lower())
        if key and key not in found and match.group(2).strip():
            found[key] = match.group(2).strip().strip("*").strip()
    return found


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """(text, signature) of the new text's lines."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    if not nonblank:
        return lines, []
    for i in range(len(lines) - 1, -1, -1):
        if SIGNATURE_DELIMITER.match(lines[i]) and len(lines) - i <= SIGNATURE_MAX_LINES + 1:
            return lines[:i], lines[i:]
    for i in nonblank[-MOBILE_SIGNATURE_WINDOW:]:
        if MOBILE_SIGNATURE.match(lines[i]):
            return lines[:i], lines[i:]
    return lines, []


def _joined(lines: list[str]) -> str | None:
    text = tidy("\n".join(lines))
    return text or None


# --- the cleaner -----------------------------------------------------------------------------


def clean(text: str, *, subject: str = "") -> Cleaned:
    """Split a message's text into what is new, the quoted history and the signature."""
    lines = normalize_newlines(text).split("\n")
    marker = _first_marker(lines)
    forwarded = marker is not None and (
        marker.kind == "forward"
        or (marker.kind in ("header", "original") and FORWARD_SUBJECT.match(subject) is not None)
    )
    if marker is None or forwarded:
        fields = None
        if marker is not None:
            start: int | None = marker.index
            if marker.kind in ("forward", "original"):
                start = marker.index + 1
            elif OUTLOOK_RULE.match(lines[marker.index]):
                start = _next_nonblank(lines, marker.index + 1)
            fields = _forwarded_fields(lines[start:]) if start is not None else None
        head = lines[: marker.index] if marker is not None else lines
        body, signature = _split_signature(head)
        if marker is not None:
            # The forwarded message is the content: it stays, after the forwarder's note.
            body = [*body, *lines[marker.index :]]
        return Cleaned(
            text=_joined(body) or "",
            quoted=None,
            signature=_joined(signature),
            forwarded=fields or None,
        )

    head, tail = lines[: marker.index], lines[marker.index :]
    if marker.kind in ("attribution", "quote"):
        after = tail[marker.span :] if marker.kind == "attribution" else tail
        unquoted_after = [line for line in after if line.strip() and not _is_quoted(line)]
        _, trailing_signature = _split_signature(after)
        answers = [line for line in unquoted_after if line not in trailing_signature]
        if answers:
            # Interleaved answers (bottom posting): keep them, drop the quoted lines.
            kept = [line for line in after if not _is_quoted(line)]
            quoted = [line for line in tail if _is_quoted(line)]
            if marker.kind == "attribution":
                quoted = tail[: marker.span] + quoted
            body, signature = _split_signature(head + kept)
            return Cleaned(_joined(body) or "", _joined(quoted), _joined(signature))
    body, signature = _split_signature(head)
    return Cleaned(_joined(body) or "", _joined(tail), _joined(signature))


def strip_image_placeholders(text: str) -> str:
    return tidy(IMAGE_PLACEHOLDER.sub("", text))


# --- HTML ---------------------------------------------------------------------------------------

_DROP_BLOCKS = re.compile(
    r"<(script|style|head|title|xml|o:p)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
# Tracking pixels and spacers: images of 1-2 pixels.
_PIXEL = re.compile(
    r"<img\b[^>]*\b(?:width|height)\s*=\s*[\"']?[012](?:px)?[\"']?[^>]*>", re.IGNORECASE
)


def html_to_text(html: str) -> str:
    """Readable text from HTML: paragraphs and line breaks kept, links and images as
    Markdown (`[text](url)`, `![alt](src)`), lists and quotes marked, noise dropped."""
    cleaned = _PIXEL.sub("", _COMMENTS.sub("", _DROP_BLOCKS.sub("", html)))
    text = markdownify(
        cleaned,
        heading_style="ATX",
        bullets="-",
        escape_asterisks=False,
        escape_underscores=False,
        escape_misc=False,
        strip=["span", "font", "o:p"],
    )
    return tidy(text)


SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto", "cid", "tel"})


def sanitize_html(html: str) -> str:
    """HTML safe to show in the dashboard: nh3 (ammonia) with its default allow-list,
    links and `cid:` images kept, scripts, styles, handlers and remote tricks removed."""
    without_blocks = _DROP_BLOCKS.sub("", _COMMENTS.sub("", html))
    return nh3.clean(
        without_blocks, url_schemes=set(SAFE_URL_SCHEMES), link_rel="noopener noreferrer nofollow"
    )
