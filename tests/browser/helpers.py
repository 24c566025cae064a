"""What browser tests work with: the live server, the mail sink, the accessibility check and
screenshots. The fixtures in conftest.py build them; tests import the helpers from here."""

from __future__ import annotations

import email
import ipaddress
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ACCOUNT_LINE, KEY_LINE, free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
LOG_TAIL_LINES = 60
# axe's impacts are minor, moderate, serious and critical: the last two fail a page.
FAILING_IMPACTS = frozenset({"serious", "critical"})


def _tail(path: Path) -> str:
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return "\n".join(lines[-LOG_TAIL_LINES:])


class LiveServer:
    """`python -m dispatch serve` in a subprocess, started as a user would, on a fresh
    SQLite database in `data_dir`, listening for HTTP and SMTP on free loopback ports and
    relaying its outgoing mail to `relay_port`.

    The first start creates the default account and prints its key once on stdout:
    `account_id` and `api_key` are parsed from there, `api()` is an httpx client for it."""

    def __init__(self, data_dir: Path, *, relay_port: int) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.smtp_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_path = data_dir / "db.sqlite"
        self.database_url = f"sqlite:///{self.database_path}"
        self.stdout_path = data_dir / "server.stdout.log"
        self.stderr_path = data_dir / "server.stderr.log"
        self.account_id = ""
        self.api_key = ""
        # The developer's own DISPATCH_* settings (a PostgreSQL URL, a relay) must not leak in.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
        self.env.update(
            DISPATCH_DATABASE_URL=self.database_url,
            DISPATCH_DATA_DIR=str(data_dir),
            DISPATCH_HOST="127.0.0.1",
            DISPATCH_PORT=str(self.port),
            DISPATCH_PUBLIC_URL=self.base_url,
            DISPATCH_SMTP_HOST="127.0.0.1",
            DISPATCH_SMTP_PORT=str(self.smtp_port),
            DISPATCH_SMTP_RELAY=f"127.0.0.1:{relay_port}",
            # A browser loads many assets a second from one address; 429s would be noise.
            DISPATCH_RATE_LIMIT="off",
            DISPATCH_ACCESS_LOG="false",
            PYTHONUNBUFFERED="1",
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []

    @property
    def stdout(self) -> str:
        """Everything the server printed on stdout so far (the first start's key is there)."""
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        """Its log (uvicorn, the worker, the SMTP listener)."""
        return self.stderr_path.read_text(errors="replace")

    def output_tail(self) -> str:
        return (
            f"--- stdout ({self.stdout_path}) ---\n{_tail(self.stdout_path)}\n"
            f"--- stderr ({self.stderr_path}) ---\n{_tail(self.stderr_path)}"
        )

    def start(self) -> None:
        self._logs = [self.stdout_path.open("wb"), self.stderr_path.open("wb")]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dispatch", "serve"],
            env=self.env,
            cwd=self.data_dir,
            stdout=self._logs[0],
            stderr=self._logs[1],
            # Its own process group, so a stuck server and its children can be killed whole.
            start_new_session=True,
        )
        self._wait_until_healthy()
        account, key = ACCOUNT_LINE.search(self.stdout), KEY_LINE.search(self.stdout)
        if account is None or key is None:
            self.stop()
            pytest.fail(f"the first start printed no account and key:\n{self.output_tail()}")
        self.account_id, self.api_key = account.group(1), key.group(1)

    def _wait_until_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self.stop()
                pytest.fail(f"the server exited with {code}:\n{self.output_tail()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"the server was not healthy after {START_TIMEOUT:.0f} s:\n{self.output_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), then SIGKILL to the group after a while."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
        for log in self._logs:
            log.close()
        self._logs = []

    def api(self, key: str | None = None) -> httpx.Client:
        """A client for the API (`/v1`), with the default account's key unless another given."""
        return httpx.Client(
            base_url=f"{self.base_url}/v1",
            headers={"Authorization": f"Bearer {key or self.api_key}"},
            timeout=10,
        )

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run `dispatch ARGS` against this server's database (`users create ...`, `keys
        create ...`), as an administrator would, `stdin` on its standard input; returns
        what it printed on stdout."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and CLI, arguments from tests
            [sys.executable, "-m", "dispatch", *args],
            input=stdin,
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"dispatch {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return done.stdout


@dataclass(frozen=True)
class Mail:
    """One message the server relayed: the SMTP envelope and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The plain-text body ("" when the message has none)."""
        part = self.message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""


class MailSink:
    """An SMTP server on 127.0.0.1 that keeps every message it is given (the live server
    relays its outgoing mail here)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Mail] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    # aiosmtpd's handler hook, called on the controller's thread for each message.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def received(self) -> list[Mail]:
        with self._lock:
            return list(self.messages)

    def wait_for_mail(
        self, predicate: Callable[[Mail], bool] = lambda _mail: True, timeout: float = 15.0
    ) -> Mail:
        """The first message received that matches, waiting up to `timeout` seconds for it
        (the server's worker polls, then sends)."""
        deadline = time.monotonic() + timeout
        while True:
            for mail in self.received():
                if predicate(mail):
                    return mail
            if time.monotonic() >= deadline:
                got = [(m.recipients, m.subject) for m in self.received()]
                pytest.fail(f"no matching mail within {timeout:.0f} s; received: {got}")
            time.sleep(0.1)


def sign_in_new_member(
    live_server: LiveServer,
    page: Page,
    *,
    email: str,
    password: str,
    name: str = "Ada Agent",
    role: str = "owner",
) -> None:
    """Create a member with the CLI, as an administrator would, and sign them in on `page`
    through the sign-in form (they land on their inbox)."""
    live_server.cli(
        "users", "create", "--account", live_server.account_id, "--email", email,
        "--name", name, "--role", role, "--password-stdin", stdin=password + "\n",
    )  # fmt: skip
    page.goto(f"{live_server.base_url}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/inbox"))


@cache
def _axe_source() -> str:
    return AXE_JS.read_text()


def axe_check(page: Page, *, allow: Iterable[str] = ()) -> None:
    """Run axe-core on the page as it is now and fail listing every serious or critical
    violation, except those whose rule id is in `allow` (say why where you allow one).

    axe is evaluated through the DevTools protocol rather than added as a <script>: a page
    whose Content-Security-Policy allows only its own scripts would refuse an inline one."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    allowed = set(allow)
    failing = [
        v for v in result["violations"] if v["impact"] in FAILING_IMPACTS and v["id"] not in allowed
    ]
    if failing:
        lines = [f"{len(failing)} accessibility violation(s) on {page.url}:"]
        for violation in failing:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            lines.extend(f"    {node['target']}" for node in violation["nodes"])
        pytest.fail("\n".join(lines))


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG to build/screenshots/<name>.png (a name may contain folders)."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path


def is_offsite(url: str) -> bool:
    """Whether a page's request would leave this machine (data:, blob: and about: stay)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):  # chromium resolves it to loopback
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost
        return True
