"""The attachment settings a service call works with: storage, limits, signing secret.

Built once per app (or process) from `Settings`. Routes pass it explicitly; callers with a
fixed signature (`service.store_bytes`) read `current()`: the config bound to the running
request or task with `using(...)`, else one built from the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from dispatch.attachments.signing import server_secret
from dispatch.attachments.storage import LocalStorage, S3Storage, Storage
from dispatch.settings import Settings

STORAGE_DIR = "attachments"
_APP_STATE_KEY = "attachment_config"


@dataclass(frozen=True, slots=True)
class AttachmentConfig:
    storage: Storage
    max_bytes: int
    secret: bytes
    download_ttl: timedelta
    upload_ttl: timedelta
    pending_ttl: timedelta
    # Where clients reach Dispatch ("" = the address each request came in on).
    public_url: str = ""


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    return LocalStorage(settings.data_dir / STORAGE_DIR)


def from_settings(settings: Settings, *, storage: Storage | None = None) -> AttachmentConfig:
    return AttachmentConfig(
        storage=storage or build_storage(settings),
        max_bytes=settings.attachment_max_bytes,
        secret=server_secret(settings),
        download_ttl=timedelta(seconds=settings.attachment_url_ttl_seconds),
        upload_ttl=timedelta(seconds=settings.attachment_upload_ttl_seconds),
        pending_ttl=timedelta(hours=settings.pending_upload_ttl_hours),
        public_url=settings.public_url.rstrip("/"),
    )


def for_app(app: Any) -> AttachmentConfig:
    """The config of a running app (built from its settings on first use, then kept)."""
    config: AttachmentConfig | None = getattr(app.state, _APP_STATE_KEY, None)
    if config is None:
        config = from_settings(app.state.settings)
        setattr(app.state, _APP_STATE_KEY, config)
    return config


def install(app: Any, config: AttachmentConfig) -> None:
    """Give a running app this config (another storage, say) instead of its settings'."""
    setattr(app.state, _APP_STATE_KEY, config)


_current: ContextVar[AttachmentConfig | None] = ContextVar("attachment_config", default=None)


@cache
def _from_environment() -> AttachmentConfig:
    return from_settings(Settings())


def current() -> AttachmentConfig:
    config = _current.get()
    return config if config is not None else _from_environment()


def bind(config: AttachmentConfig) -> None:
    """Make `config` current for the rest of this task (a request, say) and what it calls,
    threadpool work included."""
    _current.set(config)


@contextmanager
def using(config: AttachmentConfig) -> Iterator[AttachmentConfig]:
    token = _current.set(config)
    try:
        yield config
    finally:
        _current.reset(token)
