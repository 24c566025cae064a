"""What outgoing emails say: Jinja2 templates (plain text and HTML) and comment bodies.

Every email has a plain-text and an HTML part, rendered from `templates/<name>.txt` and
`templates/<name>.html` (autoescaped). Comment bodies are markdown: markdown-it-py renders
them with raw HTML off (any `<tag>` a writer typed is shown as text), line breaks kept and
bare URLs linked; `![name](attachment:<id>)` and `[name](attachment:<id>)` become links
(and images) to signed download URLs; mentions `@[Name](memberId)` become `@Name`. The
HTML is then cleaned by nh3 with a short allow-list, so nothing but plain formatting,
links and images can reach a mail client.

Brand-written texts (autoresponse subject and body) use `{{placeholder}}` names filled by
plain substitution, never evaluated as templates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import nh3
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

# `[name](attachment:<id>)` and `![name](attachment:<id>)`, as comment editors write them.
ATTACHMENT_REF = re.compile(r"(!?)\[([^\]\n]*)\]\(attachment:([A-Za-z0-9_-]{1,64})\)")
# `@[Display Name](memberId)`.
MENTION = re.compile(r"@\[([^\]\n]{1,200})\]\(([A-Za-z0-9_-]{1,64})\)")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
LINK_SCHEMES = ("http://", "https://", "mailto:")
IMAGE_SCHEMES = ("http://", "https://")

_ALLOWED_TAGS = {
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    html: str


@cache
def environment() -> Environment:
    # The templates ship with the package: not checked for changes on every render (a
    # stat per template per email, 2% of the worker's CPU while replies were emailed).
    return Environment(
        auto_reload=False,
        loader=PackageLoader("dispatch.email", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> Rendered:
    """The plain-text and HTML parts of template `name`."""
    env = environment()
    text = env.get_template(f"{name}.txt").render(**context)
    html = env.get_template(f"{name}.html").render(**context)
    return Rendered(text=_tidy_text(text), html=html)


def _tidy_text(text: str) -> str:
    """No runs of more than one blank line, no trailing spaces, one final newline."""
    # "-- " (with its space) is the signature separator mail clients know.
    lines = [line.rstrip() if line.rstrip() != "--" else "-- " for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if not line and tidy and not tidy[-1]:
            continue
        tidy.append(line)
    return "\n".join(tidy).strip("\n") + "\n"


# --- comment bodies -----------------------------------------------------------------------


def attachment_ids(*bodies: str) -> list[str]:
    """The attachment ids referenced in these bodies, first mention first."""
    found: dict[str, None] = {}
    for body in bodies:
        for match in ATTACHMENT_REF.finditer(body):
            found.setdefault(match.group(3), None)
    return list(found)


def _mentions_as_text(body: str) -> str:
    return MENTION.sub(lambda m: f"@{m.group(1)}", body)


def body_text(body: str, urls: Mapping[str, str | None]) -> str:
    """A comment body for the plain-text part: markdown is readable as it is; attachment
    references become `name (url)`, mentions `@Name`."""

    def attachment(match: re.Match[str]) -> str:
        name = match.group(2).strip() or "attachment"
        url = urls.get(match.group(3))
        return f"{name} ({url})" if url else name

    return ATTACHMENT_REF.sub(attachment, _mentions_as_text(body))


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    return md.enable(["linkify", "table", "strikethrough"])


def _usable(value: str, urls: Mapping[str, str | None], schemes: tuple[str, ...]) -> str | None:
    """Where a link or image should point: an `attachment:<id>` as its signed URL, any other
    value as is; None when that is unknown or not of `schemes`."""
    target = (
        urls.get(value.removeprefix("attachment:")) if value.startswith("attachment:") else value
    )
    return target if target and target.lower().startswith(schemes) else None


def _rewrite_inline(children: list[Token], urls: Mapping[str, str | None]) -> list[Token]:
    """Point attachment links and images at their signed URLs; links and images that lead
    nowhere usable (unknown attachments, relative or odd schemes) keep only their text."""
    out: list[Token] = []
    dropped_links = 0
    for token in children:
        if token.type == "link_open":
            target = _usable(str(token.attrGet("href") or ""), urls, LINK_SCHEMES)
            if target:
                token.attrSet("href", target)
                out.append(token)
            else:
                dropped_links += 1
            continue
        if token.type == "link_close" and dropped_links:
            # Links do not nest, so a close after a dropped open is that open's.
            dropped_links -= 1
            continue
        if token.type == "image":
            target = _usable(str(token.attrGet("src") or ""), urls, IMAGE_SCHEMES)
            if target:
                token.attrSet("src", target)
                out.append(token)
            else:
                text = Token("text", "", 0)
                text.content = token.content or "image"
                out.append(text)
            continue
        out.append(token)
    return out


def body_html(body: str, urls: Mapping[str, str | None]) -> Markup:
    """A comment body as safe HTML (see the module's docstring)."""
    md = _markdown()
    tokens = md.parse(_mentions_as_text(body))
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = _rewrite_inline(token.children, urls)
    html = md.renderer.render(tokens, md.options, {})
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - cleaned by nh3 just above


# --- brand texts --------------------------------------------------------------------------


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """`{{name}}` replaced by `values[name]`; unknown names are left as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def one_line(value: str, limit: int = 300) -> str:
    """A value fit for a header: whitespace (line breaks included) collapsed, bounded."""
    collapsed = " ".join(value.split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1].rstrip() + "…"
