"""Webhook delivery benchmark: commit-to-delivery latency and delivered/s with `dispatch
worker` processes delivering to a local receiver.

    python -m bench.webhooks --db postgres --rate 200 --seconds 20 --workers 2

A fresh database (PostgreSQL `dispatch_bench_webhooks`, dropped afterwards, or a SQLite
file) gets a brand, `--tickets` tickets (bulk insert) and one webhook subscribed to
everything, pointing at a receiver on 127.0.0.1 in this process that answers 200 at once
and records when each request arrived. `--workers` `dispatch worker` processes run with
their default settings (8 deliveries in flight each, 4 per endpoint across workers).

- steady: ticket updates committed through the service layer (`tickets.service.
  update_ticket`, one transaction each) at `--rate` per second for `--seconds`, from
  `--producers` threads; every update writes one `ticket.updated` event.
- burst: `--burst` ticket updates committed in one transaction; the time until the last
  of them arrived.

Latency is from the moment the commit returned to the moment the receiver got the request
(first arrival of each event, matched by ticket id and sequence). Results go to
bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from bench.core import RESULTS, Fixture, drop_database, prepare, save_report, seed
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.db import Database
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketChanges
from dispatch.webhooks import service as webhooks
from dispatch.webhooks.schemas import NewWebhook

PG_DB = "dispatch_bench_webhooks"
DRAIN_TIMEOUT = 120.0

Key = tuple[str, int]  # (ticket id, sequence): one event


# --- The receiver ----------------------------------------------------------------------


class Receiver:
    """HTTP/1.1 keep-alive receiver on 127.0.0.1 answering 200 at once; records the
    first arrival (time.monotonic()) of every event."""

    def __init__(self) -> None:
        self.arrived: dict[Key, float] = {}
        self.requests = 0
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are separate writes: without TCP_NODELAY the body waits
            # for the worker's delayed ACK (40 ms), which real servers do not impose.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                at = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.record(json.loads(body), at)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def record(self, envelope: dict[str, Any], at: float) -> None:
        data = envelope.get("data") or {}
        ticket = data.get("ticket") or data
        key = (str(ticket.get("id")), int(envelope.get("sequence") or 0))
        with self._lock:
            self.requests += 1
            self.arrived.setdefault(key, at)
            self._lock.notify_all()

    def wait_for(self, keys: Iterable[Key], timeout: float) -> bool:
        wanted = set(keys)
        deadline = time.monotonic() + timeout
        with self._lock:
            while not wanted <= self.arrived.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))
        return True

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- The workers -----------------------------------------------------------------------


class Workers:
    """`dispatch worker` processes with their default settings (private addresses allowed:
    the receiver is on loopback)."""

    def __init__(self, url: str, count: int, **settings: str) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="dispatch-bench-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
        env.update(
            DISPATCH_DATABASE_URL=url,
            DISPATCH_DATA_DIR=self.data_dir,
            DISPATCH_WEBHOOKS_ALLOW_PRIVATE="true",
            PYTHONUNBUFFERED="1",
        )
        env.update({f"DISPATCH_{k.upper()}": v for k, v in settings.items()})
        self.logs: list[Path] = []
        self._files: list[IO[bytes]] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        for n in range(count):
            log = RESULTS / f"webhooks-worker{n + 1}.log"
            handle = log.open("wb")
            self.logs.append(log)
            self._files.append(handle)
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "dispatch", "worker"],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 60
        for log, process in zip(self.logs, self.processes, strict=True):
            while " started (" not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"a worker did not start; see {log}")
                time.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in self._files:
            handle.close()


# --- Producing events ------------------------------------------------------------------


def _ticket_ids(database: Database, brand_id: str) -> list[str]:
    with database.session(write=False) as session:
        stmt = select(Ticket.id).where(Ticket.brand_id == brand_id).order_by(Ticket.id)
        return list(session.scalars(stmt))


def _update(session: Any, actor: Actor, brand: Brand, ticket_id: str) -> Key:
    """One ticket update (a new title: always a change), so one `ticket.updated` event."""
    change = TicketChanges(title=f"Benchmark update {time.monotonic_ns()}")
    out = tickets.update_ticket(session, actor, brand, ticket_id, change)
    return (out.id, out.version)


def steady(
    database: Database, fixture: Fixture, ticket_ids: list[str], args: argparse.Namespace
) -> tuple[dict[Key, float], float, float]:
    """Commit `rate` updates per second for `seconds` from `producers` threads (each on its
    own share of the tickets); returns {event: commit time}, start and end of producing."""
    total = int(args.rate * args.seconds)
    committed: dict[Key, float] = {}
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def produce(share: int) -> None:
        actor = Actor.system(fixture.account_id)
        mine = ticket_ids[share :: args.producers]
        local: dict[Key, float] = {}
        for n, i in enumerate(range(share, total, args.producers)):
            due = start + i / args.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with database.session() as session:
                brand = session.get_one(Brand, fixture.brand_id)
                key = _update(session, actor, brand, mine[n % len(mine)])
                session.commit()
            local[key] = time.monotonic()
        with lock:
            committed.update(local)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(args.producers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return committed, start, time.monotonic()


def burst(
    database: Database, fixture: Fixture, ticket_ids: list[str], count: int
) -> tuple[dict[Key, float], float]:
    """`count` updates in one transaction; returns {event: commit time}, commit time."""
    actor = Actor.system(fixture.account_id)
    with database.session() as session:
        brand = session.get_one(Brand, fixture.brand_id)
        keys = [
            _update(session, actor, brand, ticket_ids[n % len(ticket_ids)]) for n in range(count)
        ]
        session.commit()
    at = time.monotonic()
    return dict.fromkeys(keys, at), at


# --- Reporting -------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def latency_report(committed: dict[Key, float], arrived: dict[Key, float]) -> dict[str, Any]:
    latencies = [(arrived[k] - at) * 1000 for k, at in committed.items() if k in arrived]
    report: dict[str, Any] = {
        "events": len(committed),
        "delivered": len(latencies),
        "lost": len(committed) - len(latencies),
    }
    if latencies:
        report.update(
            {f"p{round(p * 100)}_ms": round(percentile(latencies, p), 1) for p in (0.5, 0.95, 0.99)}
        )
        report["max_ms"] = round(max(latencies), 1)
    return report


def run(fixture: Fixture, args: argparse.Namespace) -> dict[str, Any]:
    database = Database.from_url(fixture.url, pool_size=args.producers + 2)
    try:
        with Receiver() as receiver:
            with database.session() as session:
                actor = Actor.system(fixture.account_id)
                brand = session.get_one(Brand, fixture.brand_id)
                webhooks.create_webhook(
                    session,
                    actor,
                    brand,
                    NewWebhook(url=receiver.url, events=["*"]),
                    allow_private=True,
                )
                session.commit()
            ticket_ids = _ticket_ids(database, fixture.brand_id)
            settings = {}
            if args.per_endpoint is not None:
                settings["webhook_max_in_flight_per_endpoint"] = str(args.per_endpoint)
            workers = Workers(fixture.url, args.workers, **settings)
            try:
                # Warm up (connections, caches), then measure.
                warm, _ = burst(database, fixture, ticket_ids, 20)
                if not receiver.wait_for(warm, 30):
                    raise SystemExit("warm-up events were not delivered")
                print(f"steady: {args.rate}/s for {args.seconds}s ...", flush=True)
                committed, started, ended = steady(database, fixture, ticket_ids, args)
                receiver.wait_for(committed, DRAIN_TIMEOUT)
                arrivals = [receiver.arrived[k] for k in committed if k in receiver.arrived]
                steady_report = latency_report(committed, receiver.arrived)
                steady_report.update(
                    committed_per_s=round(len(committed) / (ended - started), 1),
                    delivered_per_s=round(len(arrivals) / (max(arrivals) - started), 1),
                )
                print(json.dumps(steady_report), flush=True)

                time.sleep(1)
                print(f"burst: {args.burst} events in one commit ...", flush=True)
                committed, at = burst(database, fixture, ticket_ids, args.burst)
                receiver.wait_for(committed, DRAIN_TIMEOUT)
                arrivals = [receiver.arrived[k] for k in committed if k in receiver.arrived]
                burst_report = latency_report(committed, receiver.arrived)
                all_in = max(arrivals) - at
                burst_report.update(
                    seconds_until_all_delivered=round(all_in, 2),
                    delivered_per_s=round(len(arrivals) / all_in, 1),
                )
                print(json.dumps(burst_report), flush=True)
                requests = receiver.requests
            finally:
                workers.stop()
    finally:
        database.dispose()
    return {
        "steady": steady_report,
        "burst": burst_report,
        "requests_received": requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--rate", type=float, default=200, help="events per second (steady)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="`dispatch worker` processes")
    parser.add_argument("--producers", type=int, default=4, help="committing threads")
    parser.add_argument("--burst", type=int, default=2000, help="events in the burst commit")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument(
        "--per-endpoint",
        type=int,
        default=None,
        help="deliveries in flight per endpoint across workers (default: the setting's, 4)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    fixture = prepare(args.db, PG_DB)
    try:
        seed(fixture, args.tickets, 0)
        results = run(fixture, args)
    finally:
        drop_database(args.db, PG_DB)
    report = {
        "db": args.db,
        "rate": args.rate,
        "seconds": args.seconds,
        "workers": args.workers,
        "producers": args.producers,
        "burst_size": args.burst,
        "per_endpoint": args.per_endpoint,
        "started": datetime.now(UTC).isoformat(),
        **results,
    }
    print(json.dumps(report, indent=2))
    save_report("webhooks", args.db, report)


if __name__ == "__main__":
    main()
