"""The page shell of an account screen (no brand of its own)."""

from __future__ import annotations

from typing import Any

from dispatch.web.runner import Screen


def account_shell(screen: Screen, nav: str) -> dict[str, Any]:
    return {"member": screen.member, "brands": screen.brands(), "nav": nav}
