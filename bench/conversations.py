"""Conversation benchmark: adding comments and searching tickets, over HTTP against
`dispatch serve`, on a brand of N tickets with five comments each.

    python -m bench.conversations --db postgres --tickets 100000

Text is drawn from a synthetic vocabulary with a Zipf-like distribution, so searches
for common words match many tickets and rare words few, as in a real helpdesk. Needs
`wrk`. Results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert

from bench import wrk
from bench.core import (
    RESULTS,
    STATUS_MIX,
    Fixture,
    Server,
    prepare,
    refresh_counts,
    save_report,
    settle,
)
from dispatch.comments.models import Comment
from dispatch.core.db import Database
from dispatch.core.ids import new_id
from dispatch.tickets.models import Ticket

# The tables behind the models, for bulk inserts of plain rows.
TICKETS = cast(Table, Ticket.__table__)
COMMENTS = cast(Table, Comment.__table__)

COMMENTS_PER_TICKET = 5
SYLLABLES = ["ka", "lo", "mi", "ne", "tu", "ra", "si", "po", "de", "va", "zu", "be", "fo", "gi"]


def vocabulary(size: int = 3000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Text:
    """Sentences with word frequencies falling off like natural language (1/rank)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.weights = [1 / (rank + 1) for rank in range(len(words))]

    def sentence(self, length: int) -> str:
        return " ".join(random.choices(self.words, self.weights, k=length))


def seed(fixture: Fixture, tickets: int, words: Text) -> list[str]:
    database = Database.from_url(fixture.url, pool_size=2)
    keys = [k for k, share in STATUS_MIX.items() for _ in range(share)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ids: list[str] = []
    with database.session() as session:
        ticket_rows: list[dict[str, Any]] = []
        comment_rows: list[dict[str, Any]] = []
        for n in range(tickets):
            created = start + timedelta(seconds=n * 30)
            ticket_id = new_id("tkt")
            ids.append(ticket_id)
            ticket_rows.append(
                {
                    "id": ticket_id,
                    "account_id": fixture.account_id,
                    "brand_id": fixture.brand_id,
                    "ticket_number": 1001 + n,
                    "title": words.sentence(6),
                    "body": words.sentence(40),
                    "status_id": fixture.status_ids[keys[n % len(keys)]],
                    "priority": "normal",
                    "source": "api",
                    "custom_fields": {},
                    "metadata": {},
                    "links": [],
                    "comment_count": COMMENTS_PER_TICKET,
                    "attachment_count": 0,
                    "is_spam": False,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            for c in range(COMMENTS_PER_TICKET):
                at = created + timedelta(minutes=c + 1)
                comment_rows.append(
                    {
                        "id": new_id("cmt"),
                        "brand_id": fixture.brand_id,
                        "ticket_id": ticket_id,
                        "body": words.sentence(30),
                        "author_type": "AGENT" if c % 2 else "CUSTOMER",
                        "is_internal": False,
                        "links": [],
                        "metadata": {},
                        "source": "api",
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            if len(ticket_rows) == 5_000:
                session.execute(insert(TICKETS), ticket_rows)
                session.execute(insert(COMMENTS), comment_rows)
                ticket_rows.clear()
                comment_rows.clear()
        if ticket_rows:
            session.execute(insert(TICKETS), ticket_rows)
            session.execute(insert(COMMENTS), comment_rows)
        refresh_counts(session, fixture.brand_id)
        session.commit()
    settle(database)
    database.dispose()
    return ids


def search_queries(ranked: list[str]) -> list[str]:
    """What agents search for, as URL query values: a common word, a mid-frequency one, a
    rare one, or a pair (`ranked` is the vocabulary, most frequent first)."""
    return (
        [ranked[random.randrange(0, 20)] for _ in range(200)]
        + [ranked[random.randrange(100, 1000)] for _ in range(400)]
        + [ranked[random.randrange(1000, 3000)] for _ in range(200)]
        + [
            f"{ranked[random.randrange(0, 300)]}+{ranked[random.randrange(0, 300)]}"
            for _ in range(200)
        ]
    )


COMMENT = """
local ids = {{}}
local n = 0
init = function(args)
  for line in io.lines("{ids_file}") do ids[#ids + 1] = line end
end
request = function()
  n = n + 1
  local id = ids[math.random(#ids)]
  local headers = {{}}
  headers["Authorization"] = "Bearer {key}"
  headers["Content-Type"] = "application/json"
  local body = '{{"body":"Benchmark reply ' .. n .. '","authorType":"AGENT"}}'
  return wrk.format("POST", "{prefix}" .. id .. "/comments", headers, body)
end
"""

SEARCH = """
local queries = {{}}
init = function(args)
  for line in io.lines("{queries_file}") do queries[#queries + 1] = line end
end
request = function()
  local q = queries[math.random(#queries)]
  local headers = {{}}
  headers["Authorization"] = "Bearer {key}"
  return wrk.format("GET", "{prefix}?limit=25&search=" .. q, headers)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=10, help="seconds of unmeasured search")
    args = parser.parse_args()
    wrk.require_wrk()
    RESULTS.mkdir(exist_ok=True)
    fixture = prepare(args.db)
    words = Text(vocabulary())
    print(f"seeding {args.tickets} tickets with {COMMENTS_PER_TICKET} comments each...", flush=True)
    ids = seed(fixture, args.tickets, words)
    ids_file = RESULTS / "conversation_ids.txt"
    ids_file.write_text("\n".join(random.sample(ids, min(len(ids), 20_000))) + "\n")
    queries_file = RESULTS / "search_queries.txt"
    queries_file.write_text("\n".join(search_queries(words.words)) + "\n")
    prefix = f"/v1/brands/{fixture.brand_id}/tickets"
    server = Server(fixture.url, args.workers)
    search_script = SEARCH.format(key=fixture.key, queries_file=queries_file, prefix=prefix)
    try:
        # Unmeasured: fresh server processes, cold caches and pools.
        wrk.run(f"{server.base}{prefix}", search_script, seconds=args.warmup, connections=4)
        search = wrk.run(
            f"{server.base}{prefix}",
            search_script,
            seconds=args.seconds,
            connections=4,
        )
        comment = wrk.run(
            f"{server.base}{prefix}",
            COMMENT.format(key=fixture.key, ids_file=ids_file, prefix=f"{prefix}/"),
            seconds=args.seconds,
            connections=16,
        )
    finally:
        server.stop()
    report = {
        "db": args.db,
        "tickets": args.tickets,
        "comments": args.tickets * COMMENTS_PER_TICKET,
        "started": datetime.now(UTC).isoformat(),
        "search": {**search.__dict__, "throughput": round(search.throughput, 1)},
        "add_comment": {**comment.__dict__, "throughput": round(comment.throughput, 1)},
    }
    print(json.dumps(report, indent=2))
    save_report("conversations", args.db, report)


if __name__ == "__main__":
    main()
