"""Settings → Brand → Webhooks: the brand's endpoints and, per endpoint, its delivery log.

Owners and admins create (the signing secret is shown once), edit, enable or disable,
rotate the secret (the old one keeps signing for a chosen overlap), send a test event,
delete, retry a delivery and send again every failure since a time. Members see the
same pages without those controls, and the services refuse their posts (403), as they
refuse any actor who does not manage settings.

Every form is a plain POST followed by a redirect that names what happened, except
create and rotate, whose answer is the one page that shows the new secret. The log of
an endpoint refreshes itself (htmx) while a delivery is about to be sent."""

from __future__ import annotations

from fastapi import APIRouter

from dispatch.web.dashboard.webhooks import deliveries, endpoints

router = APIRouter(include_in_schema=False)
# The endpoints' routes first: `/new` must not be taken for a webhook's id. Added as
# routes (not included routers, which FastAPI keeps wrapped, out of `app.routes`).
for part in (endpoints, deliveries):
    router.routes.extend(part.router.routes)
