"""Browser tests: the real `dispatch serve` driven in Debian's headless chromium through
Playwright (the Python package only: it never downloads a browser of its own).

Fixtures: `live_server` (with `mail_sink` as its relay), `browser`, `page`, `phone_page`,
`offsite_requests`; helpers to import from tests/browser/helpers.py: `axe_check`,
`screenshot`. Every test in this folder is marked `browser` (`-m browser` selects them).

Without chromium they are skipped, and the run's summary says so loudly; in CI (CI=true)
a missing chromium fails them instead."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    expect,
    sync_playwright,
)

from dispatch.core import migrate as migrations
from tests.browser.helpers import LiveServer, MailSink, is_offsite
from tests.conftest import BROWSER_SKIPPED

HERE = Path(__file__).parent
TIMEOUT_MS = 10_000
LAUNCH_ARGS = [
    # Root in a container: chromium's own sandbox cannot start there.
    "--no-sandbox",
    # No update checks, metrics, sync or first-run pings: the page's requests are the only ones.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (`DISPATCH_CHROMIUM` names another build)."""
    path = os.environ.get("DISPATCH_CHROMIUM", "/usr/bin/chromium")
    if os.access(path, os.X_OK):
        return path
    missing = f"chromium not installed at {path} (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}: CI must run the browser tests", pytrace=False)
    pytest.skip(f"{BROWSER_SKIPPED}: {missing}")


@pytest.fixture(scope="session")
def _dead_proxy() -> Iterator[str]:
    """A loopback port that is bound but never listens: every connection to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="session")
def browser(chromium_path: str, _dead_proxy: str) -> Iterator[Browser]:
    """One headless chromium per test process. Everything but loopback goes to a proxy that
    refuses it (chromium never proxies loopback): a page cannot reach out to a CDN or
    anywhere else, whatever it asks for."""
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[*LAUNCH_ARGS, f"--proxy-server={_dead_proxy}"],
        )
        yield browser
        browser.close()


@pytest.fixture
def offsite_requests() -> Iterator[list[str]]:
    """URLs the test's pages asked for off this machine (refused, see `browser`). A page
    must not need any (vendored assets, no CDN): left non-empty, the test fails. A test
    that expects some asserts on them and clears the list."""
    requested: list[str] = []
    yield requested
    if requested:
        pytest.fail(f"pages requested addresses off this machine: {requested}", pytrace=False)


def _context(browser: Browser, offsite: list[str], **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)

    def record(request: Request) -> None:
        if is_offsite(request.url):
            offsite.append(request.url)

    context.on("request", record)
    return context


@pytest.fixture
def page(browser: Browser, offsite_requests: list[str]) -> Iterator[Page]:
    """A page in a fresh context (no cookies or storage from other tests), 1280x800."""
    context = _context(browser, offsite_requests, viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser: Browser, offsite_requests: list[str]) -> Iterator[Page]:
    """A page as a phone shows it: 390x844, touch, mobile viewport rules."""
    context = _context(
        browser,
        offsite_requests,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    """Where the live server relays its outgoing mail: `mail_sink.wait_for_mail(predicate)`."""
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated SQLite database. Migrating takes seconds: each live server starts
    on a copy, still without accounts, so the first start's path runs as for a user (and
    tests/e2e starts servers on nothing at all)."""
    path = tmp_path_factory.mktemp("migrated") / "db.sqlite"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def live_server(
    request: pytest.FixtureRequest, tmp_path: Path, mail_sink: MailSink, _migrated_sqlite: Path
) -> Iterator[LiveServer]:
    """A fresh `dispatch serve` for this test (see LiveServer), with the settings of the
    test's `server_env` mark if any. A traceback in its log fails the test: an error the
    page swallowed is still an error."""
    server = LiveServer(tmp_path, relay_port=mail_sink.port)
    for mark in request.node.iter_markers("server_env"):
        server.env.update(mark.kwargs)
    shutil.copyfile(_migrated_sqlite, server.database_path)
    server.start()
    yield server
    server.stop()
    if "Traceback" in server.stderr:
        pytest.fail(f"the server logged an error:\n{server.output_tail()}", pytrace=False)
