"""The `dispatch` command: serve, worker, migrate, and account/key/user administration."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar, cast

import typer
import uvicorn
from sqlalchemy.orm import Session
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from dispatch.accounts import repository as accounts_repository
from dispatch.accounts import service as accounts
from dispatch.accounts.models import Account, Member
from dispatch.accounts.schemas import NewMember
from dispatch.accounts.service import IssuedKey
from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.core import connection_balance, parent, transaction
from dispatch.core import migrate as migrations
from dispatch.core.db import Database
from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import DomainError
from dispatch.core.http_protocol import BoundedHttpToolsProtocol
from dispatch.settings import Settings
from dispatch.signin import passwords
from dispatch.signin import service as signin
from dispatch.worker.runner import Worker

if TYPE_CHECKING:  # the listener module loads aiosmtpd: only when it runs
    from dispatch.email.smtp import Listener as SmtpListener

app = typer.Typer(help="Dispatch: self-hostable customer-support ticketing.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
users_app = typer.Typer(help="Team members.", no_args_is_help=True)
attachments_app = typer.Typer(help="Attachments.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(attachments_app, name="attachments")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")

log = logging.getLogger("dispatch")
T = TypeVar("T")
# How long uvicorn waits for a server process's health answer before it replaces it.
WORKER_HEALTHCHECK_SECONDS = 30


def _settings() -> Settings:
    settings = Settings()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _database(settings: Settings) -> Database:
    """The database for an administrative command, which needs the current schema."""
    if not migrations.is_current(settings.effective_database_url):
        typer.echo("error: the database is not migrated; run `dispatch migrate` first", err=True)
        raise typer.Exit(code=1)
    return Database.from_url(settings.effective_database_url, pool_size=2)


def _checked_email(email: str) -> str:
    try:
        return normalize_email(email)
    except InvalidEmailAddress as exc:
        typer.echo(f"error: {email!r}: {exc}", err=True)
        raise typer.Exit(code=2) from None


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        typer.echo("error: the name must be 1 to 200 characters", err=True)
        raise typer.Exit(code=2)
    return name


def _fail(error: DomainError) -> NoReturn:
    typer.echo(f"error: {error.message}", err=True)
    raise typer.Exit(code=1)


def _in_transaction(settings: Settings, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction on the configured database; a refusal exits with
    its message."""
    database = _database(settings)
    try:
        return transaction.run(database, work)
    except DomainError as error:
        _fail(error)
    finally:
        database.dispose()


@app.command()
def migrate() -> None:
    """Apply database migrations (safe to run repeatedly)."""
    settings = _settings()
    migrations.upgrade(settings.effective_database_url)
    typer.echo("database is up to date")


def _ensure_default_account(settings: Settings) -> None:
    """On first start with an empty database, create an account and show its key once."""

    def create_first(session: Session) -> tuple[Account, IssuedKey] | None:
        if accounts_repository.count_accounts(session) > 0:
            return None
        return accounts.create_account(session, name="Default account")

    created = _in_transaction(settings, create_first)
    if created is None:
        return
    account, issued = created
    typer.echo(
        "\nCreated the default account. Its API key is shown only this once:\n\n"
        f"  account: {account.id}\n  api key: {issued.secret}\n"
    )


def _offer_setup_link(settings: Settings, host: str, port: int) -> None:
    """Until someone can sign in to the dashboard, each start prints a fresh one-time
    link that makes whoever opens it the owner (earlier links stop working)."""
    listening = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a comparison
    base_url = settings.public_url.strip() or f"http://{listening}:{port}"

    def link(session: Session) -> str | None:
        only = accounts_repository.only_account_id(session)
        return None if only is None else signin.setup_link(session, only, base_url)

    url = _in_transaction(settings, link)
    if url is not None:
        typer.echo(
            "\nNo one can sign in to the dashboard yet. Open this one-time link to choose the "
            f"owner's address and password:\n\n  {url}\n"
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (DISPATCH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (DISPATCH_PORT)")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Server processes (DISPATCH_WORKERS; by default one per core, at most two, "
            "on SQLite, and one per two cores on PostgreSQL)"
        ),
    ] = None,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run the worker (webhooks, email, periodic jobs) in processes beside the "
            "server's (DISPATCH_WORKER_PROCESSES: by default two on PostgreSQL, one on "
            "SQLite); with --no-worker run `dispatch worker` separately",
        ),
    ] = True,
    smtp: Annotated[
        bool,
        typer.Option(
            "--smtp/--no-smtp",
            help="Listen for inbound mail on DISPATCH_SMTP_HOST:DISPATCH_SMTP_PORT "
            "(127.0.0.1:2525); with --no-smtp run `dispatch smtp` separately, or none",
        ),
    ] = True,
) -> None:
    """Run the API server (and, unless --no-worker, the worker beside it)."""
    settings = _settings()
    migrations.upgrade(settings.effective_database_url)
    _ensure_default_account(settings)
    _offer_setup_link(settings, host or settings.host, port or settings.port)
    # The server's processes never run the worker (uvicorn's worker processes inherit
    # this): it runs in one process of its own, so its reaction to each commit does not
    # compete with the next request for a server process's interpreter lock (measured:
    # single-client writes 15-30% faster on PostgreSQL, the same at 16 clients).
    os.environ["DISPATCH_EMBEDDED_WORKER"] = "false"
    # One SMTP listener and `serve_worker_processes` workers per `serve`, whatever --workers.
    processes = workers or settings.serve_processes
    with (
        _smtp_listener(settings, enabled=smtp),
        _worker_processes(settings, enabled=worker),
        connection_balance.shared_by(processes) as shares,
    ):
        _run_http(
            uvicorn.Config(
                "dispatch.asgi:app",
                host=host or settings.host,
                port=port or settings.port,
                workers=processes,
                http=_http_protocol(settings, shares),
                proxy_headers=True,
                log_level="info",
                log_config=_log_config(),
                access_log=settings.access_log,
                # A process starting on a loaded machine (each imports the app) could
                # miss uvicorn's 5 s for its first health answer and be killed, again
                # and again.
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            )
        )


