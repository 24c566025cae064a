"""Settings → Brand: General, Categories, Tags, Custom fields, Ticket schema, Portal and Web
forms, a module per screen at `/brands/{brand_id}/settings/<screen>`.

Owners and admins change them; members see the same pages without the controls, and the
services refuse their posts (403) as they refuse any actor who does not manage settings.
Every form is a plain POST: a refusal about its fields brings the page back with them
(422, nothing changed), a success redirects to the page with a notice naming it. Only
reordering (static/reorder.js), the autoresponse preview and the schema check use
scripts."""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.web.dashboard.brand_settings import (
    categories,
    fields,
    forms,
    general,
    portal,
    schema,
    tags,
)

router = APIRouter(include_in_schema=False)
for screen in (general, categories, tags, fields, schema, portal, forms):
    # Flat, as mount.py adds them (an included router would hide them from app.routes,
    # where tests/web/test_route_policy.py finds the routes it checks).
    router.routes.extend(screen.router.routes)
