"""Inbound email benchmark: messages per second through the SMTP listener of `dispatch
serve`, stored, then threaded into tickets by its worker, for new tickets and for replies.

    python -m bench.email --db postgres --messages 2000 --connections 8 [--workers 1]

The brand starts with a backlog (`--backlog` tickets) and the database as autovacuum
keeps a live one (`settle`: statistics gathered), again before the replies: each phase
adds rows faster than autovacuum looks (once a minute; this machine runs without it), and
a table the planner still believes empty gets plans no live help desk runs.

Each phase sends `--messages` messages over `--connections` concurrent SMTP sessions
(several messages per session, as a mail server relaying a queue does) and waits until
every one is processed. "accepted/s" is the listener's pace (stored before 250);
"processed/s" is the whole path: first message sent to last one threaded. `--workers`
adds standalone `dispatch worker` processes beside the one `dispatch serve` starts.
Results go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import func, select

from bench.core import RESULTS, Fixture, Server, _free_port, prepare, save_report, seed, settle
from dispatch.brands.models import Brand
from dispatch.comments.models import Comment
from dispatch.core.db import Database
from dispatch.email.models import InboundMessage
from dispatch.tickets.models import Ticket

MESSAGES_PER_SESSION = 25
WAIT_SECONDS = 600.0


def _message(n: int, to: str, *, reply_to: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Customer {n} <customer{n}@example.com>"
    message["To"] = to
    message["Date"] = formatdate()
    if reply_to is None:
        message["Subject"] = f"Order {n} has not arrived"
        message["Message-ID"] = f"<new.{n}@bench.example.com>"
        message.set_content(
            f"Hello,\n\nmy order {n} has not arrived yet. Could you look into it?\n\n"
            "Thanks,\nA customer\n-- \nSent from my phone\n"
        )
    else:
        message["Subject"] = f"Re: Order {n} has not arrived"
        message["Message-ID"] = f"<reply.{n}@bench.example.com>"
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
        message.set_content(
            "Still nothing, I am afraid.\n\n"
            f"On Mon, 5 Jan 2026, Support wrote:\n> We are looking into order {n}.\n"
        )
    return message


# (envelope sender, recipients, bytes): rendered before any clock starts, as a relay's
# queue holds them (the sender shares the machine's cores with what it measures).
Rendered = tuple[str, list[str], bytes]


def _rendered(message: EmailMessage) -> Rendered:
    return str(message["From"]), [str(message["To"])], message.as_bytes()


def _send_all(port: int, messages: list[Rendered], connections: int) -> float:
    """Send every message; returns the seconds it took (all accepted with 250)."""
    sessions = [
        messages[i : i + MESSAGES_PER_SESSION]
        for i in range(0, len(messages), MESSAGES_PER_SESSION)
    ]

    def session(batch: list[Rendered]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for sender, recipients, data in batch:
                smtp.sendmail(sender, recipients, data)

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        for done in pool.map(session, sessions):
            del done
    return time.perf_counter() - started


def _waiting(database: Database) -> bool:
    """Whether a stored message is still waiting for the worker (an index lookup: the
    poll must not load the database it measures)."""
    with database.session(write=False) as session:
        return bool(
            session.scalar(
                select(InboundMessage.id).where(InboundMessage.status == "RECEIVED").limit(1)
            )
        )


def _phase(
    name: str, port: int, database: Database, messages: list[Rendered], connections: int
) -> dict[str, Any]:
    settle(database)
    started = time.perf_counter()
    accepted_in = _send_all(port, messages, connections)  # every message stored on return
    deadline = time.monotonic() + WAIT_SECONDS
    while _waiting(database):
        if time.monotonic() > deadline:
            raise SystemExit(f"{name}: not all messages processed in {WAIT_SECONDS}s")
        time.sleep(0.05)
    total = time.perf_counter() - started
    result = {
        "phase": name,
        "messages": len(messages),
        "accepted_per_second": round(len(messages) / accepted_in, 1),
        "processed_per_second": round(len(messages) / total, 1),
        "seconds": round(total, 2),
    }
    print(json.dumps(result))
    return result


def _outcome(database: Database) -> dict[str, int]:
    """What the messages became: failures, tickets, customer comments (replies must have
    threaded: one ticket per new message, one comment per reply)."""
    with database.session(write=False) as session:

        def count(model: Any, *where: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return {
            "failed": count(InboundMessage, InboundMessage.status == "FAILED"),
            "tickets": count(Ticket),
            "customer_comments": count(Comment, Comment.author_type == "CUSTOMER"),
        }


def _start_workers(fixture: Fixture, count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DISPATCH_DATABASE_URL": fixture.url}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "dispatch", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backlog", type=int, default=1000, help="tickets already there")
    parser.add_argument("--workers", type=int, default=0, help="extra `dispatch worker`s")
    parser.add_argument(
        "--server-workers",
        type=int,
        help="`dispatch serve` processes (its worker runs beside them); by default its "
        "own layout for the database, as `bench.peer` runs it",
    )
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    fixture = prepare(args.db)
    seed(fixture, args.backlog, 0)
    database = Database.from_url(fixture.url, pool_size=2)
    with database.session(write=False) as session:
        slug = session.scalar(select(Brand.slug).where(Brand.id == fixture.brand_id))
    address = f"{slug}@inbound.localhost"

    smtp_port = _free_port()
    os.environ.update(
        DISPATCH_SMTP_PORT=str(smtp_port),
        DISPATCH_DATA_DIR=tempfile.mkdtemp(),
        # A relay that does not exist: outgoing mail (none here) would wait as PENDING.
        DISPATCH_SMTP_RELAY="",
    )
    server = Server(fixture.url, workers=args.server_workers)
    workers = _start_workers(fixture, args.workers)
    try:
        count = args.messages
        new = [_rendered(_message(n, address)) for n in range(count)]
        replies = [
            _rendered(_message(n, address, reply_to=f"<new.{n}@bench.example.com>"))
            for n in range(count)
        ]
        results = [
            _phase("new tickets", smtp_port, database, new, args.connections),
            _phase("replies", smtp_port, database, replies, args.connections),
        ]
        outcome = _outcome(database)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        server.stop()
        database.dispose()
    report = {
        "db": args.db,
        "connections": args.connections,
        "backlog": args.backlog,
        "extra_workers": args.workers,
        "server_workers": args.server_workers,
        "outcome": outcome,
        "phases": results,
    }
    print(json.dumps(outcome))
    save_report("email", args.db, report)
    expected = {
        "failed": 0,
        "tickets": args.backlog + args.messages,
        "customer_comments": args.messages,
    }
    if outcome != expected:
        raise SystemExit(f"unexpected outcome {outcome}, wanted {expected}")


if __name__ == "__main__":
    main()