def _run_http(config: uvicorn.Config) -> None:
    """What `uvicorn.run` does, except that each of several processes listens on a
    socket of its own (`core.connection_balance`)."""
    if config.workers < 2:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise typer.Exit(STARTUP_FAILURE)
        return
    checked = config.bind_socket()  # logs where it listens; exits if the address is taken
    listener = connection_balance.listener_per_process(checked)
    # The server processes inherit it, and stop should this process die (`core.parent`).
    os.environ[parent.SERVE_PID] = str(os.getpid())
    Multiprocess(config, sockets=[cast(socket.socket, listener)]).run()


def _http_protocol(
    settings: Settings, shares: connection_balance.ConnectionShares | None = None
) -> type[asyncio.Protocol]:
    """uvicorn's fast protocol with request heads bounded by the settings and, across
    several processes, connections kept even between them (a partial of a module-level
    class, so it pickles into uvicorn's worker processes)."""
    protocol = functools.partial(
        BoundedHttpToolsProtocol,
        max_head_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        shares=shares,
    )
    return cast("type[asyncio.Protocol]", protocol)


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus Dispatch's own loggers (the worker, the email channel) at
    INFO through the same handler: otherwise only their warnings would surface, bare."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["dispatch"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
    }
    config["handlers"]["dispatch"] = {
        "formatter": "dispatch",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["dispatch"] = {"handlers": ["dispatch"], "level": "INFO", "propagate": False}
    return config


@contextlib.contextmanager
def _smtp_listener(settings: Settings, *, enabled: bool) -> Iterator[None]:
    """Run the SMTP listener (a thread) around the HTTP server."""
    if not enabled:
        yield
        return
    listener = _start_smtp(settings)
    with _stopped_with_server(listener.stop):
        yield


@contextlib.contextmanager
def _worker_processes(settings: Settings, *, enabled: bool) -> Iterator[None]:
    """Run `settings.serve_worker_processes` `dispatch worker` processes beside the HTTP
    server, at `settings.serve_worker_nice`, as long as it runs: one that exits meanwhile
    is started again (a second later, so one that keeps failing does not spin). Each also
    stops by itself should this process die without stopping it (DISPATCH_SERVE_PID)."""
    if not enabled:
        yield
        return
    env = {**os.environ, parent.SERVE_PID: str(os.getpid())}
    lock = threading.Lock()
    stopping = threading.Event()

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "dispatch", "worker"], env=env)
        if settings.serve_worker_nice:
            # Set while it still imports, so all its work runs at this priority; relative
            # to the server's own (a server under `nice` keeps its worker below it).
            niceness = os.getpriority(os.PRIO_PROCESS, 0) + settings.serve_worker_nice
            with contextlib.suppress(ProcessLookupError):  # gone already: supervised
                os.setpriority(os.PRIO_PROCESS, process.pid, min(19, niceness))
        return process

    running = [start() for _ in range(settings.serve_worker_processes)]

    def supervise(slot: int) -> None:
        while True:
            code = running[slot].wait()
            if stopping.wait(1.0):
                return
            with lock:
                if stopping.is_set():
                    return
                log.warning("the worker process exited (%s); starting another", code)
                running[slot] = start()

    for slot in range(len(running)):
        threading.Thread(
            target=supervise, args=(slot,), name=f"dispatch-worker-supervisor-{slot}", daemon=True
        ).start()

    def stop() -> None:
        with lock:
            stopping.set()
            processes = list(running)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + settings.worker_shutdown_seconds + 15
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    with _stopped_with_server(stop):
        yield


@contextlib.contextmanager
def _stopped_with_server(stop_once: Callable[[], None]) -> Iterator[None]:
    """Stop something that runs beside the HTTP server when it stops. uvicorn re-raises
    the SIGTERM it handled once it has shut down: `stop_once` runs first, then the
    process ends as the signal says."""
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            stop_once()

    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, _frame: FrameType | None) -> None:
        stop()
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        stop()


