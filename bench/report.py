"""bench/RESULTS.md keeps every benchmark's last figures. A benchmark that writes its own
section owns the part between its markers (added at the end the first time), so the
hand-written sections around it stay as they are."""

from __future__ import annotations

import subprocess
from pathlib import Path

RESULTS_MD = Path(__file__).parent / "RESULTS.md"


def uptime() -> str:
    """`uptime`'s line: the load the machine was under (it is shared)."""
    found = subprocess.run(["uptime"], capture_output=True, text=True, check=False)  # noqa: S607
    return found.stdout.strip()


def replace_section(name: str, body: str) -> None:
    """Put `body` between the `<!-- name:start -->` and `<!-- name:end -->` markers of
    RESULTS.md, replacing what was there."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    part = f"{start}\n{body.strip()}\n{end}"
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark results\n"
    if start in text and end in text:
        text = text[: text.index(start)] + part + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + part + "\n"
    RESULTS_MD.write_text(text)
    print(f"written {RESULTS_MD}")
