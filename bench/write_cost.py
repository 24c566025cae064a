"""What one write costs the machine: CPU per request of the server's processes, of its
worker process and of PostgreSQL's backends, for the peer benchmark's three writes
(create with a customer email, agent reply, status change to resolved), sent one at a
time to `dispatch serve` as a user runs it (worker and SMTP listener on).

    python -m bench.write_cost --db postgres --requests 400
    python -m bench.write_cost --db sqlite
    python -m bench.write_cost --db sqlite --tickets 100000 --ops comment,update

Throughput at many clients on two cores is bounded by this figure, so it moves before
req/s does and with less noise; it is what a change to the write path is judged by
between runs of `bench.peer`. Each phase ends when the worker has drained the events
its requests wrote (their cost is part of the write's). CPU is read from /proc
(utime + stime, in clock ticks: 10 ms, so a phase needs a few hundred requests).

`--tickets N` first seeds the brand as `bench.peer`'s scale stages do (N tickets, one
requester owning 1,000); replies and status changes then go to its newest open and
pending tickets, as that stage's do.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.core import Fixture, Server, drop_database, prepare
from bench.peer import seed
from bench.report import uptime
from dispatch.core.db import Database
from dispatch.core.events import EventInbox

TICK = os.sysconf("SC_CLK_TCK")
DRAIN_TIMEOUT = 60.0


def _stat(pid: str) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds) of a process, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command sits in parentheses and may hold spaces: split after its last ')'.
    command = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return command, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_by_role(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the serve process tree, split into its worker and the rest
    (the HTTP server's processes), and of every PostgreSQL process."""
    stats = {pid: _stat(pid) for pid in os.listdir("/proc") if pid.isdigit()}
    parents = {pid: stat[1] for pid, stat in stats.items() if stat}
    totals = {"server": 0.0, "worker": 0.0, "postgres": 0.0}
    for pid, stat in stats.items():
        if stat is None:
            continue
        if stat[0] == "postgres":
            totals["postgres"] += stat[2]
            continue
        ancestor, seen = int(pid), 0
        while ancestor not in (server_pid, 0, 1) and seen < 10:
            ancestor, seen = parents.get(str(ancestor), 0), seen + 1
        if ancestor == server_pid:
            role = "worker" if " worker" in _cmdline(pid) else "server"
            totals[role] += stat[2]
    return totals


def drain(database: Database) -> None:
    """Wait until the worker has consumed every event written so far."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        with database.session(write=False) as session:
            if not session.scalar(select(func.count()).select_from(EventInbox)):
                return
        time.sleep(0.1)
    raise SystemExit("the worker did not drain the events within a minute")


def phase(
    server: Server, database: Database, send: Callable[[int], httpx.Response], requests: int
) -> dict[str, float]:
    before = cpu_by_role(server.process.pid)
    started = time.perf_counter()
    for n in range(requests):
        response = send(n)
        if response.status_code >= 400:
            raise SystemExit(f"{response.status_code}: {response.text}")
    elapsed = time.perf_counter() - started
    drain(database)
    after = cpu_by_role(server.process.pid)
    cost = {role: (after[role] - before[role]) * 1000 / requests for role in before}
    return {"req/s": requests / elapsed, **cost}


def measure(
    fixture: Fixture, requests: int, ops: list[str], targets: list[str]
) -> dict[str, dict[str, float]]:
    server = Server(fixture.url, 2)
    database = Database.from_url(fixture.url, pool_size=1)
    client = httpx.Client(
        base_url=f"{server.base}/v1/brands/{fixture.brand_id}",
        headers={"Authorization": f"Bearer {fixture.key}"},
        timeout=30,
    )
    created: list[str] = []

    def create(n: int) -> httpx.Response:
        response = client.post(
            "/tickets",
            json={
                "title": f"Load ticket {n}: cannot log in to the portal",
                "body": "Customer reports the login page hangs after submitting.",
                "customerEmail": f"loadcustomer{n % 1000}@example.com",
                "priority": "normal",
            },
        )
        created.append(response.json().get("id", ""))
        return response

    def comment(n: int) -> httpx.Response:
        return client.post(
            f"/tickets/{created[n % len(created)]}/comments",
            json={"body": f"Follow-up {n}: we are looking into it.", "authorType": "AGENT"},
        )

    def update(n: int) -> httpx.Response:
        # Each round over the tickets is a real change: resolved, then pending, then open.
        status = ("resolved", "pending", "open")[n // len(created) % 3]
        return client.patch(f"/tickets/{created[n % len(created)]}", json={"status": status})

    sends = {"create": create, "comment": comment, "update": update}
    try:
        phase(server, database, create, 50)  # warm-up: caches, prepared statements
        if targets:
            created[:] = targets
        elif "create" in ops:
            created.clear()
        return {name: phase(server, database, sends[name], requests) for name in ops}
    finally:
        client.close()
        database.dispose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--requests", type=int, default=400, help="per operation")
    parser.add_argument(
        "--ops",
        default="create,comment,update",
        help="comment and update use the tickets "
        "created before them (the warm-up's 50 without create)",
    )
    parser.add_argument(
        "--tickets", type=int, default=0, help="seed the brand to this many tickets first"
    )
    args = parser.parse_args()
    print(uptime())
    fixture = prepare(args.db, "dispatch_bench_cost")
    try:
        targets = seed(fixture, args.tickets)["sample_ids"] if args.tickets else []
        results = measure(fixture, args.requests, args.ops.split(","), targets)
    finally:
        drop_database(args.db, "dispatch_bench_cost")
    on = f" on {args.tickets:,} tickets" if args.tickets else ""
    print(f"{args.db}{on}, {args.requests} sequential requests each; CPU ms per request")
    print("| op | req/s | server | worker | postgres | total |")
    print("|---|--:|--:|--:|--:|--:|")
    for name, row in results.items():
        total = row["server"] + row["worker"] + row["postgres"]
        print(
            f"| {name} | {row['req/s']:.0f} | {row['server']:.2f} | {row['worker']:.2f} "
            f"| {row['postgres']:.2f} | {total:.2f} |"
        )


if __name__ == "__main__":
    main()
