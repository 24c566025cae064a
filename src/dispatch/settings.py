"""Runtime configuration, read once from `DISPATCH_*` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False
    access_log: bool = True

    # Requests per key (or per client address without a key) in one window.
    rate_limit: str = "1200/minute"
    rate_limit_storage: str = "memory://"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    # lastUsedAt is written at most this often per key, to keep reads read-only.
    api_key_touch_seconds: int = Field(default=60, ge=0)

    # Attachments. Bytes live in `local` storage (data_dir/attachments) or an S3-compatible
    # bucket (AWS, R2, MinIO; credentials from the usual AWS_* variables; `dispatch[s3]`).
    storage: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    pending_upload_ttl_hours: int = Field(default=24, ge=1)
    # How long a signed download link and an upload URL stay valid.
    attachment_url_ttl_seconds: int = Field(default=3600, ge=10)
    attachment_upload_ttl_seconds: int = Field(default=3600, ge=10)
    # Signs download links and upload tokens; generated once into data_dir/secret_key
    # (mode 0600) when not set.
    secret_key: SecretStr | None = None
    # Where clients reach Dispatch (https://help.example.com), for the links it hands out;
    # by default the address each request came in on.
    public_url: str = ""

    @field_validator("database_url")
    @classmethod
    def _normalise_driver(cls, value: str) -> str:
        # Accept the URLs people paste (postgres://, postgresql://) and pin psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _storage_complete(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("DISPATCH_S3_BUCKET is required when DISPATCH_STORAGE=s3")
        return self

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dispatch.db').as_posix()}"

    @property
    def rate_limit_enabled(self) -> bool:
        return self.rate_limit.strip() not in ("", "0", "off", "none")
