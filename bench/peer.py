"""Dispatch beside django-helpdesk, in one command: the peer's own benchmark
(`run_bench.sh` in the peer folder), then Dispatch through the same driver (`load.py`)
with the same budgets, then one table of both with the ratios, written to
bench/RESULTS.md.

    python -m bench.peer --db sqlite
    python -m bench.peer --db postgres --stages write,10k
    python -m bench.peer --db both --stages write --rounds 3   # in turn; medians

The peer folder defaults to ../shared/peer/django-helpdesk beside the repository
(`--peer-dir` or DISPATCH_PEER_DIR to change it); its README says what the stages do.
Dispatch runs as a user would run it on this machine: `dispatch serve` with its own
process layout for the database (`--workers` to choose one), its worker processes and
SMTP listener on. `python -m bench.peer seed` is the driver's
`--seed-cmd`: it tops the brand up to a target with realistic rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update

from bench.core import (
    RESULTS,
    Fixture,
    Server,
    drop_database,
    gather_statistics,
    prepare,
    refresh_counts,
)
from bench.report import replace_section, uptime
from dispatch.audit.models import AuditLog
from dispatch.brands.models import Brand
from dispatch.contacts.models import Contact
from dispatch.core.db import Database
from dispatch.core.ids import new_id
from dispatch.tickets.models import Ticket

REPOSITORY = Path(__file__).resolve().parent.parent
PEER_DIR = Path(
    os.environ.get("DISPATCH_PEER_DIR", REPOSITORY.parent / "shared/peer/django-helpdesk")
)
# Where the peer's setup.sh installs it.
PEER_PYTHON = Path("/tmp/peer-dh-venv/bin/python")  # noqa: S108 - the peer's fixed path

# The peer README's shape of a grown brand: the status mix, ~20 tickets per requester and
# one activity entry per ticket; plus one requester who owns a thousand tickets (reads
# must not slow down for a big customer).
STATUS_MIX = {"open": 20, "pending": 5, "resolved": 25, "closed": 50}
TICKETS_PER_REQUESTER = 20
BIG_REQUESTER_TICKETS = 1000
# Dispatch's audited status change is compared with the peer's audited one (a follow-up
# with a new status); the peer's plain `update` writes no history.
COMPARED_OP = {"update": "update_fu"}

TABLES = {model: cast(Table, model.__table__) for model in (Ticket, Contact, AuditLog)}


def seed(fixture: Fixture, target: int) -> dict[str, Any]:
    """Top the brand up to `target` tickets; return the driver's seed line."""
    database = Database.from_url(fixture.url, pool_size=1)
    rng = random.Random(target)
    keys = [key for key, share in STATUS_MIX.items() for _ in range(share)]
    with database.session() as session:
        have = session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.brand_id == fixture.brand_id)
        )
        assert have is not None
        number = session.scalar(
            select(Brand.next_ticket_number).where(Brand.id == fixture.brand_id)
        )
        assert number is not None
        missing = max(0, target - have)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        contacts: list[dict[str, Any]] = []
        tickets: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        big: dict[str, Any] | None = None
        for n in range(missing):
            created = start + timedelta(seconds=(have + n) * 30)
            if big is None or (n >= BIG_REQUESTER_TICKETS and n % TICKETS_PER_REQUESTER == 0):
                contact: dict[str, Any] = {
                    "id": new_id("cus"),
                    "brand_id": fixture.brand_id,
                    "email": f"seeded{target}-{n}@customers.example",
                    "name": f"Seeded customer {n}",
                    "metadata": {},
                    "custom_fields": {},
                    "notify_email": True,
                    "ticket_count": 0,
                    "created_at": created,
                    "updated_at": created,
                }
                contacts.append(contact)
                big = big or contact
            owner = big if n < BIG_REQUESTER_TICKETS else contacts[-1]
            owner["ticket_count"] += 1
            ticket_id = new_id("tkt")
            tickets.append(
                {
                    "id": ticket_id,
                    "account_id": fixture.account_id,
                    "brand_id": fixture.brand_id,
                    "ticket_number": number + n,
                    "title": f"Seeded ticket {n}: cannot log in to the portal",
                    "body": "Customer reports the login page hangs after submitting.",
                    "status_id": fixture.status_ids[keys[n % len(keys)]],
                    "priority": rng.choice(["low", "normal", "high", "urgent"]),
                    "source": "api",
                    "customer_id": owner["id"],
                    "customer_email": owner["email"],
                    "customer_name": owner["name"],
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
            entries.append(
                {
                    "id": new_id("log"),
                    "account_id": fixture.account_id,
                    "brand_id": fixture.brand_id,
                    "ticket_id": ticket_id,
                    "event": "ticket.created",
                    "entity_type": "ticket",
                    "entity_id": ticket_id,
                    "changes": None,
                    "performed_by": {"type": "system", "id": None},
                    "source": "api",
                    "metadata": {},
                    "created_at": created,
                }
            )
        for model, rows in ((Contact, contacts), (Ticket, tickets), (AuditLog, entries)):
            for at in range(0, len(rows), 5_000):
                session.execute(insert(TABLES[model]), rows[at : at + 5_000])
        session.execute(
            update(Brand)
            .where(Brand.id == fixture.brand_id)
            .values(next_ticket_number=number + missing)
        )
        refresh_counts(session, fixture.brand_id)
        active = [fixture.status_ids["open"], fixture.status_ids["pending"]]
        sample = list(
            session.scalars(
                select(Ticket.id)
                .where(Ticket.brand_id == fixture.brand_id, Ticket.status_id.in_(active))
                .order_by(Ticket.ticket_number.desc())
                .limit(2_000)
            )
        )
        total = have + missing
        session.commit()
    with database.bind.connect().execution_options(  # type: ignore[union-attr]
        isolation_level="AUTOCOMMIT"
    ) as conn:
        gather_statistics(conn)
    database.dispose()
    rng.shuffle(sample)
    return {"total": total, "sample_ids": sample}


def _driver_python() -> str:
    """The peer's interpreter when installed: both systems are then loaded by the very
    same client (its CPU cost shares the machine with the server under test)."""
    return str(PEER_PYTHON) if PEER_PYTHON.exists() else sys.executable


def run_peer(db: str, stages: str, out: Path) -> list[Path]:
    print(f"[peer] {uptime()}", flush=True)
    subprocess.run(  # noqa: S603 - the peer's own script
        ["bash", str(PEER_DIR / "run_bench.sh"), db],  # noqa: S607
        env={**os.environ, "STAGES": stages, "OUT": str(out)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return [out / f"{db}-{stage}.jsonl" for stage in stages.split(",")]


def run_dispatch(db: str, stages: str, workers: int | None, out: Path) -> list[Path]:
    print(f"[dispatch] {uptime()}", flush=True)
    fixture = prepare(db, "dispatch_bench_peer")
    fixture_file = out / f"dispatch-{db}-fixture.json"
    fixture_file.write_text(json.dumps(asdict(fixture)))
    server = Server(fixture.url, workers)
    seed_cmd = f"{sys.executable} -m bench.peer seed --fixture {fixture_file} --target {{target}}"
    common = [
        _driver_python(), str(PEER_DIR / "load.py"), "--adapter", "dispatch",
        "--base-url", server.base, "--token", fixture.key, "--brand-id", fixture.brand_id,
        "--health-path", "/health", "--label", db, "--seed-cmd", seed_cmd,
        "--concurrency", "1,16", "--time-cap", "30", "--drain-cap", "60",
    ]  # fmt: skip
    stage_args = {
        "write": ["--phases", "write", "--n-create", "400", "--max-requests", "400",
                  "--write-ops", "create,get,list,comment,update"],
        "10k": ["--phases", "scale", "--scale-targets", "10000", "--scale-max-requests", "200",
                "--scale-ops", "list,get,update,comment"],
        "100k": ["--phases", "scale", "--scale-targets", "100000", "--scale-max-requests", "200",
                 "--scale-ops", "list,get,update,comment"],
    }  # fmt: skip
    files = []
    try:
        for stage in stages.split(","):
            path = out / f"dispatch-{db}-{stage}.jsonl"
            path.unlink(missing_ok=True)
            print(f"[dispatch] {stage}: {uptime()}", flush=True)
            subprocess.run(  # noqa: S603 - the peer's driver, our arguments
                [*common, *stage_args[stage], "--out", str(path)],
                cwd=REPOSITORY,
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=1800,
            )
            files.append(path)
    finally:
        server.stop()
        drop_database(db, "dispatch_bench_peer")
    return files


def _results(paths: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        if path.exists():
            rows += [json.loads(line) for line in path.read_text().splitlines() if line]
    return [row for row in rows if row.get("kind") == "result"]


def _stage(row: dict[str, Any]) -> str:
    return "write" if row["phase"] == "write" else f"{row['dataset_tickets'] // 1000}k"


def medians(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per cell (stage, op, clients): the median req/s, p50 and p95 over the
    rounds, errors summed; a single round's rows as they are. This host's pace swings by
    half within minutes, so one peer run beside one of ours makes the ratio a coin toss."""
    cells: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for rows in rounds:
        for row in rows:
            cells.setdefault((_stage(row), row["op"], row["concurrency"]), []).append(row)
    return [
        {
            **group[0],
            **{m: statistics.median(r[m] for r in group) for m in ("rps", "p50_ms", "p95_ms")},
            "error_count": sum(r["error_count"] for r in group),
        }
        for group in cells.values()
    ]


def table(db: str, peer: list[dict[str, Any]], ours: list[dict[str, Any]]) -> str:
    """Markdown rows: each Dispatch cell beside the peer's cell for the same work.
    Writes compare req/s; reads (get, list) compare p50, as the peer's README does."""
    by_key = {(_stage(r), r["op"], r["concurrency"]): r for r in peer}
    lines = []
    for row in ours:
        stage, op, conc = _stage(row), row["op"], row["concurrency"]
        theirs = by_key.get((stage, COMPARED_OP.get(op, op), conc))
        if theirs is None:
            continue
        if op in ("get", "list"):
            ratio = theirs["p50_ms"] / max(row["p50_ms"], 1e-6)
        else:
            ratio = row["rps"] / max(theirs["rps"], 1e-6)
        errors = row["error_count"] + theirs["error_count"]
        lines.append(
            f"| {db} | {stage} | {op} | {conc} | {theirs['rps']:.0f} | {theirs['p50_ms']:.1f} "
            f"| {theirs['p95_ms']:.1f} | {row['rps']:.0f} | {row['p50_ms']:.1f} "
            f"| {row['p95_ms']:.1f} | {ratio:.2f}x | {errors} |"
        )
    return "\n".join(lines)


HEADER = (
    "| db | stage | op | c | peer req/s | peer p50 | peer p95 | Dispatch req/s | Dispatch p50 "
    "| Dispatch p95 | ratio | errors |\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
)


def write_report(
    sections: dict[str, str], uptimes: list[str], command: str, rounds: int = 1
) -> None:
    body = "\n".join(section for section in sections.values() if section)
    turns = (
        f" ({rounds} rounds in turn; each cell is the median of its rounds)" if rounds > 1 else ""
    )
    replace_section(
        "bench.peer",
        f"## Beside django-helpdesk — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"`{command}`: the peer's own benchmark, then Dispatch through the same driver and "
        f"budgets{turns}, on this machine in one session. Ratio: req/s Dispatch ÷ peer for writes; "
        "p50 peer ÷ Dispatch for reads (get, list). Dispatch `update` is its audited status "
        "change, beside the peer's audited `update_fu`. Latencies in ms.\n\n"
        f"{HEADER}\n{body}\n\nLoad before each stage (`uptime`):\n\n"
        + "\n".join(f"- {line}" for line in uptimes),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    seeding = sub.add_parser("seed", help="the driver's --seed-cmd")
    seeding.add_argument("--fixture", type=Path, required=True)
    seeding.add_argument("--target", type=int, required=True)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--stages", default="write,10k")
    parser.add_argument(
        "--workers", type=int, help="Dispatch server processes (default: serve's own layout)"
    )
    parser.add_argument(
        "--threads", type=int, help="requests per Dispatch process (DISPATCH_THREADS)"
    )
    parser.add_argument("--skip-peer", action="store_true", help="reuse the peer's last files")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="the peer and Dispatch in turn this many times; the table shows medians",
    )
    args = parser.parse_args()
    if args.command == "seed":
        fixture = Fixture(**json.loads(args.fixture.read_text()))
        print(json.dumps(seed(fixture, args.target)))
        return
    if not (PEER_DIR / "load.py").exists():
        raise SystemExit(f"no peer benchmark at {PEER_DIR} (set DISPATCH_PEER_DIR)")
    if args.threads:
        os.environ["DISPATCH_THREADS"] = str(args.threads)  # inherited by `dispatch serve`
    out = RESULTS / "peer"
    out.mkdir(parents=True, exist_ok=True)
    sections: dict[str, str] = {}
    uptimes = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        peer_rounds, our_rounds = [], []
        for n in range(1, args.rounds + 1):
            turn = f" (round {n})" if args.rounds > 1 else ""
            where = out / f"round{n}" if args.rounds > 1 else out
            where.mkdir(exist_ok=True)
            if args.skip_peer:
                peer_files = [out / f"{db}-{stage}.jsonl" for stage in args.stages.split(",")]
            else:
                uptimes.append(f"peer {db}{turn}: {uptime()}")
                peer_files = run_peer(db, args.stages, where)
            uptimes.append(f"Dispatch {db}{turn}: {uptime()}")
            ours = run_dispatch(db, args.stages, args.workers, where)
            peer_rounds.append(_results(peer_files))
            our_rounds.append(_results(ours))
            print(f"{HEADER}\n{table(db, peer_rounds[-1], our_rounds[-1])}", flush=True)
        sections[db] = table(db, medians(peer_rounds), medians(our_rounds))
        if args.rounds > 1:
            print(f"medians:\n{HEADER}\n{sections[db]}", flush=True)
    command = "python -m bench.peer " + " ".join(sys.argv[1:])
    write_report(sections, uptimes, command, args.rounds)


if __name__ == "__main__":
    main()