@app.command("smtp")
def run_smtp(
    host: Annotated[str | None, typer.Option(help="Bind address (DISPATCH_SMTP_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (DISPATCH_SMTP_PORT)")] = None,
) -> None:
    """Run the SMTP listener alone: mail for the brands' inbound addresses is stored, and
    the worker turns it into tickets and replies. SIGTERM or Ctrl-C stops it."""
    settings = _standalone(_settings())
    listener = _start_smtp(settings, host=host, port=port)
    done = threading.Event()

    def finish(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    try:
        while not done.wait(1.0):
            pass
    finally:
        listener.stop()
    typer.echo("SMTP listener stopped")


@app.command("worker")
def run_worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=256, help="Deliveries in flight at once (DISPATCH_WORKER_CONCURRENCY, 32)"
        ),
    ] = None,
) -> None:
    """Run the delivery worker alone: webhook fan-out, delivery and retries, periodic jobs.
    Any number may run beside each other and beside servers; SIGTERM stops it cleanly."""
    settings = _standalone(_settings())
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    parent.stop_with_serve()
    Worker.from_settings(settings).run_until_signalled()


def _standalone(settings: Settings) -> Settings:
    """What a process running beside `serve` needs first: a migrated database (it does
    not migrate by itself) and logs on stderr."""
    if not migrations.is_current(settings.effective_database_url):
        typer.echo("error: the database is not migrated; run `dispatch migrate` first", err=True)
        raise typer.Exit(code=1)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # As the servers do (`dispatch.asgi`): what is loaded lives as long as the process,
    # and full collections need not walk it (on SQLite the worker may hold the write lock
    # through one).
    gc.freeze()
    return settings


def _start_smtp(
    settings: Settings, *, host: str | None = None, port: int | None = None
) -> SmtpListener:
    """Start the SMTP listener (a thread), or exit clearly when its address is taken."""
    from dispatch.email import smtp

    try:
        listener = smtp.start(settings, host=host, port=port)
    except OSError as error:
        address = f"{host or settings.smtp_host}:{port or settings.smtp_port}"
        typer.echo(f"error: cannot listen for SMTP on {address}: {error}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"SMTP listener on {listener.host}:{listener.port}")
    return listener


@accounts_app.command("create")
def accounts_create(name: Annotated[str, typer.Option(help="Account name")]) -> None:
    """Create an account; prints {"accountId", "apiKey"} with its first, all-brands key."""
    name = _checked_name(name)
    account, issued = _in_transaction(
        _settings(), lambda session: accounts.create_account(session, name=name)
    )
    typer.echo(json.dumps({"accountId": account.id, "apiKey": issued.secret}))


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="Account id (acc_...)")],
    name: Annotated[str, typer.Option(help="Key name")],
    brand: Annotated[
        list[str] | None, typer.Option(help="Limit the key to this brand (repeatable)")
    ] = None,
) -> None:
    """Create an API key; prints the secret alone."""
    name = _checked_name(name)
    issued = _in_transaction(
        _settings(),
        lambda session: accounts.issue_key(session, account, name=name, brand_ids=brand or None),
    )
    typer.echo(issued.secret)


@users_app.command("create")
def users_create(
    account: Annotated[str, typer.Option(help="Account id (acc_...)")],
    email: Annotated[str, typer.Option(help="Email address")],
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    role: Annotated[str, typer.Option(help="owner, admin or member")] = "member",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the member's dashboard password from standard input (first line)",
        ),
    ] = False,
) -> None:
    """Add a team member (someone tickets can be assigned to, who signs in to the
    dashboard); prints it as JSON."""
    if role not in ("owner", "admin", "member"):
        typer.echo("error: role must be owner, admin or member", err=True)
        raise typer.Exit(code=2)
    email = _checked_email(email)
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None

    def create(session: Session) -> Member:
        member = accounts.add_member(session, account, NewMember(email=email, name=name, role=role))
        if password is not None:
            member.password_hash = passwords.hash_password(password)
        return member

    member = _in_transaction(_settings(), create)
    typer.echo(json.dumps({"id": member.id, "email": member.email, "role": member.role}))


@attachments_app.command("purge")
def attachments_purge(
    older_than_hours: Annotated[
        int | None,
        typer.Option(min=1, help="Age in hours (default DISPATCH_PENDING_UPLOAD_TTL_HOURS, 24)"),
    ] = None,
) -> None:
    """Remove abandoned uploads: never completed, or pending and never attached to a
    ticket, older than the pending-upload TTL (rows and stored bytes)."""
    settings = _settings()
    hours = older_than_hours or settings.pending_upload_ttl_hours
    storage = attachment_config.build_storage(settings)
    purged = _in_transaction(
        settings,
        lambda session: attachments.purge_abandoned_uploads(
            session, storage, older_than=timedelta(hours=hours)
        ),
    )
    typer.echo(f"purged {purged} abandoned upload(s) older than {hours} hour(s)")
