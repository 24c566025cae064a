"""The browser-test harness against what the server has today: the live server and its mail,
chromium rendering its pages offline, screenshots, the accessibility check failing when
it should, the phone viewport."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LiveServer, MailSink, axe_check, screenshot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_live_server_serves_the_api_with_its_printed_key_and_relays_mail(
    live_server: LiveServer, mail_sink: MailSink
) -> None:
    with live_server.api() as api:
        assert api.get("/accounts/me").json()["id"] == live_server.account_id
        brand = api.post("/brands", json={"name": "Live Shop"}).json()
        ticket = api.post(
            f"/brands/{brand['id']}/tickets",
            json={"title": "Parcel lost", "customerEmail": "pat@example.com"},
        ).json()
        comment = api.post(
            f"/brands/{brand['id']}/tickets/{ticket['id']}/comments",
            json={"body": "We are looking for your parcel."},
        )
        assert comment.status_code == 201, comment.text

    mail = mail_sink.wait_for_mail(lambda m: "looking for your parcel" in m.text)
    assert mail.recipients == ["pat@example.com"]

    # The CLI works on the same database, as an administrator's would.
    key = live_server.cli("keys", "create", "--account", live_server.account_id, "--name", "ci")
    with live_server.api(key.strip()) as api:
        assert api.get("/accounts/me").json()["id"] == live_server.account_id


def test_chromium_renders_a_page_of_the_live_server_and_leaves_a_screenshot(
    live_server: LiveServer, page: Page
) -> None:
    blank = page.screenshot(full_page=True)
    page.goto(f"{live_server.base_url}/health")
    expect(page.locator("body")).to_contain_text('"status":"ok"')

    path = screenshot(page, "infrastructure/health")

    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert path.stat().st_size > len(blank)  # text was drawn


def test_a_page_cannot_reach_a_cdn_and_the_test_sees_that_it_tried(
    live_server: LiveServer, page: Page, offsite_requests: list[str]
) -> None:
    # FastAPI's /docs loads Swagger UI from a CDN: the browser is refused it.
    page.goto(f"{live_server.base_url}/docs")

    expect(page).to_have_title("Dispatch - Swagger UI")
    assert page.evaluate("typeof SwaggerUIBundle") == "undefined"
    assert any("/swagger-ui-bundle.js" in url for url in offsite_requests), offsite_requests
    offsite_requests.clear()  # expected here; anywhere else they fail the test


@pytest.fixture
def strict_site(tmp_path: Path) -> Iterator[str]:
    """A local static site whose pages allow only their own scripts (a strict CSP)."""

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", "default-src 'self'")
            super().end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=tmp_path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{content}</main></body></html>
"""


def test_axe_check_fails_on_an_image_without_alt_and_passes_a_clean_page(
    page: Page, strict_site: str, tmp_path: Path
) -> None:
    (tmp_path / "broken.html").write_text(
        PAGE.format(title="Broken", content='<img src="logo.png">')
    )
    (tmp_path / "clean.html").write_text(
        PAGE.format(title="Clean", content='<img src="logo.png" alt="Acme logo">')
    )

    page.goto(f"{strict_site}/broken.html")
    with pytest.raises(pytest.fail.Exception, match=r"image-alt \(critical\)[^\n]*\n +\['img'\]"):
        axe_check(page)
    axe_check(page, allow=["image-alt"])

    page.goto(f"{strict_site}/clean.html")
    axe_check(page)


def test_phone_page_has_a_phone_viewport_and_touch(phone_page: Page) -> None:
    phone_page.set_content('<meta name="viewport" content="width=device-width"><p>Small screen</p>')

    assert phone_page.evaluate("innerWidth") == 390
    assert phone_page.evaluate("matchMedia('(pointer: coarse)').matches")
