"""A small fixed history, built through the API with a controlled clock, that the
analytics tests check against numbers worked out by hand.

Week of Monday 2 March 2026 (D0) to Sunday 8 March (D6), times UTC; "now" is D6 12:00.

T1 (high, email, assigned to Ann): created D0 09:00; agent reply 10:00; pending 12:00;
   resolved D1 09:00; customer reply by email D1 15:00 reopens it (auto-reopen);
   resolved D2 09:00; reopened by the API D3 09:00; closed D3 12:00. Reopened twice.
T2 (normal, api): created D0 23:30 (D1 00:30 in Berlin); custom status "waiting" D1 10:00;
   agent reply D1 11:00; "waiting" deleted D2 12:00, T2 moved to its replacement, pending.
T3 (urgent, portal, category Billing): created D1 08:00; agent reply 08:30 plus an
   internal note at 08:10 (not a response); resolved D1 18:00.
T4 (normal): created D2 10:00, resolved 11:00, then deleted: counted nowhere.
T5 (low, email): created D4 09:00, still open.
T6 (normal): created D2 14:00, merged into T5 D4 10:00 (closed as a duplicate): counted
   nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api, make_status, make_ticket

Json = dict[str, Any]

D0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = 3600
WEEK = {"from": "2026-03-02", "to": "2026-03-08"}


def at(day: int, hour: float) -> datetime:
    return D0 + timedelta(days=day, hours=hour)


@dataclass
class History:
    brand: Json
    tickets: dict[str, Json]
    ann: Json
    billing: Json


def build(api: Api, brand: Json, clock: Any) -> History:
    b = brand["id"]

    def when(day: int, hour: float) -> None:
        clock.now = at(day, hour)

    def comment(ticket: Json, author: str, **extra: Any) -> None:
        api.ok(
            "post",
            f"/brands/{b}/tickets/{ticket['id']}/comments",
            201,
            json={"body": "Hello", "authorType": author, **extra},
        )

    def status(ticket: Json, key: str) -> None:
        api.ok("patch", f"/brands/{b}/tickets/{ticket['id']}", json={"status": key})

    when(-1, 8)
    ann = api.ok(
        "post", "/accounts/me/members", 201, json={"email": "ann@example.com", "name": "Ann"}
    )
    billing = api.ok("post", f"/brands/{b}/categories", 201, json={"name": "Billing"})
    waiting = make_status(api, brand, name="Waiting", key="waiting")

    when(0, 9)
    t1 = make_ticket(api, brand, priority="high", source="email", assigneeId=ann["id"])
    when(0, 10)
    comment(t1, "AGENT")
    when(0, 12)
    status(t1, "pending")
    when(0, 23.5)
    t2 = make_ticket(api, brand, priority="normal", source="api")
    when(1, 8)
    t3 = make_ticket(api, brand, priority="urgent", source="portal", categoryId=billing["id"])
    when(1, 8 + 10 / 60)
    comment(t3, "AGENT", isInternal=True)
    when(1, 8.5)
    comment(t3, "AGENT")
    when(1, 9)
    status(t1, "resolved")
    when(1, 10)
    status(t2, "waiting")
    when(1, 11)
    comment(t2, "AGENT")
    when(1, 15)
    comment(t1, "CUSTOMER", source="email")
    when(1, 18)
    status(t3, "resolved")
    when(2, 9)
    status(t1, "resolved")
    when(2, 10)
    t4 = make_ticket(api, brand)
    when(2, 11)
    status(t4, "resolved")
    api.ok("delete", f"/brands/{b}/tickets/{t4['id']}")
    when(2, 12)
    api.ok("delete", f"/brands/{b}/statuses/{waiting['id']}?replacementStatusKey=pending")
    when(2, 14)
    t6 = make_ticket(api, brand)
    when(3, 9)
    status(t1, "open")
    when(3, 12)
    status(t1, "closed")
    when(4, 9)
    t5 = make_ticket(api, brand, priority="low", source="email")
    when(4, 10)
    api.ok(
        "post",
        f"/brands/{b}/tickets/{t5['id']}/merge",
        json={"sourceTicketIds": [t6["id"]]},
    )
    when(6, 12)
    return History(
        brand, {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6}, ann, billing
    )
