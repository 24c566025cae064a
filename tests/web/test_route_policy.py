"""Policy, route by route: a member never reaches what lies outside their account or
their brands. Every dashboard route is taken from the app's router and called, GET and
POST, with ids that are not the caller's: another account's, and (for a member kept out
of it) another brand's of the same account. Each answers 404, the dashboard's own "Not
found" page (never a 403, a 422 or a 500), and a POST changes nothing in the database.
A route with an id this module cannot fill fails the run: a new screen is checked the
day it is merged, or its new id is added to REALM in one line."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from starlette.routing import Mount, Route

from dispatch import models
from dispatch.accounts.models import Member
from dispatch.accounts.service import member_actor
from dispatch.app import create_app
from dispatch.brands import service as brands
from dispatch.core.actor import OwnerOrAdminRequired
from dispatch.core.db import Database
from dispatch.settings import Settings
from dispatch.spam import service as spam
from dispatch.views import service as views
from dispatch.views.schemas import NewView
from dispatch.web.dashboard.analytics.charts import CHARTS
from tests.conftest import Api, _new_account, bind_app, make_status, make_ticket, settings_in
from tests.contacts.helpers import make_company, make_contact
from tests.web.conftest import Browser, Person, add_member
from tests.web.portal_helpers import sign_in_customer
from tests.webhooks.helpers import add_delivery, make_webhook

Json = dict[str, Any]
Realm = dict[str, str]

# Dashboard routes are the ones the modules of dispatch.web.dashboard define (mount.py
# adds them flat beside the API's /v1 routes and the /static mount).
DASHBOARD_MODULE = "dispatch.web.dashboard."

# Routes with no id to fill, and why the id check does not apply to them. A route that
# is neither here nor fillable fails test_every_dashboard_route_is_checked_or_exempt.
EXEMPT = {
    "GET /": "no id: a redirect to the inbox or to sign-in",
    "GET /signin": "no id: the sign-in form",
    "POST /signin": "no id: signing in",
    "GET /signin/link": "no id: the magic-link form",
    "POST /signin/link": "no id: asking for a magic link",
    "GET /password/forgot": "no id: the password-reset form",
    "POST /password/forgot": "no id: asking for a reset link",
    "POST /signout": "no id: signing out",
    "GET /auth/sign-in/{token}": "a one-time link token, not an id (tests/web/test_signin.py)",
    "POST /auth/sign-in/{token}": "a one-time link token, not an id (tests/web/test_signin.py)",
    "GET /auth/{purpose}/{token}": "a one-time link token, not an id (tests/web/test_signin.py)",
    "POST /auth/{purpose}/{token}": "a one-time link token, not an id (tests/web/test_signin.py)",
    "GET /inbox": "no id: All inboxes lists only reachable brands (tests/web/test_inbox.py)",
    "POST /inbox/bulk": "no id in the path: the selected tickets are checked one by one",
    "POST /inbox/views": "no id: saves a view of All inboxes",
    "GET /team": "no id: the member's own team",
    "POST /team/invite": "no id: invites into the member's own account",
    "GET /account/security": "no id: the member's own sessions",
    "POST /account/password": "no id: the member's own password",
    "POST /account/signout-others": "no id: the member's own sessions",
    "GET /events": "no id in the path: ?brand= meets the brand policy (test_live_updates.py)",
    "GET /analytics": "no id: reports only reachable brands (tests/web/test_analytics_page.py)",
    **{
        f"GET /analytics/{chart}.csv": "no id: a CSV of the member's reachable brands' reports"
        for chart in CHARTS
    },
    "GET /account/keys": "no id: the account's own keys",
    "POST /account/keys": "no id: a key of the member's own account (brands checked)",
    "GET /account/brands": "no id: the brands the member reaches",
    "POST /account/brands": "no id: a brand of the member's own account",
    "GET /account/inbound": "no id: the account's own inbound settings",
    "POST /account/inbound/reveal": "no id: the account's own inbound secret",
    "POST /account/inbound/rotate": "no id: the account's own inbound secret",
}

# Parameters naming something of the whole account rather than of one brand: another
# brand's value means nothing, so they are checked with another account's ids only.
ACCOUNT_WIDE = {"member_id", "key_id"}

# How a settings page refuses a member without settings rights on their own brand.
MANAGERS_ONLY = OwnerOrAdminRequired("").message.strip()


# The form every POST carries, filled so each route gets past its form checks to its ids
# (a 422 for a missing field would prove nothing); ids in it are the realm's under test.
# A required form field missing here fails the run.
PROBE: dict[str, Callable[[Realm], Any]] = {
    "action": lambda ids: "status",
    "name": lambda ids: "Probe",
    "key": lambda ids: "probe",
    "title": lambda ids: "Probe",
    "body": lambda ids: "Probe",
    "version": lambda ids: "1",
    "member_id": lambda ids: ids["member_id"],
    "ref": lambda ids: ids["member_id"],
    "status_ids": lambda ids: [ids["status_id"]],
    "category_ids": lambda ids: [ids["category_id"]],
    "field_ids": lambda ids: [ids["field_id"]],
    "enabled": lambda ids: "false",
    "role": lambda ids: "member",
}
PROBE_FILE = {"file": ("probe.txt", b"probe", "text/plain")}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    form: tuple[str, ...]  # its required form fields

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)", self.path)

    @property
    def in_a_brand(self) -> bool:
        return any(p not in ACCOUNT_WIDE for p in self.params)

    def check_fillable(self) -> None:
        """Fails the run, saying what to add, for what this module cannot fill."""
        if self.method not in ("GET", "POST"):
            pytest.fail(f"{self.name}: a dashboard change is a POST (CONVENTIONS.md)")
        known = PORTAL_PARAMS if self.path.startswith("/support/") else REALM
        unknown = [p for p in self.params if p not in known]
        if unknown:
            pytest.fail(f"{self.name}: add {', '.join(unknown)} to its realm in {__name__}")
        unknown = [f for f in self.form if f not in PROBE]
        if unknown:
            pytest.fail(f"{self.name}: add the form field {', '.join(unknown)} to PROBE")

    def url(self, ids: Realm) -> str:
        return re.sub(r"{(\w+)(:\w+)?}", lambda m: ids[m.group(1)], self.path)

    def call(self, browser: Browser, ids: Realm) -> Any:
        self.check_fillable()
        if self.method == "GET":
            return browser.get(self.url(ids))
        form = {field: value(ids) for field, value in PROBE.items()}
        return browser.post(self.url(ids), form, files=PROBE_FILE)


def _cases(module: str) -> list[Case]:
    """Every route whose endpoint lives under `module`, one case per method."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir)))
        app.state.database.dispose()
    cases = []
    for route in app.routes:
        # Anything else would hide routes from this test (an included router stays
        # wrapped): the app's routes are flat routes and the /static mount.
        assert isinstance(route, APIRoute | Route | Mount), f"{route!r}: add its routes flat"
        if not isinstance(route, APIRoute) or not route.endpoint.__module__.startswith(module):
            continue
        form = tuple(f.alias for f in route.dependant.body_params if f.field_info.is_required())
        cases += [Case(m, route.path, form) for m in sorted(route.methods - {"HEAD"})]
    return cases


