"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, String, inspect

from dispatch.core import migrate as migrations
from dispatch.migrations.env_filters import include_name
from dispatch.models import metadata


def differences(engine: Engine, target: MetaData) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": include_name,
            },
        )
        return list(compare_metadata(context, target))


def test_models_and_migrations_agree(engine: Engine) -> None:
    # Nothing is ignored: tables, columns, types, nullability, server defaults, indexes
    # (including the partial unique slug index), unique constraints and foreign keys.
    assert differences(engine, metadata) == []


def test_comparison_notices_a_model_change_missing_from_the_migrations(engine: Engine) -> None:
    """The check above has teeth: a column only the models have is reported."""
    drifted = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        copy = table.to_metadata(drifted)
        if table.name == "brands":
            copy.append_column(Column("favourite_colour", String(20), nullable=True))
    diffs = differences(engine, drifted)
    assert [(d[0], d[3].name) for d in diffs if d[0] == "add_column"] == [
        ("add_column", "favourite_colour")
    ]


def test_test_database_is_at_the_single_head(engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_upgrade_is_idempotent(database_url: str, engine: Engine) -> None:
    before = sorted(inspect(engine).get_table_names())
    migrations.upgrade(database_url)
    migrations.upgrade(database_url)
    assert sorted(inspect(engine).get_table_names()) == before
    assert differences(engine, metadata) == []


def test_migration_files_are_named_date_first() -> None:
    versions = migrations.MIGRATIONS / "versions"
    names = [p.name for p in versions.glob("*.py") if p.name != "__init__.py"]
    assert names
    for name in names:
        assert re.fullmatch(r"20\d{6}_[0-9a-z]+_[0-9a-z_]+\.py", name), name
