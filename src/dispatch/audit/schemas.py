from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from dispatch.core.schemas import ApiModel


class AuditLogOut(ApiModel):
    id: str
    brand_id: str
    ticket_id: str | None
    event: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any] | None
    performed_by: dict[str, Any]
    source: str
    metadata: dict[str, Any] | None = Field(validation_alias="metadata_")
    created_at: datetime
