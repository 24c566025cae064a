"""How a SYSTEM comment words a status change, by the trigger that caused it."""

from __future__ import annotations

import pytest

from dispatch.statuses.models import TicketStatus
from dispatch.tickets.status_log import describe


def status(key: str, name: str) -> TicketStatus:
    return TicketStatus(key=key, name=name, is_system=True)


@pytest.mark.parametrize(
    ("trigger", "body"),
    [
        (None, "Status changed from Pending to Open"),
        ("auto-reopen", "Status changed from Pending to Open by auto-reopen (customer reply)"),
        ("comment", "Status changed from Pending to Open with a comment"),
        ("bulk", "Status changed from Pending to Open by a bulk action"),
        (
            "status_deleted",
            "Status changed from Pending to Open because the status Pending was deleted",
        ),
        ("gmail-sync", "Status changed from Pending to Open by gmail-sync"),
        ("odd {trigger}", "Status changed from Pending to Open by odd {trigger}"),
    ],
)
def test_the_body_names_both_statuses_and_why(trigger: str | None, body: str) -> None:
    assert describe(status("pending", "Pending"), status("open", "Open"), trigger) == body


def test_status_names_are_used_verbatim() -> None:
    old, new = status("in_progress", "In {progress}"), status("open", "Open")

    assert describe(old, new, "status_deleted") == (
        "Status changed from In {progress} to Open because the status In {progress} was deleted"
    )
