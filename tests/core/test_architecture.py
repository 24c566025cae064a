"""Rules of the code's shape that a reader relies on, checked on the source itself."""

from __future__ import annotations

import re
from pathlib import Path

import dispatch

SOURCE = Path(dispatch.__file__).parent
RUNNER = SOURCE / "core" / "transaction.py"


def test_only_the_transaction_runner_commits_or_rolls_back() -> None:
    # `super().commit()`: the SQLite driver connection's own override (core/db.py), which
    # ends nothing by itself: it runs when the runner's commit reaches the driver.
    ending = re.compile(r"(?<!super\(\))\.(commit|rollback)\(\)")
    offenders = [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in SOURCE.rglob("*.py")
        if path != RUNNER and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ending.search(line)
    ]
    assert offenders == []
