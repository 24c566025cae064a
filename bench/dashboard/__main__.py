"""Dashboard benchmark: the pages an agent loads all day (the inbox in its common views,
All inboxes, a ticket page, its history), fetched over HTTP from `dispatch serve` with a
signed-in session, on a brand of N tickets and a second brand a fifth its size.

    python -m bench.dashboard --db postgres --tickets 100000

The owner is made with `dispatch users create ... --password-stdin` and signs in through
the real `/signin` form; `wrk` then sends the session's cookie. Needs `wrk`. Results go
to bench/results/ as JSON and to a section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from bench import wrk
from bench.conversations import Text, vocabulary
from bench.core import RESULTS, Fixture, Server, prepare, save_report
from bench.dashboard.pages import pages, run_pages, sign_in
from bench.dashboard.results import write_section
from bench.dashboard.seeding import Seeded, seed
from bench.dashboard.world import BrandSetup, World, setup
from bench.report import uptime
from dispatch.core import migrate

DB_NAME = "dispatch_bench_dashboard"
STATE = RESULTS / "dashboard-state.json"


def _seeded(args: argparse.Namespace, words: Text) -> tuple[World, Seeded]:
    """A freshly seeded database, or with --reuse the last one (migrated to this tree's
    head, so an index added since is measured on the same rows)."""
    if args.reuse:
        state = json.loads(STATE.read_text())
        fixture = Fixture(**state["world"].pop("fixture"))
        world = World(
            fixture=fixture,
            owner_id=state["world"]["owner_id"],
            agents=[(a[0], a[1], a[2]) for a in state["world"]["agents"]],
            brands=[BrandSetup(**b) for b in state["world"]["brands"]],
        )
        migrate.upgrade(fixture.url)
        return world, Seeded(**state["seeded"])
    fixture = prepare(args.db, DB_NAME)
    world = setup(fixture)
    sizes = [args.tickets, args.second_brand]
    print(f"seeding {sizes[0]} + {sizes[1]} tickets...", flush=True)
    picked = seed(world, sizes, words)
    STATE.write_text(json.dumps({"world": asdict(world), "seeded": asdict(picked)}))
    return world, picked


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000, help="in the measured brand")
    parser.add_argument("--second-brand", type=int, help="tickets (default: a fifth)")
    parser.add_argument("--seconds", type=int, default=10, help="per page and connections")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured seconds per page")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--connections", default="1,4")
    parser.add_argument(
        "--max-load",
        type=float,
        default=float(os.cpu_count() or 2),
        help="a run missing the target above this 1-minute load is repeated once",
    )
    parser.add_argument("--load-wait", type=int, default=60, help="seconds, at most")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the last seeded database again"
    )
    parser.add_argument("--pages", help="only these pages (names, comma-separated)")
    args = parser.parse_args()
    args.second_brand = args.second_brand if args.second_brand is not None else args.tickets // 5
    args.connections = [int(c) for c in args.connections.split(",")]
    wrk.require_wrk()
    RESULTS.mkdir(exist_ok=True)
    words = Text(vocabulary())
    world, picked = _seeded(args, words)
    report: dict[str, Any] = {
        "db": args.db,
        "workers": args.workers,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "connections": args.connections,
        "rows": picked.rows,
        "started": datetime.now(UTC).isoformat(),
        "uptime": uptime(),
    }
    print(report["uptime"], flush=True)
    server = Server(world.fixture.url, args.workers, "--no-worker", "--no-smtp")
    args.base = server.base
    try:
        cookie = sign_in(server.base)
        found = pages(server.base, cookie, world, picked, words)
        if args.pages:
            found = [p for p in found if p.name in args.pages.split(",")]
        report["pages"] = run_pages(cookie, found, args)
    finally:
        server.stop()
    save_report("dashboard", args.db, report)
    write_section(report, "python -m bench.dashboard " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
