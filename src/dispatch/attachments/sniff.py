"""What the bytes of an upload are, whether that contradicts what the uploader declared,
and what Content-Type a download may safely carry.

Binary formats are recognised by their signatures (the `filetype` library, plus Mach-O
executables); anything else without NUL bytes and with few control characters is text,
and text that opens like HTML, SVG or XML is marked up as such. Neither the declared nor
the detected type is ever trusted for rendering: downloads are attachments with `nosniff`,
and only raster images, PDF and plain text keep their type (see `served_type`).
"""

from __future__ import annotations

import re

import filetype

# How many leading bytes detection looks at.
SNIFF_BYTES = 8192

OCTET_STREAM = "application/octet-stream"
TEXT = "text/plain"
HTML = "text/html"
SVG = "image/svg+xml"
XML = "application/xml"
SHELL_SCRIPT = "text/x-shellscript"
MACH_O = "application/x-mach-binary"

# Saying nothing specific never contradicts the bytes.
GENERIC = frozenset(
    {"", OCTET_STREAM, "binary/octet-stream", "application/unknown", "application/x-unknown"}
)
# Programs: only an upload that declares nothing specific may carry one.
EXECUTABLE = frozenset(
    {
        "application/x-executable",
        "application/x-msdownload",
        "application/x-sharedlib",
        "application/x-elf",
        MACH_O,
        "application/wasm",
    }
)
# Active content a browser would run if it rendered it.
MARKUP = frozenset({HTML, SVG, XML})
# What a download may be served as; everything else goes out as application/octet-stream.
SAFE_TO_SERVE = frozenset(
    {
        "image/png",
        "image/apng",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/avif",
        "image/tiff",
        "image/heic",
        "image/x-icon",
        "application/pdf",
        TEXT,
    }
)

ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp",
    "image/vnd.microsoft.icon": "image/x-icon",
    "application/x-pdf": "application/pdf",
    "application/acrobat": "application/pdf",
    "application/x-zip-compressed": "application/zip",
    "application/x-zip": "application/zip",
    "application/x-gzip": "application/gzip",
    "application/x-rar": "application/x-rar-compressed",
    "application/vnd.rar": "application/x-rar-compressed",
    "application/x-bzip": "application/x-bzip2",
    "audio/mp3": "audio/mpeg",
    "audio/x-mpeg": "audio/mpeg",
    "audio/wav": "audio/x-wav",
    "audio/wave": "audio/x-wav",
    "audio/vnd.wave": "audio/x-wav",
    "audio/flac": "audio/x-flac",
    "audio/aiff": "audio/x-aiff",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "video/avi": "video/x-msvideo",
    "application/xhtml+xml": HTML,
    "text/xml": XML,
    "application/x-msdos-program": "application/x-msdownload",
    "application/x-dosexec": "application/x-msdownload",
    "application/vnd.microsoft.portable-executable": "application/x-msdownload",
    "application/x-sh": SHELL_SCRIPT,
    "application/x-shellscript": SHELL_SCRIPT,
    "application/x-rtf": "application/rtf",
    "text/rtf": "application/rtf",
}