CASES = _cases(DASHBOARD_MODULE)
CHECKED = [c for c in CASES if c.name not in EXEMPT]
GETS = [c for c in CHECKED if c.method == "GET"]
IN_A_BRAND = [c for c in CHECKED if c.in_a_brand]
# Routes naming a brand and something in it: the something must be that brand's.
NESTED = [c for c in CHECKED if "brand_id" in c.params and len(c.params) > 1]


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


# --- the world: two accounts, two brands in the first, one signed-in browser per role -----


@dataclass
class World:
    own: Realm  # brand A of the account: the restricted member's brand
    brand_b: Realm  # brand B of the same account, outside the restricted member's access
    other_account: Realm  # a brand of another account
    owner: Browser  # the account's owner: every brand of the account
    restricted: Browser  # a member whose access is brand A only
    connection: Connection
    portal: PortalWorld


def _shared_view(database: Database, member_id: str, brand_id: str) -> str:
    with database.session() as s:
        member = s.get(Member, member_id)
        assert member is not None
        actor = member_actor(member)
        brand = brands.get_brand(s, actor, brand_id)
        view = views.create_view(s, actor, brand, NewView(name="Urgent", query="q=x", shared=True))
        s.commit()
        return view.id


@dataclass
class Makings:
    """What one realm's objects are made with: its account's API, its brand, a member
    who may open that brand."""

    api: Api
    database: Database
    brand: Json
    member: Person

    @cached_property
    def webhook(self) -> Json:
        return make_webhook(self.api, self.brand)

    def delivery(self) -> str:
        with self.database.session() as s:
            return add_delivery(s, self.webhook).id


