"""The dashboard benchmark's section of bench/RESULTS.md."""

from __future__ import annotations

from typing import Any

from bench.dashboard.pages import TARGET_P95_MS
from bench.report import replace_section


def table(results: dict[str, Any], connections: list[int]) -> str:
    head = "| page | HTML KB | " + " | ".join(
        f"c={c} p50 / p95 / p99 (ms) | c={c} req/s | c={c} load" for c in connections
    )
    lines = [head + " |", "|---|--:|" + "--:|--:|--:|" * len(connections)]
    for result in results.values():
        cells = [result["label"], f"{result['html_kb']:.1f}"]
        for c in connections:
            r = result["connections"][c]
            p95 = f"**{r['p95_ms']:.1f}**" if r["p95_ms"] >= TARGET_P95_MS else f"{r['p95_ms']:.1f}"
            errors = r["non2xx"] + r["socket_errors"]
            cells += [
                f"{r['p50_ms']:.1f} / {p95} / {r['p99_ms']:.1f}",
                f"{r['throughput']:.0f}" + (f" ({errors} errors)" if errors else ""),
                f"{r['load']:.2f}" + (" (repeated)" if len(r["runs"]) > 1 else ""),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_section(report: dict[str, Any], command: str) -> None:
    rows = report["rows"]
    missed = [
        f"{r['label']} (c={c})"
        for r in report["pages"].values()
        for c, m in r["connections"].items()
        if m["p95_ms"] >= TARGET_P95_MS
    ]
    verdict = (
        f"**Target missed** (p95 ≥ {TARGET_P95_MS:.0f} ms): " + "; ".join(missed)
        if missed
        else f"Every page's p95 is under {TARGET_P95_MS:.0f} ms at 1 and 4 connections."
    )
    replace_section(
        "bench.dashboard",
        f"## Dashboard pages, {report['db']} — {report['started'][:16].replace('T', ' ')} UTC\n\n"
        f"`{command}`: {rows['tickets'][0]:,} tickets in the measured brand and "
        f"{rows['tickets'][1]:,} in a second one (All inboxes lists both); "
        f"{rows['comments']:,} comments (20 tickets with 50–80, the rest 0–5, plus each status "
        f"change's system entry), {rows['activity']:,} activity entries, {rows['contacts']:,} "
        f"contacts (a few with hundreds of tickets), {rows['tags']:,} ticket tags; statuses "
        "open 10% / pending 5% / a custom one 5% / resolved 40% / closed 40%, two thirds "
        "assigned, three quarters categorized. Bulk inserted, counters refreshed, then "
        "`VACUUM ANALYZE`, `CHECKPOINT`, `sync`. `dispatch serve` with "
        f"{report['workers']} workers (`--no-worker --no-smtp`), the owner signed in through "
        "`/signin`; `wrk` sends the session cookie and draws each request's path from the "
        f"page's list; {report['warmup']} s unmeasured warm-up, then {report['seconds']} s per "
        "connection count. Latency is wrk's, from request sent to response read over loopback "
        "on this machine: server time plus well under a millisecond of loopback. HTML KB: "
        "mean uncompressed size over up to 20 of the page's paths. Load: the 1-minute load "
        f"average before the run (2 cores, shared with other work).\n\n"
        f"{table(report['pages'], report['connections'])}\n\n{verdict}\n\n"
        f"Load at the start: {report['uptime']}",
    )
