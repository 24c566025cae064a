"""How portal pages render: in the brand's look, with the form token every portal form
carries (the double-submit cookie is set on the same response)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from dispatch.brands.models import Brand
from dispatch.web.portal.visit import BrandLook, home
from dispatch.web.security import keep_form_token
from dispatch.web.templating import page


def form_page(
    request: Request,
    brand: Brand | BrandLook | None,
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    # Every link of the page appends to `portal_base` (the root on the brand's own domain).
    portal_base = home(request, brand.slug) if brand is not None else ""
    response = page(
        request, template, status_code=status_code, brand=brand, portal_base=portal_base,
        **context,
    )  # fmt: skip
    keep_form_token(response, request, request.app.state.settings)
    return response
