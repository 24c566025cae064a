"""The worker's settings, read once from `Settings` into one immutable value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dispatch.core import backoff
from dispatch.settings import Settings

# At most this much of a response body is read and stored.
RESPONSE_BODY_LIMIT = 4096
# Events turned into deliveries per transaction.
FANOUT_BATCH = 200
# A webhook's health row (lastSuccessAt, lastTriggeredAt) is rewritten after a success at
# most this often while nothing else about it changes (see repository.note_success).
HEALTH_WRITE_INTERVAL = timedelta(seconds=1)
# PostgreSQL wakes listening workers on commit; they poll this often only as a fallback.
LISTEN_POLL_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    concurrency: int = 32
    max_in_flight_per_endpoint: int = 16
    timeout: float = 15.0
    retry_schedule: tuple[float, ...] = backoff.DEFAULT_SCHEDULE
    disable_after: timedelta = timedelta(hours=120)
    allow_private: bool = False
    poll_seconds: float = 0.25
    # While LISTEN is up (PostgreSQL), polling is only a fallback.
    listen_poll_seconds: float = LISTEN_POLL_SECONDS
    shutdown_seconds: float = 20.0
    fanout_batch: int = FANOUT_BATCH

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery stays ours: the attempt's timeout plus a margin for
        recording its outcome. A killed worker's deliveries are taken over after this."""
        return timedelta(seconds=self.timeout + min(max(self.timeout, 1.0), 10.0))

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            concurrency=settings.worker_concurrency,
            max_in_flight_per_endpoint=settings.webhook_max_in_flight_per_endpoint,
            timeout=settings.webhook_timeout_seconds,
            retry_schedule=backoff.parse_schedule(settings.webhook_retry_schedule),
            disable_after=timedelta(hours=settings.webhook_disable_after_hours),
            allow_private=settings.webhooks_allow_private,
            poll_seconds=settings.worker_poll_seconds,
            shutdown_seconds=settings.worker_shutdown_seconds,
        )