def _blocked_sender(m: Makings) -> str:
    with m.database.session() as s:
        member = s.get(Member, m.member.id)
        assert member is not None
        actor = member_actor(member)
        brand = brands.get_brand(s, actor, m.brand["id"])
        blocked = spam.block_sender(s, actor, brand, "blocked@spam.test")
        s.commit()
        return blocked.id


# Each path parameter a dashboard route may name, and how a realm makes its object: the
# one table to extend when a screen brings a new id.
REALM: dict[str, Callable[[Makings], str]] = {
    "brand_id": lambda m: m.brand["id"],
    "ticket_id": lambda m: make_ticket(m.api, m.brand, watchers=[{"memberId": m.member.id}])["id"],
    "status_id": lambda m: make_status(m.api, m.brand)["id"],
    "view_id": lambda m: _shared_view(m.database, m.member.id, m.brand["id"]),
    "member_id": lambda m: m.member.id,
    "contact_id": lambda m: make_contact(m.api, m.brand)["id"],
    "company_id": lambda m: make_company(m.api, m.brand)["id"],
    "webhook_id": lambda m: m.webhook["id"],
    "delivery_id": Makings.delivery,
    "category_id": lambda m: m.api.ok(
        "post", f"/brands/{m.brand['id']}/categories", 201, json={"name": "Probe category"}
    )["id"],
    "tag_id": lambda m: m.api.ok(
        "post", f"/brands/{m.brand['id']}/tags", 201, json={"name": "probe"}
    )["id"],
    "field_id": lambda m: m.api.ok(
        "post",
        f"/brands/{m.brand['id']}/fields/ticket",
        201,
        json={"key": "probe", "label": "Probe", "type": "text"},
    )["id"],
    "blocked_id": _blocked_sender,
    "form_id": lambda m: m.api.ok(
        "post", f"/brands/{m.brand['id']}/forms", 201, json={"name": "Probe form"}
    )["id"],
    "key_id": lambda m: m.api.ok("post", "/accounts/me/api-keys", 201, json={"name": "K"})["id"],
}


def _realm(api: Api, database: Database, brand_name: str, member: Person) -> Realm:
    brand: Json = api.ok("post", "/brands", 201, json={"name": brand_name})
    makings = Makings(api, database, brand, member)
    return {name: make(makings) for name, make in REALM.items()}


def _signed_in(app: Any, person: Person) -> Browser:
    browser = Browser(app)
    assert browser.sign_in(person.email).status_code == 303
    assert browser.get("/inbox").status_code == 200  # keeps the session's CSRF token
    return browser


