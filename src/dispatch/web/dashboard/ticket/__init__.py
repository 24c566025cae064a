"""The ticket page: header and fields, the conversation, the reply box, the history, who
else is looking, and live updates.

htmx swaps `#ticket-view` (header, conversation, sidebar); the reply box sits outside it
so a draft survives every save and every live refresh."""

from fastapi import APIRouter

from dispatch.web.dashboard.ticket import changing, reading, replying

router = APIRouter(include_in_schema=False)
for part in (reading, changing, replying):
    router.routes.extend(part.router.routes)
