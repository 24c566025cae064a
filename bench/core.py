"""Core benchmark: ticket create, status update, active list and status stats over HTTP
against `dispatch serve`, at growing ticket counts, plus the same write transactions
issued straight through the database driver for comparison.

    python -m bench.core --db postgres --sizes 10000,100000,1000000
    python -m bench.core --db sqlite --sizes 10000,100000

Needs `wrk` (apt-get install -y wrk). Results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Connection, Table, create_engine, insert, text
from sqlalchemy.orm import Session

from bench import wrk
from dispatch.accounts import service as accounts
from dispatch.brands import service as brands
from dispatch.brands.schemas import NewBrand
from dispatch.core import migrate
from dispatch.core.db import Database
from dispatch.core.ids import new_id
from dispatch.statuses import counts
from dispatch.statuses import loading as statuses
from dispatch.statuses import service as statuses_service
from dispatch.statuses.schemas import NewStatus
from dispatch.tickets.models import Ticket
from dispatch.tickets.repository import count_by_status

# The tables behind the models, for bulk inserts of plain rows.
TICKETS = cast(Table, Ticket.__table__)

RESULTS = Path(__file__).parent / "results"
PG_ADMIN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_DB = "dispatch_bench"
# Share of seeded tickets per status key: a realistic backlog, 20% still active.
CREATED_NUMBERS_FROM = 100_000_000
STATUS_MIX = {"open": 10, "pending": 5, "in_progress": 5, "resolved": 40, "closed": 40}


@dataclass
class Fixture:
    url: str
    key: str
    account_id: str
    brand_id: str
    status_ids: dict[str, str]


def _pg_admin_execute(*statements: str) -> None:
    admin = create_engine(
        PG_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    admin.dispose()


def _database_url(db: str, name: str = PG_DB) -> str:
    """A fresh, empty benchmark database: PostgreSQL database `name`, or a SQLite file
    under bench/results/."""
    if db == "postgres":
        _pg_admin_execute(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
        )
        return (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + f"/{name}"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / ("bench.db" if name == PG_DB else f"{name}.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def drop_database(db: str, name: str = PG_DB) -> None:
    """Remove a benchmark database made by `prepare` (PostgreSQL; SQLite files stay in
    bench/results/ until the next run replaces them)."""
    if db == "postgres":
        _pg_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(db: str, name: str = PG_DB) -> Fixture:
    url = _database_url(db, name)
    migrate.upgrade(url)
    database = Database.from_url(url, pool_size=2)
    with database.session() as session:
        account, issued = accounts.create_account(session, name="Bench")
        actor = accounts.actor_for(issued.record)
        brand = brands.create_brand(session, actor, NewBrand(name="Bench Brand"))
        statuses_service.create_status(
            session, actor, brand, NewStatus(name="In Progress", key="in_progress")
        )
        status_ids = {s.key: s.id for s in statuses.list_for_brand(session, brand.id)}
        session.commit()
        fixture = Fixture(url, issued.secret, account.id, brand.id, status_ids)
    database.dispose()
    return fixture


def seed(fixture: Fixture, total: int, already: int) -> None:
    """Grow the brand to `total` tickets with bulk inserts, then refresh counts and stats."""
    database = Database.from_url(fixture.url, pool_size=2)
    keys = [k for k, share in STATUS_MIX.items() for _ in range(share)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    batch: list[dict[str, Any]] = []
    with database.session() as session:
        for n in range(already, total):
            created = start + timedelta(seconds=n * 30)
            batch.append(
                {
                    "id": new_id("tkt"),
                    "account_id": fixture.account_id,
                    "brand_id": fixture.brand_id,
                    "ticket_number": 1001 + n,
                    "title": f"Seeded ticket {n}",
                    "body": "Seeded by the benchmark",
                    "status_id": fixture.status_ids[keys[n % len(keys)]],
                    "priority": random.choice(["low", "normal", "high", "urgent"]),
                    "source": "api",
                    "custom_fields": {},
                    "metadata": {},
                    "links": [],
                    "comment_count": 0,
                    "attachment_count": 0,
                    "is_spam": False,
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if len(batch) == 10_000:
                session.execute(insert(TICKETS), batch)
                batch.clear()
        if batch:
            session.execute(insert(TICKETS), batch)
        # Seeded tickets are numbered from 1001; tickets created during the runs from
        # 100,000,000 on, so growing the brand later never collides with them.
        session.execute(
            text(
                "UPDATE brands SET next_ticket_number = :n "
                "WHERE id = :b AND next_ticket_number < :n"
            ),
            {"n": CREATED_NUMBERS_FROM, "b": fixture.brand_id},
        )
        refresh_counts(session, fixture.brand_id)
        session.commit()
    with database.bind.connect() as conn:  # type: ignore[union-attr]
        conn.execute(text("ANALYZE"))
        conn.commit()
    database.dispose()


def refresh_counts(session: Session, brand_id: str) -> None:
    """Set the brand's kept status counters from its rows, as after bulk inserts that went
    around the services."""
    counts.replace(session, brand_id, count_by_status(session, brand_id))


def settle(database: Database) -> None:
    """The state autovacuum keeps a live database in, before anything is measured: a
    bulk load leaves dead row versions (triggers rewrite rows, e.g. each ticket's search
    document per comment on PostgreSQL) and dirty pages."""
    with database.bind.connect().execution_options(  # type: ignore[union-attr]
        isolation_level="AUTOCOMMIT"
    ) as conn:
        postgres = conn.dialect.name == "postgresql"
        gather_statistics(conn, vacuum=True)
        if postgres:
            # Flush what the load dirtied now, not under the measurement.
            conn.execute(text("CHECKPOINT"))
    os.sync()  # and the kernel's dirty pages (the database runs on this machine)


def gather_statistics(conn: Connection, *, vacuum: bool = False) -> None:
    """Statistics of the tables that hold rows (and with `vacuum`, their dead rows
    cleared), as autovacuum leaves them. On PostgreSQL an empty table is left as it was
    migrated, never analysed: autovacuum analyses a table only once 50 rows changed, while
    an `ANALYZE` of an empty table makes the planner trust "empty" until the next one, and
    this machine's PostgreSQL runs without autovacuum. The plans of the statements psycopg
    prepares (each connection keeps them) then scanned whole tables as they grew: the
    newest-comment lookup of every write's ticket read, 0.54 ms and growing, in the peer
    benchmark's write stage, which starts from an empty brand."""
    if conn.dialect.name != "postgresql":
        conn.execute(text("ANALYZE"))
        return
    tables = conn.scalars(text("SELECT relname FROM pg_stat_user_tables ORDER BY relname"))
    holding = [
        table for table in tables if conn.scalar(text(f'SELECT EXISTS (SELECT FROM "{table}")'))
    ]
    if holding:
        names = ", ".join(f'"{table}"' for table in holding)
        conn.execute(text(f"{'VACUUM ANALYZE' if vacuum else 'ANALYZE'} {names}"))


