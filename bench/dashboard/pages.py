"""Signing in through the real form, the pages an agent loads, and measuring them with
`wrk` (the session's cookie in each request)."""

from __future__ import annotations

import argparse
import html
import os
import random
import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bench import wrk
from bench.conversations import Text, search_queries
from bench.core import RESULTS
from bench.dashboard.seeding import Seeded
from bench.dashboard.world import OWNER_EMAIL, OWNER_PASSWORD, World
from dispatch.web.security import SESSION_COOKIE

TARGET_P95_MS = 100.0


def sign_in(base: str) -> str:
    """The owner signs in through the real form (its CSRF token, its cookie); returns the
    `Cookie` header value of the session it started."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if token is None:
            raise SystemExit("no CSRF token on /signin")
        data = {"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "next": "/"}
        done = client.post("/signin", data={**data, "csrf_token": html.unescape(token[1])})
        secret = done.cookies.get(SESSION_COOKIE)
        if done.status_code != 303 or not secret:
            raise SystemExit(f"sign-in refused: {done.status_code} {done.text[:200]}")
    return f"{SESSION_COOKIE}={secret}"


def _get(base: str, cookie: str, path: str) -> httpx.Response:
    response = httpx.get(base + path, headers={"Cookie": cookie}, timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code} (not a signed-in page)")
    return response


def _next_page(base: str, cookie: str, inbox: str) -> str:
    """Page 2 as an agent reaches it: the first page's "Next page" link (its cursor)."""
    found = re.search(r'rel="next"\s+href="([^"]+)"', _get(base, cookie, inbox).text)
    if found is None:
        raise SystemExit(f"{inbox} has no next page")
    return html.unescape(found[1])


@dataclass(frozen=True)
class Page:
    name: str
    label: str
    paths: list[str]  # drawn at random for each request


def pages(base: str, cookie: str, world: World, picked: Seeded, words: Text) -> list[Page]:
    brand = world.brands[0].id
    inbox = f"/brands/{brand}/inbox"
    rng = random.Random(7)
    short = rng.sample(picked.short, min(len(picked.short), 2_000))
    return [
        Page("inbox_active", "Inbox, default view (Active)", [inbox]),
        Page("inbox_resolved", "Inbox, Resolved pill", [f"{inbox}?status=resolved"]),
        Page(
            "inbox_search",
            "Inbox, search (1–2 words, 800 queries)",
            [f"{inbox}?q={q}" for q in search_queries(words.words)],
        ),
        Page("inbox_priority", "Inbox, sorted by priority", [f"{inbox}?sort=priority"]),
        Page("inbox_page2", "Inbox, page 2 (cursor)", [_next_page(base, cookie, inbox)]),
        Page("all_inboxes", "All inboxes (2 brands)", ["/inbox"]),
        Page(
            "ticket_short",
            "Ticket page, 1–5 comments (2,000 tickets)",
            [f"/brands/{brand}/tickets/{t}" for t in short],
        ),
        Page(
            "ticket_long",
            f"Ticket page, 50–80 comments ({len(picked.long)} tickets)",
            [f"/brands/{brand}/tickets/{t}" for t in picked.long],
        ),
        Page(
            "history",
            "History fragment (first 25 of 50+ entries)",
            [f"/brands/{brand}/tickets/{t}/history" for t in picked.long],
        ),
    ]


def html_kb(base: str, cookie: str, page: Page, sample: int = 20) -> float:
    """The mean size of the page's HTML over a sample of its paths (each must be a 200)."""
    paths = page.paths[:sample]
    return round(sum(len(_get(base, cookie, p).content) for p in paths) / len(paths) / 1024, 1)


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _calm(max_load: float, wait: int) -> float:
    """Wait (at most `wait` s) for the 1-minute load to fall to `max_load`; the load."""
    deadline = time.monotonic() + wait
    while _load() > max_load and time.monotonic() < deadline:
        time.sleep(5)
    return _load()


def measure(script: str, connections: int, args: argparse.Namespace) -> dict[str, Any]:
    """wrk against the server; a run that misses the target while the machine was busier
    than `--max-load` is repeated once, after the load has come down (both are kept)."""
    runs: list[dict[str, Any]] = []
    for attempt in range(2):
        load = _calm(args.max_load, args.load_wait) if attempt else _load()
        result = wrk.run(
            args.base, script, seconds=args.seconds, connections=connections,
            threads=min(2, connections),
        )  # fmt: skip
        runs.append({**asdict(result), "throughput": round(result.throughput, 1), "load": load})
        if result.p95_ms < TARGET_P95_MS or load <= args.max_load:
            break
        print(f"    c={connections}: p95 {result.p95_ms} ms at load {load}; once more", flush=True)
    return {**runs[-1], "runs": runs}


def run_pages(cookie: str, found: list[Page], args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for page in found:
        paths_file = RESULTS / f"dashboard-{page.name}.txt"
        paths_file.write_text("\n".join(page.paths) + "\n")
        script = wrk.PAGES.format(paths_file=paths_file, cookie=cookie)
        # Unmeasured: fresh processes, cold caches and pools, the paths' first reads.
        wrk.run(args.base, script, seconds=args.warmup, connections=1, threads=1)
        results[page.name] = {
            "label": page.label,
            "html_kb": html_kb(args.base, cookie, page),
            "connections": {c: measure(script, c, args) for c in args.connections},
        }
        runs = results[page.name]["connections"]
        print(
            f"  {page.name}: "
            + ", ".join(f"c={c} p95 {r['p95_ms']} ms (load {r['load']})" for c, r in runs.items()),
            flush=True,
        )
    return results
