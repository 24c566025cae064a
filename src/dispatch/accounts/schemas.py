from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from dispatch.core.email_address import EmailAddress
from dispatch.core.schemas import WIRE, ApiModel, Command


class AccountOut(ApiModel):
    id: str
    name: str
    # The reference's billing provider ids; a self-hosted account has none.
    stackbe_customer_id: str | None = None
    stackbe_organization_id: str | None = None
    created_at: datetime
    updated_at: datetime


class UsageOut(ApiModel):
    tickets_this_month: int
    tickets_total: int
    brands_count: int
    # The reference's billing plan and its limits: self-hosted Dispatch has no plans.
    plan: None = None


class ApiKeyOut(ApiModel):
    id: str
    name: str
    # `keyPreview` is the SDK's name, `prefix` the dashboard's.
    key_preview: str
    prefix: str
    all_brands: bool
    brand_ids: list[str]
    last_used_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


class ApiKeyCreated(ApiKeyOut):
    # Shown once. `key` is the SDK's and dashboard's name, `secret` the docs'.
    key: str
    secret: str


class NewApiKey(Command):
    name: str = Field("API key", min_length=1, max_length=200)
    all_brands: bool | None = None
    brand_ids: list[str] | None = Field(None, max_length=500)
    expires_at: datetime | None = None

    @model_validator(mode="after")
    def _scope_is_consistent(self) -> NewApiKey:
        if self.all_brands is False and not self.brand_ids:
            raise ValueError("brandIds is required when allBrands is false")
        return self


class ApiKeyCreate(NewApiKey):
    model_config = WIRE


class KeyScope(Command):
    all_brands: bool | None = None
    brand_ids: list[str] | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _something_to_change(self) -> KeyScope:
        if self.all_brands is None and self.brand_ids is None:
            raise ValueError("Give allBrands or brandIds")
        if self.all_brands is False and not self.brand_ids:
            raise ValueError("brandIds is required when allBrands is false")
        return self


class ApiKeyScopeUpdate(KeyScope):
    model_config = WIRE


MemberRole = Literal["owner", "admin", "member"]


class MemberOut(ApiModel):
    id: str
    email: str
    name: str | None
    role: MemberRole
    # Owners and admins reach every brand; a member, allBrands or the brands listed.
    all_brands: bool
    brand_ids: list[str]
    created_at: datetime


class NewMember(Command):
    email: EmailAddress
    name: str | None = Field(None, max_length=200)
    role: MemberRole = "member"
    all_brands: bool | None = None
    brand_ids: list[str] | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _access_is_consistent(self) -> NewMember:
        if self.all_brands is False and not self.brand_ids:
            raise ValueError("brandIds is required when allBrands is false")
        return self


class MemberCreate(NewMember):
    model_config = WIRE
