"""The hosted portal at the root of a brand's own domain (help.acme.test pointed at this
server): the whole customer flow with links, redirects, the emailed link and the cookie
in the root form; nothing else of Dispatch on that host; other hosts unaffected; a portal
that is off, a brand that is gone or a domain given up answers 404; the host's brand is
remembered for a few seconds, what is served never stale."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from dispatch.brands import service as brands
from dispatch.core.db import Database
from dispatch.email.models import OutboundEmail
from dispatch.settings import Settings
from dispatch.web.portal import domains
from tests.conftest import Api
from tests.web.conftest import Browser
from tests.web.portal_helpers import Json, portal_url

HOST = "help.acme.test"
SITE = f"http://{HOST}"
PAT = "pat@customer.test"


@pytest.fixture
def acme(api: Api, brand: Json) -> Json:
    found: Json = api.ok("patch", f"/brands/{brand['id']}", json={"portalDomain": HOST})
    return found


def _links_sent(database: Database, to: str) -> list[str]:
    with database.session() as s:
        bodies = s.scalars(
            select(OutboundEmail.text_body)
            .where(OutboundEmail.to_address == to, OutboundEmail.kind == "portal_link")
            .order_by(OutboundEmail.created_at)
        ).all()
    found = (re.search(r"https?://\S+token=[\w-]+", body) for body in bodies)
    return [m.group(0) for m in found if m]


def _sign_in(browser: Browser, database: Database, email: str = PAT) -> str:
    """Sign in on the portal domain as a person does; the emailed link it followed."""
    browser.get("/signin")
    assert browser.post("/signin/link", {"email": email}).status_code == 200
    link = _links_sent(database, email)[-1]
    token = link.split("token=")[1]
    landing = browser.get(f"/signin?token={token}")
    assert landing.status_code == 200
    assert 'action="/signin"' in landing.text
    signed_in = browser.post("/signin", {"token": token})
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/tickets"
    return link


def test_a_customer_signs_in_reads_and_replies_on_the_brand_s_own_domain(
    browsers: Any, api: Api, acme: Json, database: Database
) -> None:
    ticket = api.ok("post", f"/brands/{acme['id']}/tickets", 201,
                    json={"title": "Where is my parcel?", "customerEmail": PAT})  # fmt: skip
    browser: Browser = browsers(SITE)

    home = browser.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == "/signin"
    form = browser.get("/signin")
    assert form.status_code == 200
    assert f"Sign in to {acme['name']} support" in form.text
    assert 'action="/signin/link"' in form.text
    assert "/support/" not in form.text

    link = _sign_in(browser, database)
    assert link.startswith(f"{SITE}/signin?token=")
    cookie = next(c for c in browser.client.cookies.jar if c.name == "dispatch_portal")
    assert cookie.path == "/"
    assert cookie.domain.lstrip(".") == HOST

    tickets = browser.get("/tickets")
    assert tickets.status_code == 200
    assert "Where is my parcel?" in tickets.text
    assert f'href="/tickets/{ticket["id"]}"' in tickets.text
    assert 'href="/tickets/new"' in tickets.text
    assert 'action="/signout"' in tickets.text
    assert "/support/" not in tickets.text

    page = browser.get(f"/tickets/{ticket['id']}")
    assert page.status_code == 200
    assert f'action="/tickets/{ticket["id"]}/replies"' in page.text
    assert 'href="/tickets"' in page.text
    sent = browser.post(f"/tickets/{ticket['id']}/replies", {"body": "Still nothing here."})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/tickets/{ticket['id']}?sent=1"
    comments = api.ok("get", f"/brands/{acme['id']}/tickets/{ticket['id']}/comments")
    assert any(c["body"] == "Still nothing here." for c in comments)


def test_a_new_ticket_with_a_file_and_its_download_on_the_own_domain(
    browsers: Any, acme: Json, database: Database
) -> None:
    browser: Browser = browsers(SITE)
    _sign_in(browser, database)
    browser.get("/tickets/new")
    created = browser.post(
        "/tickets", {"title": "Broken zip", "body": "See the file."},
        files={"files": ("receipt.txt", b"paid in full", "text/plain")},
    )  # fmt: skip
    assert created.status_code == 303
    location = created.headers["location"]
    assert re.fullmatch(r"/tickets/tkt_[\w-]+\?created=1", location), location
    page = browser.get(location)
    file_link = re.search(r'href="(/tickets/[^"]+/attachments/[^"]+)"', page.text)
    assert file_link, "the file links to the portal's route in the root form"
    answer = browser.get(file_link.group(1))
    assert answer.status_code == 303
    # The signed download passes the portal domain (no DISPATCH_PUBLIC_URL: this host).
    assert answer.headers["location"].startswith(f"{SITE}/v1/attachments/")
    assert browser.client.get(answer.headers["location"]).content == b"paid in full"


def test_sign_out_and_a_signed_out_visit_use_the_root_form(
    browsers: Any, acme: Json, database: Database
) -> None:
    browser: Browser = browsers(SITE)
    assert browsers(SITE).get("/tickets").headers["location"] == "/signin"
    _sign_in(browser, database)
    out = browser.post("/signout")
    assert out.status_code == 303
    assert out.headers["location"] == "/signin?signed_out=1"
    assert 'dispatch_portal=""' in out.headers["set-cookie"]
    assert re.search(r"(?i)path=/(;|$)", out.headers["set-cookie"])
    assert browser.get("/tickets").headers["location"] == "/signin"


def test_over_https_the_link_is_https_and_the_cookie_secure(
    browsers: Any, acme: Json, database: Database, settings: Settings
) -> None:
    settings.public_url = "https://desk.acme.test"
    browser: Browser = browsers(f"https://{HOST}")
    link = _sign_in(browser, database)
    assert link.startswith(f"https://{HOST}/signin?token=")
    cookie = next(c for c in browser.client.cookies.jar if c.name == "dispatch_portal")
    assert cookie.secure
    assert cookie.path == "/"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/inbox"),
        ("get", "/team"),
        ("get", "/account/security"),
        ("get", "/brands/{brand}/settings/portal"),
        ("get", "/v1/brands"),
        ("get", "/v1/brands/{brand}/tickets"),
        ("get", "/docs"),
        ("get", "/openapi.json"),
        ("get", "/health"),
        ("post", "/forms/ft_anything"),
        ("get", "/support/{slug}"),
        ("get", "/support/{slug}/signin"),
    ],
)
def test_nothing_else_of_dispatch_is_reachable_on_the_portal_domain(
    browsers: Any, web: Browser, api: Api, acme: Json, method: str, path: str
) -> None:
    """A customer's domain never shows the dashboard, even to a signed-in member."""
    url = path.format(brand=acme["id"], slug=acme["slug"])
    headers = {"Authorization": f"Bearer {api.key}"}
    answer = getattr(browsers(SITE).client, method)(url, headers=headers)
    assert answer.status_code == 404, (url, answer.status_code)
    member_session = {"Cookie": f"dispatch_session={web.client.cookies['dispatch_session']}"}
    assert getattr(browsers(SITE).client, method)(url, headers=member_session).status_code == 404


