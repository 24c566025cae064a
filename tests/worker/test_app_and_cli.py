"""Where the worker runs: never inside an app a test builds, inside `dispatch serve` by
default (not with --no-worker), and alone as `dispatch worker`, which stops cleanly."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.accounts import service as accounts
from dispatch.app import create_app
from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.webhooks.models import WebhookDelivery
from dispatch.worker.runner import Worker
from tests.conftest import Api
from tests.e2e.conftest import free_port
from tests.worker.conftest import SECRET, Live
from tests.worker.helpers import add_webhook
from tests.worker.processes import Process, worker_env, worker_process
from tests.worker.receiver import Receiver


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dispatch-worker"]


def test_an_app_built_without_asking_starts_no_worker(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings, database)
    with TestClient(app):
        assert _worker_threads() == []
        assert getattr(app.state, "worker", None) is None


@pytest.mark.committed
def test_embedded_worker_runs_with_the_app_and_stops_with_it(
    committed_database: Database, database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        embedded_worker=True,
        webhooks_allow_private=True,
        worker_poll_seconds=0.1,
        rate_limit="100000/minute",
    )
    app = create_app(settings, committed_database)
    with committed_database.session() as s:
        account, issued = accounts.create_account(s, name="Embedded")
        s.commit()
    with TestClient(app) as client:
        worker = app.state.worker
        assert isinstance(worker, Worker)
        assert len(_worker_threads()) == 1
        api = Api(client, issued.secret, account.id)
        brand = api.ok("post", "/brands", 201, json={"name": "Embedded"})
        with committed_database.session() as s:
            add_webhook(s, brand["id"], receiver.url, secret=SECRET)
        api.ok("post", f"/brands/{brand['id']}/tickets", 201, json={"title": "Hi", "body": "B"})
        (request,) = receiver.wait_for(1)
        assert request.headers["x-dispatch-event"] == "ticket.created"
    assert _worker_threads() == []


@pytest.mark.committed
def test_dispatch_worker_delivers_and_exits_cleanly_on_sigterm(
    live: Live, receiver: Receiver, database_url: str, tmp_path: Path
) -> None:
    process = worker_process(database_url, tmp_path).start()
    try:
        live.ticket()
        (request,) = receiver.wait_for(1, timeout=15)
    finally:
        code = process.stop()
    assert request.signature_problems == ()
    assert code == 0, process.output
    assert "stopped" in process.output
    assert "Traceback" not in process.output
    with live.database.session(write=False) as s:
        (delivery,) = s.scalars(
            select(WebhookDelivery).where(WebhookDelivery.webhook_id == live.webhook_id)
        )
        assert (delivery.status, delivery.leased_by) == ("SUCCESS", None)


def test_dispatch_worker_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    process = worker_process(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    with pytest.raises(AssertionError, match="exited 1"):
        process.start()
    assert "not migrated" in process.output


def _serve(
    tmp_path: Path, name: str, *flags: str, env: dict[str, str] | None = None
) -> tuple[Process, str]:
    data_dir = tmp_path / name
    data_dir.mkdir()
    port = free_port()
    env = {
        **worker_env(
            f"sqlite:///{data_dir / 'dispatch.db'}",
            data_dir,
            port=str(port),
            smtp_port=str(free_port()),
        ),
        **(env or {}),
    }
    env.pop("DISPATCH_EMBEDDED_WORKER", None)
    process = Process(
        ["serve", *flags], env, tmp_path / f"{name}.log", ready="Application startup complete"
    )
    return process.start(), f"http://127.0.0.1:{port}"


def _subscribe_and_create_ticket(process: Process, base_url: str, receiver: Receiver) -> Any:
    output = process.output
    key = output.split("api key: ")[1].split()[0]
    database = Database.from_url(process.env["DISPATCH_DATABASE_URL"])
    try:
        with httpx.Client(
            base_url=f"{base_url}/v1", headers={"Authorization": f"Bearer {key}"}
        ) as c:
            brand = c.post("/brands", json={"name": "Served"}).json()
            with database.session() as s:
                add_webhook(s, brand["id"], receiver.url, secret=SECRET)
            created = c.post(f"/brands/{brand['id']}/tickets", json={"title": "Hi", "body": "B"})
            assert created.status_code == 201, created.text
    finally:
        database.dispose()


@pytest.mark.committed
def test_dispatch_serve_runs_the_worker_unless_told_not_to(
    tmp_path: Path, receiver: Receiver
) -> None:
    with_worker, url = _serve(tmp_path, "with")
    try:
        _subscribe_and_create_ticket(with_worker, url, receiver)
        (request,) = receiver.wait_for(1, timeout=15)
        assert request.headers["x-dispatch-event"] == "ticket.created"
    finally:
        assert with_worker.stop() in (0, -15)
    assert "Traceback" not in with_worker.output
    # The worker's own log lines reach the server's output.
    assert "dispatch.worker: worker" in with_worker.output
    assert "started" in with_worker.output

    without, url = _serve(tmp_path, "without", "--no-worker")
    try:
        _subscribe_and_create_ticket(without, url, receiver)
        time.sleep(1.5)  # an embedded worker would have delivered within this
        assert len(receiver.received) == 1
    finally:
        without.stop()


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the process's children, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            found.append((int(entry.name), command))
    return found


def _workers(pid: int) -> list[int]:
    """The live `dispatch worker` children of a serve process."""
    return [
        child for child, command in _children(pid) if "dispatch worker" in command and _alive(child)
    ]


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.committed
def test_dispatch_serve_runs_one_worker_process_beside_the_server_and_it_ends_with_it(
    tmp_path: Path,
) -> None:
    """The worker is not in the server's processes (it would compete with requests for
    their interpreter): it is a process of its own, started again should it exit, stopped
    with the server, and it stops by itself should the server die without stopping it."""
    serving, _url = _serve(tmp_path, "beside")
    try:
        [first] = _workers(serving.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while _workers(serving.pid) in ([], [first]) and time.monotonic() < deadline:
            time.sleep(0.1)
        [second] = _workers(serving.pid)
        assert second != first
        assert "the worker process exited" in serving.output
    finally:
        serving.stop()
    assert not _alive(second)

    # Its server processes too: uvicorn's do not watch their parent (`core.parent`).
    serving, _url = _serve(tmp_path, "killed", env={"DISPATCH_WORKERS": "2"})
    [orphan] = _workers(serving.pid)
    servers = [child for child, command in _children(serving.pid) if "spawn_main" in command]
    assert len(servers) == 2
    os.kill(serving.pid, signal.SIGKILL)
    serving.process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in [orphan, *servers]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(orphan), "the worker outlived the server that started it"
    assert not any(_alive(pid) for pid in servers), "server processes outlived `serve`"


@pytest.mark.committed
def test_dispatch_serve_runs_as_many_worker_processes_as_configured(tmp_path: Path) -> None:
    """DISPATCH_WORKER_PROCESSES: each is watched on its own (one that exits is started
    again, the others go on) and all stop with the server."""
    serving, _url = _serve(tmp_path, "two", env={"DISPATCH_WORKER_PROCESSES": "2"})
    try:
        deadline = time.monotonic() + 20
        while len(_workers(serving.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        first, other = _workers(serving.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while first in _workers(serving.pid) or len(_workers(serving.pid)) < 2:
            assert time.monotonic() < deadline, _workers(serving.pid)
            time.sleep(0.1)
        now = _workers(serving.pid)
        assert other in now
        assert len(now) == 2
    finally:
        serving.stop()
    assert not any(_alive(pid) for pid in now)


@pytest.mark.committed
def test_dispatch_serve_runs_its_worker_processes_nicer_than_itself(tmp_path: Path) -> None:
    """DISPATCH_WORKER_NICE (by default 10 on PostgreSQL, 0 on SQLite): on a busy machine
    requests come first, a restarted worker too."""
    serving, _url = _serve(tmp_path, "nice", env={"DISPATCH_WORKER_NICE": "7"})
    try:
        own = os.getpriority(os.PRIO_PROCESS, serving.pid)
        [first] = _workers(serving.pid)
        assert os.getpriority(os.PRIO_PROCESS, first) == min(19, own + 7)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while _workers(serving.pid) in ([], [first]) and time.monotonic() < deadline:
            time.sleep(0.1)
        [second] = _workers(serving.pid)
        assert os.getpriority(os.PRIO_PROCESS, second) == min(19, own + 7)
    finally:
        serving.stop()
    plain, _url = _serve(tmp_path, "plain")  # SQLite: the worker may hold its write lock
    try:
        [worker] = _workers(plain.pid)
        assert os.getpriority(os.PRIO_PROCESS, worker) == os.getpriority(os.PRIO_PROCESS, plain.pid)
    finally:
        plain.stop()


def test_dispatch_smtp_stores_mail_for_a_brand_and_stops_on_sigterm(
    live: Live, database_url: str, tmp_path: Path
) -> None:
    import smtplib
    from email.message import EmailMessage

    from dispatch.brands.models import Brand
    from dispatch.email.models import InboundMessage

    with live.database.session(write=False) as s:
        slug = s.scalars(select(Brand.slug).where(Brand.id == live.brand_id)).one()
    port = free_port()
    env = worker_env(database_url, tmp_path, smtp_port=str(port))
    process = Process(["smtp"], env, tmp_path / "smtp.log", ready="SMTP listener on").start()
    try:
        message = EmailMessage()
        message["From"] = "jane@example.com"
        message["To"] = f"{slug}@inbound.localhost"
        message["Subject"] = "Hello"
        message["Message-ID"] = "<cli.1@example.com>"
        message.set_content("Hi there")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
    finally:
        code = process.stop()
    assert code == 0, process.output
    assert "SMTP listener stopped" in process.output
    with live.database.session(write=False) as s:
        stored = s.scalars(select(InboundMessage.message_id)).all()
    assert stored == ["<cli.1@example.com>"]


def test_dispatch_smtp_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = worker_env(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path, smtp_port=str(free_port()))
    process = Process(["smtp"], env, tmp_path / "smtp.log", ready="SMTP listener on")
    with pytest.raises(AssertionError, match="exited 1"):
        process.start()
    assert "not migrated" in process.output
