"""The settings outgoing mail works with, and the values derived from them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from functools import cache

from dispatch.attachments import config as attachments_config
from dispatch.attachments.links import Links
from dispatch.email.addresses import inbound_domain
from dispatch.settings import Settings

# Links to attachments in emails stay valid this long (the reference: 7 days).
ATTACHMENT_LINK_TTL = timedelta(days=7)


@cache
def _from_environment() -> Settings:
    return Settings()


def resolve(settings: Settings | None) -> Settings:
    """The settings given, else the process's (from DISPATCH_* variables, read once)."""
    return settings if settings is not None else _from_environment()


def mail_from(settings: Settings) -> str:
    """DISPATCH_MAIL_FROM, by default notifications@<inbound domain>."""
    return settings.mail_from.strip() or f"notifications@{inbound_domain(settings)}"


def public_base_url(settings: Settings) -> str:
    """Where recipients reach Dispatch: DISPATCH_PUBLIC_URL, else the server's address."""
    if settings.public_url.strip():
        return settings.public_url.strip().rstrip("/")
    return f"http://{settings.host}:{settings.port}"


def attachment_links(settings: Settings) -> Links:
    """Signed download links valid ATTACHMENT_LINK_TTL, for `attachment:<id>` references."""
    config = attachments_config.from_settings(settings)
    return Links(replace(config, download_ttl=ATTACHMENT_LINK_TTL), public_base_url(settings))