def save_report(kind: str, db: str, report: dict[str, Any]) -> Path:
    """Write a run's report to bench/results/<kind>-<db>-<UTC time>.json."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{kind}-{db}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written {out}")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, workers: int | None, *flags: str) -> None:
        """`dispatch serve` on `url`: `workers` processes, or its own layout for the
        database when None."""
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DISPATCH_DATABASE_URL": url,
            "DISPATCH_RATE_LIMIT": "off",
            "DISPATCH_ACCESS_LOG": "false",
            "DISPATCH_PORT": str(self.port),
            "DISPATCH_DATA_DIR": tempfile.mkdtemp(),
        }
        if workers is not None:
            env["DISPATCH_WORKERS"] = str(workers)
        self.log = open(RESULTS / "server.log", "w")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our flags
            [sys.executable, "-m", "dispatch", "serve", *flags],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("server did not become healthy; see bench/results/server.log")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def sample_ticket_ids(fixture: Fixture, limit: int = 20_000) -> Path:
    database = Database.from_url(fixture.url, pool_size=1)
    with database.session() as session:
        ids = list(
            session.scalars(
                text(
                    "SELECT id FROM tickets WHERE brand_id = :b "
                    "ORDER BY ticket_number DESC LIMIT :n"
                ).bindparams(b=fixture.brand_id, n=limit)
            )
        )
    database.dispose()
    path = RESULTS / "ticket_ids.txt"
    path.write_text("\n".join(ids) + "\n")
    return path


def http_scenarios(fixture: Fixture, server: Server, args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"/v1/brands/{fixture.brand_id}"
    ids_file = sample_ticket_ids(fixture)
    get = wrk.GET.format(key=fixture.key)
    results = {
        "list_active": wrk.run(
            f"{server.base}{prefix}/tickets?status=active&limit=25",
            get,
            seconds=args.seconds,
            connections=args.read_connections,
        ),
        "stats": wrk.run(
            f"{server.base}{prefix}/statuses/stats",
            get,
            seconds=args.seconds,
            connections=args.read_connections,
        ),
        "create": wrk.run(
            f"{server.base}{prefix}/tickets",
            wrk.CREATE.format(key=fixture.key),
            seconds=args.seconds,
            connections=args.write_connections,
        ),
        "status_update": wrk.run(
            f"{server.base}{prefix}/tickets",
            wrk.UPDATE.format(key=fixture.key, ids_file=ids_file, prefix=f"{prefix}/tickets/"),
            seconds=args.seconds,
            connections=args.write_connections,
        ),
    }
    return {
        name: {**asdict(r), "throughput": round(r.throughput, 1)} for name, r in results.items()
    }


# --- the same write transactions straight through the driver -------------------------

CREATE_SQL = [
    "UPDATE brands SET next_ticket_number = next_ticket_number + 1 WHERE id = %s "
    "RETURNING next_ticket_number - 1",
    "INSERT INTO tickets (id, account_id, brand_id, ticket_number, title, body, status_id, "
    "priority, source, custom_fields, metadata, links, comment_count, attachment_count, "
    "is_spam, version, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 20, 'api', "
    "'{}', '{}', '[]', 0, 0, false, 1, %s, %s)",
    "INSERT INTO audit_logs (id, account_id, brand_id, ticket_id, event, entity_type, "
    "entity_id, performed_by, source, created_at) VALUES (%s, %s, %s, %s, 'ticket.created', "
    "'ticket', %s, '{\"type\": \"api\"}', 'api', %s)",
    "INSERT INTO events (id, type, brand_id, ticket_id, sequence, data, created_at) "
    "VALUES (%s, 'ticket.created', %s, %s, 1, %s, %s)",
]
UPDATE_SQL = [
    "UPDATE tickets SET status_id = %s, version = version + 1, updated_at = %s WHERE id = %s",
    "INSERT INTO audit_logs (id, account_id, brand_id, ticket_id, event, entity_type, "
    "entity_id, changes, performed_by, source, created_at) VALUES (%s, %s, %s, %s, "
    "'ticket.updated', 'ticket', %s, '{}', '{\"type\": \"api\"}', 'api', %s)",
    "INSERT INTO events (id, type, brand_id, ticket_id, sequence, data, created_at) "
    "VALUES (%s, 'ticket.updated', %s, %s, 2, %s, %s)",
]


def _connect(url: str) -> Any:
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(
            url.removeprefix("sqlite:///"),
            timeout=30,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def _transaction(
    conn: Any, sqlite: bool, kind: str, fixture: Fixture, ticket_ids: list[str]
) -> None:
    now = datetime.now(UTC)
    payload = json.dumps({"id": "bench", "changes": ["status"]})
    if sqlite:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn
    else:
        cur = conn.cursor()
    run = (
        (lambda sql, params: cur.execute(sql.replace("%s", "?"), params)) if sqlite else cur.execute
    )
    if kind == "create":
        ticket_id = new_id("tkt")
        number = run(CREATE_SQL[0], (fixture.brand_id,)).fetchone()[0]
        run(
            CREATE_SQL[1],
            (
                ticket_id,
                fixture.account_id,
                fixture.brand_id,
                number,
                "Direct",
                "Direct body",
                fixture.status_ids["open"],
                now,
                now,
            ),
        )
        run(
            CREATE_SQL[2],
            (new_id("log"), fixture.account_id, fixture.brand_id, ticket_id, ticket_id, now),
        )
        run(CREATE_SQL[3], (new_id("evt"), fixture.brand_id, ticket_id, payload, now))
    else:
        ticket_id = random.choice(ticket_ids)
        status = fixture.status_ids[random.choice(list(STATUS_MIX))]
        run(UPDATE_SQL[0], (status, now, ticket_id))
        run(
            UPDATE_SQL[1],
            (new_id("log"), fixture.account_id, fixture.brand_id, ticket_id, ticket_id, now),
        )
        run(UPDATE_SQL[2], (new_id("evt"), fixture.brand_id, ticket_id, payload, now))
    conn.commit() if not sqlite else conn.execute("COMMIT")


def driver_scenario(fixture: Fixture, kind: str, seconds: int, threads: int) -> dict[str, Any]:
    sqlite = fixture.url.startswith("sqlite")
    ticket_ids = (RESULTS / "ticket_ids.txt").read_text().split()
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        conn = _connect(fixture.url)
        local: list[float] = []
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            _transaction(conn, sqlite, kind, fixture, ticket_ids)
            local.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(local)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "throughput": round(len(latencies) / seconds, 1),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="keep the worker and SMTP listener `dispatch serve` runs: by default the API "
        "is measured alone, as the driver baseline is (events then wait for a worker)",
    )
    parser.add_argument("--read-connections", type=int, default=4)
    parser.add_argument("--write-connections", type=int, default=16)
    args = parser.parse_args()
    wrk.require_wrk()
    RESULTS.mkdir(exist_ok=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    fixture = prepare(args.db)
    report: dict[str, Any] = {
        "db": args.db,
        "workers": args.workers,
        "seconds": args.seconds,
        "started": datetime.now(UTC).isoformat(),
        "sizes": {},
    }
    seeded = 0
    for size in sizes:
        print(f"seeding {size} tickets...", flush=True)
        seed(fixture, size, seeded)
        seeded = size
        flags = () if args.with_worker else ("--no-worker", "--no-smtp")
        server = Server(fixture.url, args.workers, *flags)
        try:
            http = http_scenarios(fixture, server, args)
        finally:
            server.stop()
        direct = {
            kind: driver_scenario(fixture, kind, args.seconds, args.write_connections)
            for kind in ("create", "status_update")
        }
        report["sizes"][size] = {"http": http, "driver": direct}
        print(json.dumps(report["sizes"][size], indent=2), flush=True)
        seeded = _ticket_count(fixture)
    first, last = report["sizes"][sizes[0]], report["sizes"][sizes[-1]]
    report["summary"] = {
        "list_p95_ratio_largest_vs_smallest": round(
            last["http"]["list_active"]["p95_ms"] / first["http"]["list_active"]["p95_ms"], 2
        ),
        "stats_p95_ratio_largest_vs_smallest": round(
            last["http"]["stats"]["p95_ms"] / first["http"]["stats"]["p95_ms"], 2
        ),
        "create_vs_driver": {
            s: round(r["http"]["create"]["throughput"] / r["driver"]["create"]["throughput"], 2)
            for s, r in report["sizes"].items()
        },
        "update_vs_driver": {
            s: round(
                r["http"]["status_update"]["throughput"]
                / r["driver"]["status_update"]["throughput"],
                2,
            )
            for s, r in report["sizes"].items()
        },
    }
    print(json.dumps(report["summary"], indent=2))
    save_report("core", args.db, report)


def _ticket_count(fixture: Fixture) -> int:
    database = Database.from_url(fixture.url, pool_size=1)
    with database.session() as session:
        n = session.scalar(
            text("SELECT count(*) FROM tickets WHERE brand_id = :b").bindparams(b=fixture.brand_id)
        )
    database.dispose()
    return int(n or 0)


if __name__ == "__main__":
    main()
