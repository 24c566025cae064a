"""What the contacts' and companies' screens share: a list's view as its URL says it,
the page shell of a brand's screen, and the redirect after a form that names the outcome."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from dispatch.brands.models import Brand
from dispatch.web.runner import Screen

QUERY_MAX = 200


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list's search, filter and page (names are the query parameters)."""

    q: str = ""
    company: str = ""  # contacts: a company id, "null" for contacts without one
    cursor: str = ""

    @classmethod
    def parse(cls, request: Request) -> ListQuery:
        params = request.query_params
        return cls(**{f.name: (params.get(f.name) or "").strip()[:QUERY_MAX] for f in fields(cls)})

    def url(self, **changes: str) -> str:
        """This view's query string with `changes`; any change but a page's starts again
        at the first page."""
        changed = replace(self, **({"cursor": ""} | changes))
        kept = {f.name: getattr(changed, f.name) for f in fields(changed)}
        return urlencode({name: value for name, value in kept.items() if value})


def shell(screen: Screen, brand: Brand, nav: str) -> dict[str, Any]:
    """What the app shell (_app.html) needs around a brand's screen."""
    return {"member": screen.member, "brands": screen.brands(), "brand": brand, "nav": nav}


def redirect_to(target: str, **notice: str) -> Response:
    return RedirectResponse(target + (f"?{urlencode(notice)}" if notice else ""), status_code=303)
