from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import WIRE, ApiModel, Command, Omittable


class WatcherOut(ApiModel):
    id: str
    ticket_id: str
    member_id: str | None
    member_email: str
    member_name: str | None
    # Who added the watcher: the team member's id or email, or the API key's name.
    added_by: str | None
    added_at: datetime
    notify_on_comment: bool
    notify_on_status_change: bool


class NewWatcher(Command):
    """One watcher to add: `memberEmail` and/or `memberId` (a team member of the account,
    whose email is then used). A plain email string is accepted too, as ticket create's
    `watchers` allows: `["dana@acme.com", {"memberId": "user_..."}]`."""

    member_id: str | None = Field(None, min_length=1, max_length=64)
    member_email: EmailAddress | None = None
    member_name: str | None = Field(None, max_length=200)
    notify_on_comment: bool = True
    notify_on_status_change: bool = True

    @model_validator(mode="before")
    @classmethod
    def _plain_email(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {cls.model_fields["member_email"].alias or "member_email": value}
        return value

    @model_validator(mode="after")
    def _someone(self) -> NewWatcher:
        if self.member_id is None and self.member_email is None:
            raise ValueError("Give memberEmail or memberId")
        return self


class WatcherSpec(NewWatcher):
    model_config = WIRE


class WatcherChanges(Command):
    notify_on_comment: Omittable[bool] = None
    notify_on_status_change: Omittable[bool] = None

    @model_validator(mode="after")
    def _not_empty(self) -> WatcherChanges:
        if not self.model_fields_set:
            raise ValueError("Nothing to update: give notifyOnComment or notifyOnStatusChange")
        return self


class WatcherUpdate(WatcherChanges):
    model_config = WIRE
