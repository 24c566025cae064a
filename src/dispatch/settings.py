"""Runtime configuration, read once from `DISPATCH_*` environment variables."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")
# Requests a server process works on at once unless DISPATCH_THREADS says (request_threads).
REQUEST_THREADS = {"sqlite": 2, "postgresql": 3}
WORKER_NICE = 10
# The customer portal: a file (the reference's portal limit, or the attachment limit when
# smaller), and files per form of the hosted portal.
PORTAL_FILE_MAX_BYTES = 50 * 1024 * 1024
PORTAL_FORM_FILES = 10


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Server processes, and requests each works on at once (its thread pool): the layout
    # measured best for the database unless set (serve_processes, request_threads).
    workers: int | None = Field(default=None, ge=1, le=64)
    threads: int | None = Field(default=None, ge=1, le=200)
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False
    access_log: bool = True

    # Requests per key (or per client address without a key) in one window.
    rate_limit: str = "1200/minute"
    rate_limit_storage: str = "memory://"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # The request line and headers of one request, and how many headers (431 beyond).
    max_header_bytes: int = Field(default=32_768, ge=1024)
    max_headers: int = Field(default=100, ge=10)
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
    # Webhook URLs may point at private, loopback and link-local addresses (intranets, tests).
    webhooks_allow_private: bool = False

    # Web forms (`POST /forms/<token>`): each file of a submission (at most 5) up to this
    # size (and the attachment limit); submissions per client address and per sender
    # address (the email it gives) in a moving window, beyond which it is answered 429.
    form_file_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    form_rate_limit_per_client: str = "60/hour"
    form_rate_limit_per_sender: str = "10/hour"

    @property
    def portal_file_max_bytes(self) -> int:
        return min(PORTAL_FILE_MAX_BYTES, self.attachment_max_bytes)

    @property
    def portal_form_max_bytes(self) -> int:
        """A hosted portal form's body (new ticket, reply): its files and 1 MiB of text and
        multipart framing."""
        return PORTAL_FORM_FILES * self.portal_file_max_bytes + 1024 * 1024

    @property
    def form_body_max_bytes(self) -> int:
        """A submission's body: its files and 1 MiB of fields and multipart framing."""
        return 5 * self.form_file_max_bytes + 1024 * 1024

    # Dashboard sign-in. A session ends after this long without a request, and in any
    # case this many days after sign-in; emailed sign-in and reset links last minutes,
    # invitations days. Failed sign-ins per address and per client in the window are
    # capped (then refused, right password or not, until the window moves on).
    session_idle_minutes: int = Field(default=12 * 60, ge=5)
    session_max_days: int = Field(default=30, ge=1)
    sign_in_link_minutes: int = Field(default=20, ge=1, le=24 * 60)
    invite_days: int = Field(default=7, ge=1, le=90)
    sign_in_window_minutes: int = Field(default=15, ge=1)
    sign_in_failures_per_address: int = Field(default=5, ge=1)
    sign_in_failures_per_client: int = Field(default=30, ge=1)
    # Session cookies are `Secure` when the request came over HTTPS (auto: also behind a
    # proxy that says so), always, or never (plain-HTTP development on another host).
    cookie_secure: Literal["auto", "always", "never"] = "auto"

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
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def request_threads(self) -> int:
        """A request's work is mostly Python (the database answers within a fraction of
        it): past a few per process, more requests at once only share the interpreter
        lock and the CPU, so each takes longer and the tail grows, and on SQLite a write
        waiting its turn competes with the one holding the lock. Measured on both
        databases (bench/RESULTS.md, "Write path"): 2 per process on SQLite and 3 on
        PostgreSQL (whose round trips leave the interpreter to another request) serve as many
        writes with a far shorter tail than anyio's 40. A database far away (round trips
        of a millisecond or more) wants more: DISPATCH_THREADS."""
        if self.threads is not None:
            return self.threads
        return REQUEST_THREADS["sqlite" if self.is_sqlite else "postgresql"]

    @property
    def serve_processes(self) -> int:
        """Server processes `dispatch serve` runs: DISPATCH_WORKERS (or --workers) when
        set, else one per core on SQLite, at most two (it writes one transaction at a
        time: more would only queue for its lock), and one per two cores on PostgreSQL,
        whose own processes (on the same machine, as measured) and the worker's take
        the rest. Measured on two cores (bench/RESULTS.md, "Write path", eighth stop):
        on PostgreSQL one process of three threads served as many writes at 16 clients
        as two of two, with half the p95; on SQLite two processes served the most."""
        if self.workers is not None:
            return self.workers
        cores = os.cpu_count() or 1
        return min(2, cores) if self.is_sqlite else max(1, cores // 2)

    @property
    def serve_worker_processes(self) -> int:
        """Worker processes `dispatch serve` runs: DISPATCH_WORKER_PROCESSES when set, else
        two on PostgreSQL with two cores or more, one on SQLite. A worker's work is mostly
        Python, one core's worth per process: inbound email on PostgreSQL went from 78/63-74
        to 91-105 messages/s with two (bench/RESULTS.md, "Write path", sixth stop).
        SQLite writes one transaction at a time: a second would only queue for its lock."""
        if self.worker_processes is not None:
            return self.worker_processes
        if self.is_sqlite:
            return 1
        return min(2, os.cpu_count() or 1)

    @property
    def serve_worker_nice(self) -> int:
        """How much nicer than itself `dispatch serve` runs its worker processes:
        DISPATCH_WORKER_NICE when set, else 10 on PostgreSQL, so that on a busy machine
        requests come first and the worker takes what they leave (its work follows the
        commit: an email or a webhook a moment later, never a slower answer), while a
        tenth of the CPU still keeps it moving under overload. Measured at 16 clients on
        two cores: 18% more creates and 5% more replies per second, each p95 as good or
        better (bench/RESULTS.md, "Write path", eighth stop). 0 on SQLite: a worker made
        to wait for the CPU while it holds the single write lock would hold up every
        writer (and measured no better)."""
        if self.worker_nice is not None:
            return self.worker_nice
        return 0 if self.is_sqlite else WORKER_NICE

    @property
    def rate_limit_enabled(self) -> bool:
        return self.rate_limit.strip() not in ("", "0", "off", "none")

    # The worker (webhooks, email, the live stream, periodic jobs). `dispatch serve` runs
    # `serve_worker_processes` of them, each a process beside the server's (`--no-worker`
    # opts out), `dispatch worker` runs one alone, and tests embed one in the app
    # (DISPATCH_EMBEDDED_WORKER); any number can run side by side.
    embedded_worker: bool = False
    worker_processes: int | None = Field(default=None, ge=1, le=16)
    # How much nicer than the server those processes run (serve_worker_nice).
    worker_nice: int | None = Field(default=None, ge=0, le=19)
    # Deliveries in flight at once per worker process, and per endpoint across workers.
    worker_concurrency: int = Field(default=32, ge=1, le=256)
    webhook_max_in_flight_per_endpoint: int = Field(default=16, ge=1, le=256)
    # How often the worker looks for work when nothing woke it (SQLite has no NOTIFY;
    # PostgreSQL wakes it on commit and polls only as a fallback).
    worker_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    # On SIGTERM, how long in-flight deliveries may finish before their leases are released.
    worker_shutdown_seconds: float = Field(default=20.0, ge=0, le=600)
    # One attempt, connect to last byte read.
    webhook_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    # Seconds between attempts, comma-separated ("60,300,1800"; fractions allowed); empty
    # means the default schedule of about three days. One attempt more than entries.
    webhook_retry_schedule: str = ""
    # An endpoint failing without a single success for this long is disabled.
    webhook_disable_after_hours: float = Field(default=120.0, gt=0)

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        if not value.strip():
            return ""
        try:
            delays = [float(part) for part in value.split(",")]
        except ValueError:
            raise ValueError("must be comma-separated numbers of seconds") from None
        if not delays or len(delays) > 50:
            raise ValueError("must have 1 to 50 delays")
        if any(not 0 <= delay <= 30 * 86400 for delay in delays):
            raise ValueError("delays must be 0 to 2592000 seconds")
        return ",".join(str(delay) for delay in delays)

    # The live event stream (GET /v1/brands/{brandId}/events/stream). Events are kept this
    # long for clients that resume with Last-Event-ID (pruned hourly by the worker); an open
    # stream looks for new ones this often, and sends a keep-alive comment after this long
    # without anything else, so proxies keep the connection.
    stream_retention_days: float = Field(default=7.0, gt=0, le=366)
    stream_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0, le=3600)

    # Inbound email. Brands receive mail at <slug>@ and <brandId>@ this domain; replies come
    # back to <slug>+<number>-<check>@ it. `dispatch serve` (and `dispatch smtp` alone) listen
    # for SMTP on smtp_host:smtp_port; messages larger than mail_max_bytes are refused.
    inbound_domain: str = "inbound.localhost"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    mail_max_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)

    # Outbound email, sent by the worker through an SMTP relay (`host:port`; empty: sending
    # is off and emails wait as PENDING). TLS: none, starttls or tls (implicit). Mail comes
    # from a brand's fromEmail, else mail_from (default notifications@<inbound domain>).
    smtp_relay: str = ""
    smtp_relay_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_relay_username: str = ""
    smtp_relay_password: SecretStr | None = None
    smtp_relay_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    mail_from: str = ""