# Formats that share a container, so one may be detected as another.
_FAMILIES = (
    frozenset(
        {
            "application/zip",
            "application/epub+zip",
            "application/java-archive",
            "application/vnd.android.package-archive",
            "application/x-google-chrome-extension",
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.presentation",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        }
    ),
    frozenset(
        {
            "application/msword",
            "application/vnd.ms-excel",
            "application/vnd.ms-powerpoint",
            "application/vnd.ms-outlook",
            "application/x-msi",
        }
    ),
    frozenset(
        {"video/mp4", "audio/mp4", "video/x-m4v", "video/quicktime", "video/3gpp", "audio/aac"}
    ),
    frozenset({"audio/ogg", "video/ogg", "application/ogg"}),
    frozenset({"audio/webm", "video/webm", "video/x-matroska"}),
    frozenset({"image/png", "image/apng"}),
)
# Generic containers: a vendor format may well be one of these underneath.
_CONTAINERS = frozenset(
    {
        "application/zip",
        "application/gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/x-xz",
        "application/x-bzip2",
        "application/zstd",
        "application/x-sqlite3",
        "application/x-rar-compressed",
    }
)
_MEDIA = frozenset({"image", "audio", "video"})
_TEXTUAL_APPLICATION = frozenset(
    {
        "application/json",
        "application/javascript",
        "application/ecmascript",
        "application/x-javascript",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/sql",
        "application/graphql",
        "application/x-ndjson",
        "application/x-subrip",
        "application/x-python",
        "application/x-httpd-php",
        "application/mbox",
        XML,
        SHELL_SCRIPT,
    }
)
# Declared types that honest clients send for text files (Windows labels .csv as Excel).
_TEXT_TOLERANT = frozenset({"application/vnd.ms-excel"})
# Types with a signature `filetype` checks: declaring one promises those bytes.
_KNOWN = frozenset(t.mime for t in filetype.types) - {OCTET_STREAM} | {MACH_O}

_MACH_O_MAGIC = (
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def normalize(content_type: str | None) -> str:
    """The lower-case `type/subtype` without parameters, aliases resolved ("" if none)."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(essence, essence)


def is_valid_type(content_type: str) -> bool:
    return _TYPE.fullmatch(normalize(content_type)) is not None


def _major(content_type: str) -> str:
    return content_type.split("/", 1)[0]


def is_textual(content_type: str) -> bool:
    major = _major(content_type)
    return (
        major in ("text", "message")
        or content_type in _TEXTUAL_APPLICATION
        or content_type.endswith(("+json", "+xml"))
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    controls = len(_CONTROL.findall(head))
    return controls * 100 <= len(head)


def _markup(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\f").lower()
    if text.startswith(b"<?xml"):
        if b"<svg" in text:
            return SVG
        if b"<html" in text:
            return HTML
        return XML
    if text.startswith(b"<svg"):
        return SVG
    html_openers = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe")
    if text.startswith(html_openers):
        return HTML
    return None


def detect(head: bytes) -> str:
    """The type of the bytes that start with `head`; OCTET_STREAM for unknown binary."""
    if head.startswith(_MACH_O_MAGIC):
        return MACH_O
    kind = filetype.guess_mime(head)
    if kind and kind != OCTET_STREAM:
        return normalize(kind)
    if head and _looks_like_text(head):
        if head.startswith(b"#!"):
            return SHELL_SCRIPT
        return _markup(head) or TEXT
    return OCTET_STREAM


def _same_family(a: str, b: str) -> bool:
    return any(a in family and b in family for family in _FAMILIES)


def contradicts(declared: str, detected: str) -> bool:
    """Whether the bytes (`detected`) are something else than the upload claims.

    Saying nothing specific (application/octet-stream) is never a lie, unless nothing else
    is: a program must not hide behind another type, active markup not behind a non-text
    type. Related formats are accepted for each other (a .docx is a zip, a PNG labelled
    JPEG is still an image), as are vendor types over generic containers.
    """
    declared, detected = normalize(declared), normalize(detected)
    if declared == detected:
        return False
    if detected in EXECUTABLE:
        return declared not in GENERIC
    if declared in GENERIC:
        return False
    if detected in MARKUP:
        return not is_textual(declared)
    if _same_family(declared, detected):
        return False
    if is_textual(detected):
        return not is_textual(declared) and declared not in _TEXT_TOLERANT
    if detected == OCTET_STREAM:
        return declared in _KNOWN or is_textual(declared)
    if _major(detected) in _MEDIA and _major(declared) == _major(detected):
        return False
    return (
        declared in _KNOWN
        or is_textual(declared)
        or _major(declared) in _MEDIA
        or detected not in _CONTAINERS
    )


def served_type(detected: str | None) -> str:
    """The Content-Type a download goes out with: the detected type when it is safe to
    show (raster images, PDF, plain text), else application/octet-stream."""
    kind = normalize(detected)
    return kind if kind in SAFE_TO_SERVE else OCTET_STREAM
