"""A contact's ticket count is written by its key, however many contacts there are
(PostgreSQL: the plan of the commit statement's part)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert, text

from dispatch.contacts import counts
from dispatch.contacts.models import Contact
from tests.conftest import BACKEND
from tests.contacts.helpers import Json

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="a PostgreSQL plan")


def test_one_contacts_count_is_updated_through_its_key_not_a_scan(
    connection: Connection, brand: Json
) -> None:
    now = datetime.now(UTC)
    connection.execute(
        insert(Contact),
        [
            {
                "id": f"cus_plan{n:06d}",
                "brand_id": brand["id"],
                "email": f"customer{n}@example.com",
                "metadata": {},
                "custom_fields": {},
                "ticket_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(3000)
        ],
    )
    connection.execute(text("ANALYZE contacts"))
    part = counts.DELTAS.part
    assert part is not None
    written = part([("cus_plan000042", 1)])
    assert written is not None

    plan = connection.execute(
        text(f"EXPLAIN WITH {', '.join(written.clauses)} SELECT 1"), written.params
    ).scalars()

    lines = "\n".join(plan)
    assert "pk_contacts" in lines, lines
    assert "Seq Scan on contacts" not in lines, lines
