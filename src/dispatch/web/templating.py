"""Jinja2 for the web pages: one environment, autoescaped, with the helpers every
template uses (static URLs that change when a file does, relative times)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from dispatch.core import clock
from dispatch.web.security import form_token

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"


@cache
def _fingerprint(path: str) -> str:
    """A short hash of a static file's bytes: its URL changes when it does, so browsers
    may cache static files for a year."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    return f"/static/{path}?v={_fingerprint(path)}"


def vendor(name: str, file: str) -> str:
    """The URL of a vendored library's file (static/vendor/<name>-<version>/<file>,
    see static/vendor/VENDORED.md)."""
    return static_url(_vendored(name, file))


@cache
def _vendored(name: str, file: str) -> str:
    for folder in sorted((STATIC_DIR / "vendor").glob(f"{name}-*")):
        version = folder.name.removeprefix(f"{name}-")
        if version[:1].isdigit() and (folder / file).exists():
            return f"vendor/{folder.name}/{file}"
    raise LookupError(f"{name}/{file} is not vendored under {STATIC_DIR / 'vendor'}")


def ago(moment: datetime | None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 d ago', then the date; a moment still to
    come (a next attempt, an expiry) reads 'in a moment', 'in 5 min', 'in 3 h'."""
    if moment is None:
        return ""
    seconds = int((clock.now() - moment).total_seconds())
    if abs(seconds) >= 30 * 86400:
        return moment.strftime("%Y-%m-%d")
    if seconds < 0:
        return "in a moment" if seconds > -60 else f"in {_span(-seconds)}"
    return "just now" if seconds < 60 else f"{_span(seconds)} ago"


def _span(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def when(moment: datetime | None) -> str:
    """The exact time, for a title attribute beside `ago`."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def readable_text(hex_color: str) -> str:
    """Black or white, whichever reads better on a badge of this color (WCAG luminance)."""
    value = hex_color.lstrip("#")
    if len(value) != 6:
        return "#111827"
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111827" if luminance > 0.179 else "#ffffff"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals.update(static_url=static_url, vendor=vendor)
templates.env.filters.update(ago=ago, when=when, readable_text=readable_text)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render `template`. `csrf` is the session's token on signed-in pages and the
    pre-session form token on sign-in pages."""
    context.setdefault("csrf", getattr(request.state, "csrf", None) or form_token(request))
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
