"""The `dispatch` command: migrate, accounts, keys and users, each against a fresh SQLite file.

CLI tests always use their own SQLite file (also when the suite runs on PostgreSQL): the
commands open and commit their own connections.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner, Result

from dispatch.app import create_app
from dispatch.cli import app as cli
from dispatch.migrations.env_filters import include_name
from dispatch.models import metadata
from dispatch.settings import Settings


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.url = f"sqlite:///{tmp_path / 'cli.db'}"
        self.runner = CliRunner()
        self.env = {"DISPATCH_DATABASE_URL": self.url, "DISPATCH_DATA_DIR": str(tmp_path)}

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.stdout

    def account(self, name: str = "Initech") -> dict[str, str]:
        created: dict[str, str] = json.loads(self.ok("accounts", "create", "--name", name))
        return created

    def api(self) -> Any:
        settings = Settings(database_url=self.url, data_dir=self.tmp_path)
        return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def dispatch_cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def migrated(dispatch_cli: Cli) -> Cli:
    dispatch_cli.ok("migrate")
    return dispatch_cli


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_help_lists_the_commands(dispatch_cli: Cli) -> None:
    output = dispatch_cli.ok("--help")
    for command in ("serve", "migrate", "accounts", "keys", "users"):
        assert command in output


def test_migrate_builds_the_schema_and_is_idempotent(dispatch_cli: Cli) -> None:
    assert "up to date" in dispatch_cli.ok("migrate")
    engine = create_engine(dispatch_cli.url)
    tables = sorted(inspect(engine).get_table_names())
    assert {"accounts", "api_keys", "brands", "tickets", "alembic_version"} <= set(tables)

    assert "up to date" in dispatch_cli.ok("migrate")
    assert sorted(inspect(engine).get_table_names()) == tables
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert list(compare_metadata(context, metadata)) == []
    engine.dispose()


def test_accounts_create_prints_the_account_and_a_working_all_brands_key(migrated: Cli) -> None:
    result = migrated.run("accounts", "create", "--name", "Initech")
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert set(created) == {"accountId", "apiKey"}
    assert created["accountId"].startswith("acc_")
    assert created["apiKey"].startswith("sk_live_")

    with migrated.api() as api:
        me = api.get("/v1/accounts/me", headers=bearer(created["apiKey"]))
        assert me.status_code == 200
        assert me.json() == {**me.json(), "id": created["accountId"], "name": "Initech"}
        keys = api.get("/v1/accounts/me/api-keys", headers=bearer(created["apiKey"])).json()
        assert [k["allBrands"] for k in keys] == [True]
        brand = api.post("/v1/brands", json={"name": "Initech"}, headers=bearer(created["apiKey"]))
        assert brand.status_code == 201


def test_each_account_gets_its_own_key(migrated: Cli) -> None:
    first, second = migrated.account("One"), migrated.account("Two")
    assert first["accountId"] != second["accountId"]
    assert first["apiKey"] != second["apiKey"]
    with migrated.api() as api:
        me = api.get("/v1/accounts/me", headers=bearer(second["apiKey"])).json()
        assert me["id"] == second["accountId"]


def test_keys_create_prints_the_secret_alone(migrated: Cli) -> None:
    account = migrated.account()
    output = migrated.ok("keys", "create", "--account", account["accountId"], "--name", "CI")
    secret = output.strip()
    assert output == secret + "\n"
    assert secret.startswith("sk_live_")
    with migrated.api() as api:
        response = api.get("/v1/accounts/me/api-keys", headers=bearer(secret))
        assert response.status_code == 200
        assert {k["name"]: k["allBrands"] for k in response.json()} == {
            "Default key": True,
            "CI": True,
        }


def test_keys_create_with_brands_scopes_the_key(migrated: Cli) -> None:
    account = migrated.account()
    with migrated.api() as api:
        owner = bearer(account["apiKey"])
        first = api.post("/v1/brands", json={"name": "First"}, headers=owner).json()
        second = api.post("/v1/brands", json={"name": "Second"}, headers=owner).json()
        third = api.post("/v1/brands", json={"name": "Third"}, headers=owner).json()

    secret = migrated.ok(
        "keys", "create", "--account", account["accountId"], "--name", "Scoped",
        "--brand", first["id"], "--brand", third["id"],
    ).strip()  # fmt: skip

    with migrated.api() as api:
        scoped = bearer(secret)
        assert {b["id"] for b in api.get("/v1/brands", headers=scoped).json()} == {
            first["id"],
            third["id"],
        }
        assert api.get(f"/v1/brands/{second['id']}", headers=scoped).status_code == 404
        assert api.post("/v1/brands", json={"name": "X"}, headers=scoped).status_code == 403


def test_keys_create_for_an_unknown_account_fails_with_a_message(migrated: Cli) -> None:
    result = migrated.run("keys", "create", "--account", "acc_missing", "--name", "N")
    assert result.exit_code != 0
    assert "Account not found: acc_missing" in result.stderr
    assert "sk_live_" not in result.output


def test_keys_create_for_a_brand_of_another_account_fails_with_a_message(migrated: Cli) -> None:
    mine, theirs = migrated.account("Mine"), migrated.account("Theirs")
    with migrated.api() as api:
        their_brand = api.post(
            "/v1/brands", json={"name": "Theirs"}, headers=bearer(theirs["apiKey"])
        ).json()
    result = migrated.run(
        "keys",
        "create",
        "--account",
        mine["accountId"],
        "--name",
        "N",
        "--brand",
        their_brand["id"],
    )
    assert result.exit_code != 0
    assert their_brand["id"] in result.stderr
    assert "sk_live_" not in result.output


def test_keys_create_requires_account_and_name(migrated: Cli) -> None:
    assert migrated.run("keys", "create", "--name", "N").exit_code != 0
    assert migrated.run("keys", "create", "--account", "acc_x").exit_code != 0


def test_users_create_adds_a_team_member(migrated: Cli) -> None:
    account = migrated.account()
    output = migrated.ok(
        "users", "create", "--account", account["accountId"],
        "--email", "Ann@Example.com", "--name", "Ann", "--role", "admin",
    )  # fmt: skip
    member = json.loads(output)
    assert member["id"].startswith("user_")
    assert member["email"] == "ann@example.com"
    assert member["role"] == "admin"
    with migrated.api() as api:
        members = api.get("/v1/accounts/me/members", headers=bearer(account["apiKey"])).json()
    assert [(m["id"], m["email"], m["name"], m["role"]) for m in members] == [
        (member["id"], "ann@example.com", "Ann", "admin")
    ]


def test_users_create_defaults_to_the_member_role(migrated: Cli) -> None:
    account = migrated.account()
    output = migrated.ok("users", "create", "--account", account["accountId"], "--email", "b@x.io")
    assert json.loads(output)["role"] == "member"


def test_users_create_refuses_a_duplicate_email(migrated: Cli) -> None:
    account = migrated.account()
    args = ("users", "create", "--account", account["accountId"], "--email", "dup@example.com")
    migrated.ok(*args)
    result = migrated.run(*args[:-1], "DUP@example.com")
    assert result.exit_code != 0
    assert "already exists" in result.stderr


def test_users_create_refuses_an_unknown_role(migrated: Cli) -> None:
    account = migrated.account()
    result = migrated.run(
        "users", "create", "--account", account["accountId"], "--email", "c@x.io", "--role", "god"
    )
    assert result.exit_code != 0
    assert "role" in result.stderr


def test_users_create_for_an_unknown_account_fails_with_a_message(migrated: Cli) -> None:
    result = migrated.run("users", "create", "--account", "acc_nope", "--email", "d@x.io")
    assert result.exit_code != 0
    assert "Account not found" in result.stderr


def test_users_create_refuses_an_invalid_email(migrated: Cli) -> None:
    account = migrated.account()
    result = migrated.run("users", "create", "--account", account["accountId"], "--email", "nope")
    assert result.exit_code != 0
    assert "not a valid email" in result.stderr
    with migrated.api() as api:
        assert api.get("/v1/accounts/me/members", headers=bearer(account["apiKey"])).json() == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_accounts_and_keys_need_a_real_name(migrated: Cli, name: str) -> None:
    result = migrated.run("accounts", "create", "--name", name)
    assert result.exit_code != 0
    assert "name" in result.stderr
    account = migrated.account()
    result = migrated.run("keys", "create", "--account", account["accountId"], "--name", name)
    assert result.exit_code != 0
    assert "sk_live_" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("accounts", "create", "--name", "Early"),
        ("keys", "create", "--account", "acc_x", "--name", "Early"),
        ("users", "create", "--account", "acc_x", "--email", "e@x.io"),
    ],
)
def test_commands_on_an_unmigrated_database_say_to_migrate(
    dispatch_cli: Cli, args: tuple[str, ...]
) -> None:
    result = dispatch_cli.run(*args)
    assert result.exit_code == 1
    assert "dispatch migrate" in result.stderr
    assert result.stdout == ""


def test_users_create_takes_an_address_on_an_internal_domain(migrated: Cli) -> None:
    account = migrated.account()
    output = migrated.ok(
        "users", "create", "--account", account["accountId"], "--email", "agent@corp.local"
    )
    assert json.loads(output)["email"] == "agent@corp.local"


def test_users_create_with_password_stdin_can_sign_in_to_the_dashboard(migrated: Cli) -> None:
    account = migrated.account()
    result = migrated.runner.invoke(
        cli,
        ["users", "create", "--account", account["accountId"], "--email", "ops@x.io",
         "--role", "owner", "--password-stdin"],
        input="a scripted password\n",
        env=migrated.env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with migrated.api() as browser:
        form = browser.get("/signin")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed_in = browser.post(
            "/signin",
            data={"email": "ops@x.io", "password": "a scripted password", "csrf_token": token},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        assert browser.get("/team", follow_redirects=False).status_code == 200


def test_a_fresh_install_offers_a_one_time_owner_link_until_someone_can_sign_in(
    migrated: Cli,
) -> None:
    from dispatch.cli import _offer_setup_link

    migrated.account()
    settings = Settings(database_url=migrated.url, data_dir=migrated.tmp_path)
    runner = CliRunner()

    every_interface = "0.0.0.0"  # noqa: S104 - the link must name a reachable address

    def offered() -> str:
        command = typer_command(lambda: _offer_setup_link(settings, every_interface, 8000))
        return runner.invoke(command, []).stdout

    first = offered()
    assert "http://127.0.0.1:8000/auth/setup/" in first
    second = offered()  # each start prints a fresh link; the earlier one stops working
    link = second.split("http://127.0.0.1:8000", 1)[1].split()[0]
    old_link = first.split("http://127.0.0.1:8000", 1)[1].split()[0]
    with migrated.api() as browser:
        assert browser.get(old_link).status_code == 400
        page = browser.get(link)
        assert page.status_code == 200
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        done = browser.post(
            link,
            data={"email": "me@x.io", "name": "Me", "password": "owner password 1",
                  "csrf_token": token},
            follow_redirects=False,
        )  # fmt: skip
        assert done.status_code == 303
        assert "me@x.io" in browser.get("/team").text
    assert offered() == ""  # someone can sign in now


def typer_command(function: Any) -> Any:
    import typer

    command = typer.Typer()
    command.command()(function)
    return command
