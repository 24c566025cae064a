"""Settings → Brand → General: the brand's name, slug, ticket numbering, links, sender,
the addresses it receives mail at (with copy buttons) and its autoresponse, previewed as
it is typed (rendered here, by the function the email channel sends it with)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import BrandChanges
from dispatch.email.addresses import brand_address, inbound_domain
from dispatch.email.notifications import AUTORESPONSE_PLACEHOLDERS, autoresponse_texts
from dispatch.tickets.models import Ticket
from dispatch.web.dashboard.brand_settings.screen import (
    done,
    form_errors,
    notice_of,
    shell,
    url_of,
)
from dispatch.web.runner import Screen, WebError, command, run
from dispatch.web.templating import page

router = APIRouter(include_in_schema=False)

NAV = "general"
BASE = "/brands/{brand_id}/settings/general"
EDITED = (
    "name",
    "slug",
    "ticket_prefix",
    "ticket_number_start",
    "url",
    "icon_url",
    "from_name",
    "from_email",
    "autoresponse_subject",
    "autoresponse_body",
)
# The ticket the preview pretends the autoresponse answers.
SAMPLE_TITLE = "Where is my order?"
SAMPLE_CUSTOMER = "Pat Jones"


def _values(brand: Brand) -> dict[str, Any]:
    stored = {name: getattr(brand, name, None) for name in EDITED}
    return {
        **{name: "" if value is None else value for name, value in stored.items()},
        "ticket_number_start": brand.next_ticket_number,
        "autoresponse_enabled": brand.autoresponse_enabled,
    }


def preview(brand: Brand, subject: str, body: str) -> dict[str, str]:
    """The autoresponse a customer would get for the brand's next ticket."""
    sample = Ticket(ticket_number=brand.next_ticket_number, title=SAMPLE_TITLE)
    subject_text, body_text = autoresponse_texts(
        brand, sample, SAMPLE_CUSTOMER, subject_template=subject, body_template=body
    )
    return {
        "subject": subject_text,
        "body": body_text,
        "title": SAMPLE_TITLE,
        "customer": SAMPLE_CUSTOMER,
    }


def _context(screen: Screen, brand_id: str) -> dict[str, Any]:
    context = shell(screen, brand_id, NAV)
    brand = context["brand"]
    return {
        **context,
        "addresses": [
            ("By slug", brand_address(screen.settings, brand)),
            ("By brand id", f"{brand.id.lower()}@{inbound_domain(screen.settings)}"),
        ],
        "placeholders": AUTORESPONSE_PLACEHOLDERS,
        "values": _values(brand),
    }


@router.get(BASE)
async def general_page(request: Request, brand_id: str) -> Response:
    context = await run(request, lambda screen: _context(screen, brand_id))
    values = context["values"]
    shown = preview(context["brand"], values["autoresponse_subject"], values["autoresponse_body"])
    return page(
        request, "settings/general.html", notice=notice_of(request), preview=shown, **context
    )


@router.get(f"{BASE}/preview")
async def autoresponse_preview(
    request: Request, brand_id: str, autoresponse_subject: str = "", autoresponse_body: str = ""
) -> Response:
    """The preview for the subject and body being typed (htmx, nothing saved)."""
    brand = await run(request, lambda screen: screen.brand(brand_id))
    shown = preview(brand, autoresponse_subject[:200], autoresponse_body[:20_000])
    return page(request, "settings/_autoresponse_preview.html", preview=shown)


@router.post(BASE)
async def save_general(
    request: Request,
    brand_id: str,
    name: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
    ticket_prefix: Annotated[str, Form()] = "",
    ticket_number_start: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    icon_url: Annotated[str, Form()] = "",
    from_name: Annotated[str, Form()] = "",
    from_email: Annotated[str, Form()] = "",
    autoresponse_enabled: Annotated[str, Form()] = "",
    autoresponse_subject: Annotated[str, Form()] = "",
    autoresponse_body: Annotated[str, Form()] = "",
) -> Response:
    typed = {
        "name": name,
        "slug": slug,
        "ticket_prefix": ticket_prefix,
        "ticket_number_start": ticket_number_start,
        "url": url,
        "icon_url": icon_url,
        "from_name": from_name,
        "from_email": from_email,
        "autoresponse_subject": autoresponse_subject,
        "autoresponse_body": autoresponse_body,
    }

    def work(screen: Screen) -> Brand:
        brand = screen.brand(brand_id)
        changes: dict[str, Any] = {
            # Blank optional texts are unset, not empty strings.
            **{field: typed[field].strip() or None for field in EDITED},
            "name": name,
            "slug": slug,
            "ticket_prefix": ticket_prefix,
            "autoresponse_enabled": autoresponse_enabled == "true",
        }
        # The counter moves only when changed: numbers handed out are never reused.
        if ticket_number_start.strip() == str(brand.next_ticket_number):
            del changes["ticket_number_start"]
        data = command(BrandChanges, **changes)
        return brands.update_brand(screen.session, screen.actor, brand, data)

    try:
        saved = await run(request, work, write=True)
    except WebError as refused:
        errors = form_errors(refused, by_code={"slug_taken": "slug"})
        context = await run(request, lambda screen: _context(screen, brand_id))
        values = {**typed, "autoresponse_enabled": autoresponse_enabled == "true"}
        shown = preview(context["brand"], autoresponse_subject, autoresponse_body)
        context.update(values=values, errors=errors, preview=shown)
        return page(request, "settings/general.html", 422, **context)
    return done(url_of(saved.id, NAV), "saved", saved.name)
