"""What every brand settings screen shares: its URLs, the context around its pages, the
notice a redirect carries, and a refusal read as the form's field errors."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from dispatch.core.actor import require_settings_manager
from dispatch.web.forms import field_errors
from dispatch.web.runner import Screen, WebError

BASE = "/brands/{brand_id}/settings/{screen}"
NOTICE_MAX = 200
# What a redirect after a form may say happened: ?<outcome>=<name>.
OUTCOMES = {
    "created": "Created {}",
    "saved": "Saved {}",
    "deleted": "Deleted {}",
    "merged": "Merged into {}",
    "reordered": "Order saved",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def url_of(brand_id: str, screen: str, tail: str = "", **query: str | int) -> str:
    url = BASE.format(brand_id=brand_id, screen=screen) + tail
    return f"{url}?{urlencode(query)}" if query else url


def shell(screen: Screen, brand_id: str, nav: str) -> dict[str, Any]:
    """The app shell, the brand (a 404 outside the member's reach) and this screen's URL."""
    brand = screen.brand(brand_id)
    return {
        "member": screen.member,
        "brands": screen.brands(),
        "brand": brand,
        "base": url_of(brand.id, nav),
        "can_manage": screen.actor.manages_settings,
        "nav": nav,
        "errors": {},
        "values": {},
    }


def managing(screen: Screen, brand_id: str, nav: str, action: str) -> dict[str, Any]:
    """`shell` for a form only owners and admins see (the brand is checked first)."""
    context = shell(screen, brand_id, nav)
    require_settings_manager(screen.actor, action)
    return context


def notice_of(request: Request, extra: str = "") -> str | None:
    """The outcome a redirect names, in words; `extra` follows it (what else happened)."""
    for outcome, text in OUTCOMES.items():
        if outcome in request.query_params:
            said = text.format(request.query_params[outcome][:NOTICE_MAX])
            return f"{said}{extra}"
    return None


def done(url: str, outcome: str, name: str = "", **more: str | int) -> Response:
    return RedirectResponse(f"{url}?{urlencode({outcome: name, **more})}", status_code=303)


def snake(name: str) -> str:
    """A service's field name as the form's: ticketNumberStart -> ticket_number_start."""
    return _CAMEL.sub(r"_\1", name).lower()


def form_errors(refused: WebError, by_code: dict[str, str] | None = None) -> dict[str, str]:
    """The refusal by the form's field names; a refusal about no field (not allowed, not
    found) is raised again, to be shown the usual way."""
    errors = field_errors(refused.error, by_code=by_code)
    if errors is None:
        raise refused
    return {snake(field): message for field, message in errors.items()}