def test_a_trailing_slash_stays_on_the_portal_domain(browsers: Any, acme: Json) -> None:
    browser: Browser = browsers(SITE)
    assert browser.get("/signin/").status_code == 200
    assert browser.get("/tickets/").headers["location"] == "/signin"


def test_the_portal_s_static_files_are_served_on_its_domain(browsers: Any, acme: Json) -> None:
    page = browsers(SITE).get("/signin")
    stylesheet = re.search(r'href="(/static/portal\.css\?v=\w+)"', page.text)
    assert stylesheet
    assert browsers(SITE).get(stylesheet.group(1)).status_code == 200


def test_other_hosts_are_unaffected(browsers: Any, acme: Json) -> None:
    for site in ("http://testserver", "http://desk.acme.test", "http://127.0.0.1:8000"):
        browser: Browser = browsers(site)
        assert browser.get("/").headers["location"].startswith("/signin")
        assert browser.get(portal_url(acme)).headers["location"] == portal_url(acme, "/signin")
        assert 'action="/support/' in browser.get(portal_url(acme, "/signin")).text


def test_another_brand_s_portal_is_not_reachable_on_the_domain(
    browsers: Any, api: Api, acme: Json
) -> None:
    outlet: Json = api.ok("post", "/brands", 201, json={"name": "Acme Outlet"})
    assert browsers(SITE).get(portal_url(outlet, "/signin")).status_code == 404


def test_a_portal_turned_off_answers_404_at_once_and_after_the_lookup_expires(
    browsers: Any, api: Api, acme: Json, frozen_clock: Any
) -> None:
    browser: Browser = browsers(SITE)
    assert browser.get("/signin").status_code == 200
    api.ok("patch", f"/brands/{acme['id']}", json={"portalEnabled": False})
    assert browser.get("/signin").status_code == 404  # the host's brand still remembered
    frozen_clock.advance(seconds=domains.TTL.total_seconds() + 1)
    for path in ("/", "/signin", "/inbox", "/v1/brands"):
        gone = browser.get(path)
        assert gone.status_code == 404, path
    assert "Not found" in gone.text
    api.ok("patch", f"/brands/{acme['id']}", json={"portalEnabled": True})
    frozen_clock.advance(seconds=domains.TTL.total_seconds() + 1)
    assert browser.get("/signin").status_code == 200


def test_a_deleted_brand_s_domain_answers_404(
    browsers: Any, api: Api, acme: Json, frozen_clock: Any
) -> None:
    browser: Browser = browsers(SITE)
    assert browser.get("/signin").status_code == 200
    api.ok("delete", f"/brands/{acme['id']}?confirm=true", 204)
    assert browser.get("/signin").status_code == 404
    frozen_clock.advance(seconds=domains.TTL.total_seconds() + 1)
    for path in ("/", "/signin", "/inbox"):
        assert browser.get(path).status_code == 404, path


def test_a_domain_given_up_stops_serving_the_portal_at_once(
    browsers: Any, api: Api, acme: Json, frozen_clock: Any
) -> None:
    browser: Browser = browsers(SITE)
    assert browser.get("/signin").status_code == 200
    api.ok("patch", f"/brands/{acme['id']}", json={"portalDomain": None})
    assert browser.get("/signin").status_code == 404
    frozen_clock.advance(seconds=domains.TTL.total_seconds() + 1)
    # No brand's domain any more: the host is like any other.
    assert browser.get("/").headers["location"].startswith("/signin")


def test_the_host_s_brand_is_looked_up_once_per_ttl(
    browsers: Any, acme: Json, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = brands.portal_host

    def counted(session: Any, host: str) -> Any:
        seen.append(host)
        return original(session, host)

    monkeypatch.setattr(brands, "portal_host", counted)
    browser: Browser = browsers(SITE)
    browser.get("/signin")
    browser.get("/static/portal.css")
    browsers("http://testserver").get("/signin")  # never looked up: not a domain
    assert seen == [HOST]
    frozen_clock.advance(seconds=domains.TTL.total_seconds() + 1)
    browser.get("/signin")
    assert seen == [HOST, HOST]


def test_the_public_url_s_host_is_never_looked_up(
    browsers: Any, acme: Json, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.public_url = "https://desk.acme.test"
    monkeypatch.setattr(brands, "portal_host", pytest.fail)
    assert browsers("https://desk.acme.test").get("/").status_code == 303