@pytest.fixture(scope="module")
def world(
    engine: Engine, _shared_app: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Built once for the module in one transaction, rolled back at its end."""
    connection = engine.connect()
    outer = connection.begin()
    database = Database(connection)
    app = bind_app(_shared_app, settings_in(tmp_path_factory.mktemp("policy")), database)
    client = TestClient(app, raise_server_exceptions=False)
    ours, theirs = (Api(client, key, account) for account, key in (
        _new_account(database, "Acme"), _new_account(database, "Globex"),
    ))  # fmt: skip
    owner = add_member(database, ours.account_id, "owner@acme.test")
    own = _realm(ours, database, "Acme Store", owner)
    restricted = add_member(
        database, ours.account_id, "agent@acme.test", role="member", brand_ids=[own["brand_id"]]
    )
    brand_b = _realm(ours, database, "Acme Outlet", owner)
    other_owner = add_member(database, theirs.account_id, "owner@globex.test")
    other_account = _realm(theirs, database, "Globex Support", other_owner)
    browsers = [_signed_in(app, owner), _signed_in(app, restricted)]
    portal = _portal_world(app, database, ours, theirs, own, brand_b, other_account)
    browsers.append(portal.customer)
    yield World(own, brand_b, other_account, *browsers[:2], connection, portal)
    for browser in browsers:
        browser.client.close()
    client.close()
    outer.rollback()
    connection.close()


# --- the checks ---------------------------------------------------------------------------

# Rewritten on every dashboard request that reads the session (its idle clock).
UNCHECKED_TABLES = {"web_sessions"}


def _everything(connection: Connection) -> dict[str, list[str]]:
    """Every row of every table: a POST that was refused must leave all of it as it was."""
    return {
        name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
        for name, table in models.metadata.tables.items()
        if name not in UNCHECKED_TABLES
    }


def _assert_not_found(world: World, browser: Browser, case: Case, ids: Realm) -> None:
    before = _everything(world.connection) if case.method == "POST" else None
    response = case.call(browser, ids)
    assert response.status_code == 404, f"{case.method} {case.url(ids)}: {response.status_code}"
    # The screen's own refusal, not a path the router failed to match.
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    if before is not None:
        assert _everything(world.connection) == before, f"{case.name} changed the database"


@pytest.mark.parametrize("case", CHECKED, ids=_ids(CHECKED))
def test_another_accounts_ids_are_not_found(world: World, case: Case) -> None:
    _assert_not_found(world, world.owner, case, world.other_account)


@pytest.mark.parametrize("case", IN_A_BRAND, ids=_ids(IN_A_BRAND))
def test_a_brand_outside_the_members_access_is_not_found(world: World, case: Case) -> None:
    _assert_not_found(world, world.restricted, case, world.brand_b)


@pytest.mark.parametrize("foreign", ["another brand", "another account"])
@pytest.mark.parametrize("case", NESTED, ids=_ids(NESTED))
def test_ids_from_elsewhere_under_an_own_brand_are_not_found(
    world: World, case: Case, foreign: str
) -> None:
    """The owner reaches both brands: the brand in the path is theirs, what it names is not
    that brand's (a ticket of brand B under brand A's address)."""
    elsewhere = world.brand_b if foreign == "another brand" else world.other_account
    ids = {**elsewhere, "brand_id": world.own["brand_id"]}
    _assert_not_found(world, world.owner, case, ids)


@pytest.mark.parametrize("case", GETS, ids=_ids(GETS))
def test_own_ids_open_the_page(world: World, case: Case) -> None:
    """The same pages open with the caller's own ids: the 404s above are the policy's,
    not a setup that reaches nothing."""
    assert case.call(world.owner, world.own).status_code == 200
    response = case.call(world.restricted, world.own)
    # A settings form is for owners and admins: a member reaches it and is refused for
    # their role (that they reach it is what counts here; the brand came first).
    refused_role = response.status_code == 403 and MANAGERS_ONLY in response.text
    assert response.status_code == 200 or refused_role, f"{case.name}: {response.status_code}"


POSTS = [c for c in CHECKED if c.method == "POST"]


@pytest.mark.parametrize("case", POSTS, ids=_ids(POSTS))
def test_own_ids_get_past_the_policy(world: World, case: Case) -> None:
    """The same probe with the owner's own ids (rolled back) is not refused as not found:
    the probe form takes each POST as far as its ids, so the 404s above are the ids'."""
    savepoint = world.connection.begin_nested()
    try:
        response = case.call(world.owner, world.own)
    finally:
        savepoint.rollback()
    assert response.status_code != 404, f"{case.name}: {response.text}"
    assert response.status_code < 500, f"{case.name}: {response.status_code}"


def test_every_dashboard_route_is_checked_or_exempt() -> None:
    assert CASES, "no dashboard route found: has DASHBOARD_MODULE moved?"
    stale = set(EXEMPT) - {c.name for c in CASES}
    assert not stale, f"EXEMPT lists routes that are gone: {sorted(stale)}"
    unchecked = [c.name for c in CHECKED if not c.params]
    assert not unchecked, f"routes without ids: add them to EXEMPT with the reason: {unchecked}"
    for case in CHECKED:
        case.check_fillable()


# --- the hosted customer portal -------------------------------------------------------------
# Its realm is a customer: one contact of one brand, signed in at /support/<slug>. The slug
# names the portal being visited (any brand's public page); what the ids name must be the
# customer's own: another customer's ticket of the same brand, the same address's ticket
# in another brand or account, and their files are a 404 that changes nothing.

