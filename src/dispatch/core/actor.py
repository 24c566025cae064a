"""Who is acting: the authenticated principal every service function receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ActorType = Literal["api", "user", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    account_id: str
    # None means every brand of the account, current and future.
    brand_ids: frozenset[str] | None = None
    api_key_id: str | None = None
    api_key_prefix: str | None = None
    name: str | None = None
    email: str | None = None
    user_id: str | None = None

    @property
    def all_brands(self) -> bool:
        return self.brand_ids is None

    def can_access_brand(self, brand_id: str) -> bool:
        return self.brand_ids is None or brand_id in self.brand_ids

    def performed_by(self) -> dict[str, Any]:
        """The reference's `performedBy` block for activity entries."""
        data: dict[str, Any] = {"type": self.type}
        for key, value in (
            ("email", self.email),
            ("name", self.name),
            ("apiKeyPrefix", self.api_key_prefix),
            ("apiKeyId", self.api_key_id),
            ("userId", self.user_id),
        ):
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def system(cls, account_id: str, name: str = "Dispatch") -> Actor:
        return cls(type="system", account_id=account_id, name=name)
