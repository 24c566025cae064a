"""Who is acting, and through which channel: every service call carries an Actor.

A new channel is a new way to build an actor (a constructor below), never a new copy of
a service. What the activity log, comment authorship and `createdBy` say about the
actor is derived here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dispatch.core.errors import Forbidden


class ActorKind(StrEnum):
    API_KEY = "api_key"
    MEMBER = "member"
    CUSTOMER = "customer"
    SYSTEM = "system"
    RULE = "rule"


class Channel(StrEnum):
    API = "api"
    DASHBOARD = "dashboard"
    PORTAL = "portal"
    EMAIL = "email"
    # A public web form (`POST /forms/<token>`).
    WEB = "web"
    RULE = "rule"
    CLI = "cli"
    SYSTEM = "system"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


# `performedBy.type` on the wire: the reference's user | api | system, plus ours.
_PERFORMER_TYPE = {
    ActorKind.API_KEY: "api",
    ActorKind.MEMBER: "user",
    ActorKind.CUSTOMER: "customer",
    ActorKind.SYSTEM: "system",
    ActorKind.RULE: "rule",
}
# The activity log's `source` (the reference names rules' changes "automation").
_SOURCE = {Channel.RULE: "automation"}


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    channel: Channel
    account_id: str
    # Brands the actor may use; None means every brand of the account, current and future.
    brand_ids: frozenset[str] | None = None
    role: Role | None = None
    member_id: str | None = None
    contact_id: str | None = None
    api_key_id: str | None = None
    api_key_prefix: str | None = None
    rule_id: str | None = None
    name: str | None = None
    email: str | None = None

    # --- the ways to build one -------------------------------------------------------------

    @classmethod
    def api_key(
        cls,
        *,
        account_id: str,
        key_id: str,
        prefix: str,
        name: str,
        brand_ids: frozenset[str] | None,
    ) -> Actor:
        return cls(
            ActorKind.API_KEY,
            Channel.API,
            account_id,
            brand_ids=brand_ids,
            api_key_id=key_id,
            api_key_prefix=prefix,
            name=name,
        )

    @classmethod
    def member(
        cls,
        *,
        account_id: str,
        member_id: str,
        email: str,
        name: str | None,
        role: Role,
        brand_ids: frozenset[str] | None,
        channel: Channel = Channel.DASHBOARD,
    ) -> Actor:
        # Owners and admins see every brand, whatever access list they carry.
        access = None if role in (Role.OWNER, Role.ADMIN) else brand_ids
        return cls(
            ActorKind.MEMBER,
            channel,
            account_id,
            brand_ids=access,
            role=role,
            member_id=member_id,
            name=name,
            email=email,
        )

    @classmethod
    def customer(
        cls,
        *,
        account_id: str,
        brand_id: str,
        contact_id: str,
        email: str,
        name: str | None,
        channel: Channel,
    ) -> Actor:
        """A customer acts on one brand only, as one contact."""
        return cls(
            ActorKind.CUSTOMER,
            channel,
            account_id,
            brand_ids=frozenset({brand_id}),
            contact_id=contact_id,
            name=name,
            email=email,
        )

    @classmethod
    def system(
        cls, account_id: str, *, channel: Channel = Channel.SYSTEM, name: str = "Dispatch"
    ) -> Actor:
        return cls(ActorKind.SYSTEM, channel, account_id, name=name)

    @classmethod
    def rule(cls, account_id: str, *, rule_id: str, name: str) -> Actor:
        return cls(ActorKind.RULE, Channel.RULE, account_id, rule_id=rule_id, name=name)

    # --- what it may reach ---------------------------------------------------------------

    @property
    def all_brands(self) -> bool:
        return self.brand_ids is None

    def can_access_brand(self, brand_id: str) -> bool:
        return self.brand_ids is None or brand_id in self.brand_ids

    @property
    def is_customer(self) -> bool:
        return self.kind is ActorKind.CUSTOMER

    @property
    def idempotency_scope(self) -> str:
        """Whose idempotency keys a key is unique among: the account's for the team, the
        contact's own for a customer (two customers' keys never replay each other)."""
        if self.kind is ActorKind.CUSTOMER and self.contact_id is not None:
            return self.contact_id
        return self.account_id

    @property
    def manages_settings(self) -> bool:
        """Owners, admins, keys, the CLI and the system change settings; members and
        customers do not."""
        if self.kind is ActorKind.MEMBER:
            return self.role in (Role.OWNER, Role.ADMIN)
        return self.kind is not ActorKind.CUSTOMER

    # --- what the record says about it -----------------------------------------------------

    @property
    def source(self) -> str:
        """The activity log's `source` for a change by this actor."""
        return _SOURCE.get(self.channel, self.channel.value)

    @property
    def label(self) -> str | None:
        """How a string field names the actor (a ticket's `createdBy`)."""
        return self.email or self.name

    def performed_by(self) -> dict[str, Any]:
        """The reference's `performedBy` block (also `deletedBy`, `addedBy`, ...)."""
        data: dict[str, Any] = {"type": _PERFORMER_TYPE[self.kind]}
        for key, value in (
            ("email", self.email),
            ("name", self.name),
            ("apiKeyPrefix", self.api_key_prefix),
            ("apiKeyId", self.api_key_id),
            ("userId", self.member_id),
            ("contactId", self.contact_id),
            ("ruleId", self.rule_id),
        ):
            if value is not None:
                data[key] = value
        return data


class OwnerOrAdminRequired(Forbidden):
    code = "owner_or_admin_required"

    def __init__(self, action: str) -> None:
        super().__init__(f"Only an owner or admin can {action}")


def require_settings_manager(actor: Actor, action: str) -> None:
    """Settings (a brand's, its statuses, categories, tags, fields, webhooks; the team)
    are changed by keys, owners and admins; members and customers only read them."""
    if not actor.manages_settings:
        raise OwnerOrAdminRequired(action)
