from __future__ import annotations

from dispatch.core.errors import Forbidden


class AllBrandsKeyRequired(Forbidden):
    code = "insufficient_scope"

    def __init__(self, action: str) -> None:
        super().__init__(f"Only a key with access to all brands can {action}")