PORTAL_MODULE = "dispatch.web.portal."
PORTAL_EXEMPT = {
    "GET /support/{slug}": "no id: the brand's portal (tests/web/test_portal_signin.py)",
    "GET /support/{slug}/signin": "no id: the sign-in form (test_portal_signin.py)",
    "POST /support/{slug}/signin/link": "no id: asking for a link (test_portal_signin.py)",
    "POST /support/{slug}/signin": "a one-time link token, not an id (test_portal_signin.py)",
    "POST /support/{slug}/signout": "no id: the customer's own session",
    "GET /support/{slug}/tickets": "no id: the customer's own tickets (test_portal_tickets.py)",
    "GET /support/{slug}/tickets/new": "no id: the new-ticket form",
    "POST /support/{slug}/tickets": "no id: a ticket of the customer's own",
}
PORTAL_CASES = _cases(PORTAL_MODULE)
# What a portal path may name (filled by _portal_world).
PORTAL_PARAMS = {"slug", "ticket_id", "attachment_id"}
PORTAL_CHECKED = [c for c in PORTAL_CASES if c.name not in PORTAL_EXEMPT]
CUSTOMER = "pat@customer.test"


@dataclass
class PortalWorld:
    customer: Browser  # signed in to brand A's portal
    own: Realm  # the customer's ticket and file in brand A
    elsewhere: dict[str, Realm]  # what is not theirs, by where it is


def _customer_ticket(api: Api, brand_id: str, email: str) -> Realm:
    """A ticket of `email`'s with a file: the portal realm's ids."""
    ticket = api.ok("post", f"/brands/{brand_id}/tickets", 201,
                    json={"title": "Parcel", "customerEmail": email})  # fmt: skip
    upload = api.client.post(
        f"/v1/brands/{brand_id}/tickets/{ticket['id']}/attachments/upload",
        headers={"Authorization": f"Bearer {api.key}"},
        files={"file": ("probe.txt", b"probe", "text/plain")},
    )
    assert upload.status_code == 201, upload.text
    return {"ticket_id": ticket["id"], "attachment_id": upload.json()["id"]}


def _portal_world(
    app: Any, database: Database, ours: Api, theirs: Api, own: Realm, brand_b: Realm,
    other_account: Realm,
) -> PortalWorld:  # fmt: skip
    brand = ours.ok("get", f"/brands/{own['brand_id']}")
    customer = sign_in_customer(Browser(app), database, brand, CUSTOMER)
    assert customer.get(f"/support/{brand['slug']}/tickets").status_code == 200
    elsewhere = {
        "another customer": _customer_ticket(ours, own["brand_id"], "sam@customer.test"),
        "another brand": _customer_ticket(ours, brand_b["brand_id"], CUSTOMER),
        "another account": _customer_ticket(theirs, other_account["brand_id"], CUSTOMER),
    }
    mine = _customer_ticket(ours, own["brand_id"], CUSTOMER)
    # The probe form's ids (a member, a status ...) are the dashboard realm's: no portal
    # route reads them.
    with_slug = {**own, "slug": brand["slug"]}
    return PortalWorld(
        customer,
        {**with_slug, **mine},
        {where: {**with_slug, **ids} for where, ids in elsewhere.items()},
    )


@pytest.mark.parametrize("where", ["another customer", "another brand", "another account"])
@pytest.mark.parametrize("case", PORTAL_CHECKED, ids=_ids(PORTAL_CHECKED))
def test_a_customer_never_reaches_what_is_not_theirs(world: World, case: Case, where: str) -> None:
    portal = world.portal
    _assert_not_found(world, portal.customer, case, portal.elsewhere[where])


@pytest.mark.parametrize("case", PORTAL_CHECKED, ids=_ids(PORTAL_CHECKED))
def test_a_customer_reaches_their_own(world: World, case: Case) -> None:
    """The same routes with the customer's own ids get past the policy (rolled back)."""
    savepoint = world.connection.begin_nested()
    try:
        response = case.call(world.portal.customer, world.portal.own)
    finally:
        savepoint.rollback()
    assert response.status_code in (200, 303), f"{case.name}: {response.status_code}"


def test_every_portal_route_is_checked_or_exempt() -> None:
    assert PORTAL_CASES, "no portal route found: has PORTAL_MODULE moved?"
    stale = set(PORTAL_EXEMPT) - {c.name for c in PORTAL_CASES}
    assert not stale, f"PORTAL_EXEMPT lists routes that are gone: {sorted(stale)}"
    unchecked = [c.name for c in PORTAL_CHECKED if set(c.params) <= {"slug"}]
    assert not unchecked, f"portal routes without ids: add them to PORTAL_EXEMPT: {unchecked}"
    for case in PORTAL_CHECKED:
        case.check_fillable()
