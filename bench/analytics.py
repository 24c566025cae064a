"""Analytics benchmark: each report over 90 days, over HTTP against `dispatch serve`, on
a brand of N tickets with a year of history.

    python -m bench.analytics --db postgres --tickets 100000

The history is bulk-inserted as the services would have written it: tickets created
evenly over the last 365 days; a first public agent reply on most; status changes as
activity entries (`changes.status`), each with its SYSTEM comment; resolutions, some
reopened (by a customer's emailed reply or by the API) and resolved again; a share still
open, pending or in a custom status. The analytics rollups are written alongside, as the
services keep them: each change's `status_stays` row, and each ticket's first response,
first resolution and last status change. Each report is then requested `--repeat` times, one
at a time, after one unmeasured request (target: < 500 ms each). Results go to
bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import Table, insert, text

from bench.core import RESULTS, Fixture, Server, drop_database, prepare, save_report
from dispatch.audit.models import AuditLog
from dispatch.comments.models import Comment
from dispatch.core.db import Database
from dispatch.core.ids import new_id
from dispatch.statuses import counts
from dispatch.tickets.models import StatusStay, Ticket
from dispatch.tickets.repository import count_by_status
from dispatch.tickets.stays import is_resolution

TICKETS = cast(Table, Ticket.__table__)
COMMENTS = cast(Table, Comment.__table__)
ENTRIES = cast(Table, AuditLog.__table__)
STAYS = cast(Table, StatusStay.__table__)
DB_NAME = "dispatch_bench_analytics"
TARGET_MS = 500
DAYS = 365
BATCH = 5_000
# The report requests: name, path after /analytics/, extra query.
REPORTS = [
    ("volume", "volume", {}),
    ("backlog", "backlog", {}),
    ("response_times", "response-times", {}),
    ("response_times_by_agent", "response-times", {"groupBy": "agent"}),
    ("time_in_status", "time-in-status", {}),
    ("reopens", "reopens", {}),
]


class History:
    """One ticket's rows: the ticket, its comments, its activity entries and its status
    stays, with the ticket's rollup marks."""

    def __init__(self, fixture: Fixture, number: int, created: datetime, now: datetime) -> None:
        self.fixture = fixture
        self.ticket_id = new_id("tkt")
        self.created = created
        self.now = now
        self.at = created
        self.status = "open"
        self.status_changed_at: datetime | None = None
        self.first_response_at: datetime | None = None
        self.first_resolved_at: datetime | None = None
        self.stays: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = [
            self._entry("ticket.created", None, "api", {"status": "open"}, created)
        ]
        self.number = number

    def _entry(
        self,
        event: str,
        changes: dict[str, Any] | None,
        source: str,
        metadata: dict[str, Any] | None,
        at: datetime,
    ) -> dict[str, Any]:
        return {
            "id": new_id("log"),
            "account_id": self.fixture.account_id,
            "brand_id": self.fixture.brand_id,
            "ticket_id": self.ticket_id,
            "event": event,
            "entity_type": "ticket",
            "entity_id": self.ticket_id,
            "changes": changes,
            "performed_by": {"type": "api"},
            "source": source,
            "metadata": metadata,
            "created_at": at,
        }

    def _comment(self, author: str, source: str, at: datetime, **extra: Any) -> str:
        comment_id = new_id("cmt")
        self.comments.append(
            {
                "id": comment_id,
                "brand_id": self.fixture.brand_id,
                "ticket_id": self.ticket_id,
                "body": "Seeded",
                "author_type": author,
                "is_internal": author == "SYSTEM",
                "links": [],
                "metadata": extra,
                "source": source,
                "created_at": at,
                "updated_at": at,
            }
        )
        return comment_id

    def wait(self, hours: float) -> bool:
        """Let time pass; False (and nothing happens) if that is past now."""
        at = self.at + timedelta(hours=hours)
        if at >= self.now:
            return False
        self.at = at
        return True

    def reply(self, author: str, source: str = "api") -> str:
        self.entries.append(self._entry("comment.created", None, source, None, self.at))
        if author == "AGENT" and self.first_response_at is None:
            self.first_response_at = self.at
        return self._comment(author, source, self.at)

    def move(
        self,
        to: str,
        source: str = "api",
        metadata: dict[str, Any] | None = None,
        reply_channel: str | None = None,
    ) -> None:
        changes = {"status": {"old": self.status, "new": to}}
        entry = self._entry("ticket.updated", changes, source, metadata, self.at)
        self.entries.append(entry)
        self._comment("SYSTEM", "system", self.at + timedelta(microseconds=1), kind="status")
        self.stays.append(
            {
                "id": entry["id"],
                "brand_id": self.fixture.brand_id,
                "ticket_id": self.ticket_id,
                "status_key": self.status,
                "next_key": to,
                "entered_at": self.status_changed_at or self.created,
                "left_at": self.at,
                "channel": reply_channel or source,
                "by_reply": source == "auto-reopen",
            }
        )
        if self.first_resolved_at is None and is_resolution(self.status, to):
            self.first_resolved_at = self.at
        self.status_changed_at = self.at
        self.status = to


