from __future__ import annotations

from dispatch.core.errors import Conflict


class ViewNameTaken(Conflict):
    code = "view_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"You already see a view named {name!r} here")