def play(history: History, rng: random.Random) -> None:
    """A plausible life: a reply, maybe a wait on the customer, a resolution, sometimes a
    reopen (customer email or API) and another resolution, then closing."""
    final = rng.choices(
        ["open", "pending", "in_progress", "resolved", "closed"], [10, 5, 5, 40, 40]
    )[0]
    if rng.random() < 0.9 and history.wait(rng.expovariate(1 / 3)):
        history.reply("AGENT")
    if final == "open":
        return
    if final in ("pending", "in_progress") or rng.random() < 0.3:
        step = "pending" if final != "in_progress" else "in_progress"
        if not history.wait(rng.expovariate(1 / 6)):
            return
        history.move(step)
        if final == step:
            return
    if not history.wait(rng.expovariate(1 / 20)):
        return
    history.move("resolved")
    if rng.random() < 0.12 and history.wait(rng.expovariate(1 / 30)):
        if rng.random() < 0.5:
            comment_id = history.reply("CUSTOMER", "email")
            history.move(
                "open",
                "auto-reopen",
                {"trigger": "auto-reopen", "commentId": comment_id},
                reply_channel="email",
            )
        else:
            history.move("open")
        if not history.wait(rng.expovariate(1 / 12)):
            return
        history.move("resolved")
    if final == "closed" and history.wait(rng.expovariate(1 / 48)):
        history.move("closed")


def seed(fixture: Fixture, tickets: int, now: datetime) -> dict[str, int]:
    database = Database.from_url(fixture.url, pool_size=2)
    rng = random.Random(13)
    start = now - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / tickets
    priorities = ["low", "normal", "high", "urgent"]
    tables = {"tickets": TICKETS, "comments": COMMENTS, "entries": ENTRIES, "stays": STAYS}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    written = dict.fromkeys(tables, 0)

    def flush(session: Any) -> None:
        for name, table in tables.items():
            if rows[name]:
                session.execute(insert(table), rows[name])
                written[name] += len(rows[name])
                rows[name].clear()

    with database.session() as session:
        for n in range(tickets):
            history = History(fixture, 1001 + n, start + step * n, now)
            play(history, rng)
            rows["tickets"].append(
                {
                    "id": history.ticket_id,
                    "account_id": fixture.account_id,
                    "brand_id": fixture.brand_id,
                    "ticket_number": 1001 + n,
                    "title": f"Seeded ticket {n}",
                    "body": "Seeded by the analytics benchmark",
                    "status_id": fixture.status_ids[history.status],
                    "priority": rng.choice(priorities),
                    "source": rng.choice(["api", "email", "email", "portal"]),
                    "custom_fields": {},
                    "metadata": {},
                    "links": [],
                    "comment_count": sum(c["author_type"] != "SYSTEM" for c in history.comments),
                    "attachment_count": 0,
                    "is_spam": False,
                    "version": 1,
                    "created_at": history.created,
                    "updated_at": history.at,
                    "first_response_at": history.first_response_at,
                    "first_resolved_at": history.first_resolved_at,
                    "status_changed_at": history.status_changed_at,
                }
            )
            rows["comments"] += history.comments
            rows["entries"] += history.entries
            rows["stays"] += history.stays
            if len(rows["tickets"]) == BATCH:
                flush(session)
        flush(session)
        counts.replace(session, fixture.brand_id, count_by_status(session, fixture.brand_id))
        session.commit()
    with database.bind.connect().execution_options(  # type: ignore[union-attr]
        isolation_level="AUTOCOMMIT"
    ) as conn:
        postgres = conn.dialect.name == "postgresql"
        conn.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
        if postgres:
            conn.execute(text("CHECKPOINT"))
    os.sync()
    database.dispose()
    return written


def measure(
    server: Server, fixture: Fixture, prefix: str, query: dict[str, str], repeat: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {fixture.key}"}
    results: dict[str, Any] = {}
    with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
        for name, path, extra in REPORTS:
            url = f"{prefix}/{path}"
            client.get(url, params={**query, **extra}).raise_for_status()  # unmeasured
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                client.get(url, params={**query, **extra}).raise_for_status()
                times.append((time.perf_counter() - began) * 1000)
            times.sort()
            results[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
                "max_ms": round(times[-1], 1),
                "under_target": times[-1] < TARGET_MS,
            }
            print(f"  {prefix.split('/')[-2] or 'account'} {name}: {results[name]}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90, help="the reports' range")
    parser.add_argument("--timezone", default="Europe/Berlin")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    fixture = prepare(args.db, DB_NAME)
    now = datetime.now(UTC)
    print(f"seeding {args.tickets} tickets with a year of history...", flush=True)
    began = time.monotonic()
    written = seed(fixture, args.tickets, now)
    seeded_in = round(time.monotonic() - began, 1)
    print(f"seeded {written} in {seeded_in} s", flush=True)
    today = now.date()
    query = {
        "from": (today - timedelta(days=args.days - 1)).isoformat(),
        "to": today.isoformat(),
        "timezone": args.timezone,
    }
    server = Server(fixture.url, args.workers)
    try:
        brand = measure(
            server, fixture, f"/v1/brands/{fixture.brand_id}/analytics", query, args.repeat
        )
        account = measure(server, fixture, "/v1/analytics", query, args.repeat)
    finally:
        server.stop()
        if not args.keep:
            drop_database(args.db, DB_NAME)
    report = {
        "db": args.db,
        "tickets": args.tickets,
        "rows": written,
        "seeded_seconds": seeded_in,
        "range_days": args.days,
        "timezone": args.timezone,
        "started": now.isoformat(),
        "target_ms": TARGET_MS,
        "brand": brand,
        "account": account,
    }
    print(json.dumps(report, indent=2))
    save_report("analytics", args.db, report)


if __name__ == "__main__":
    main()
