"""event inbox: no foreign key to events

Each inbox row is written by the statement that writes its event (`core/events.py`), and
events are never deleted, so the key guarded nothing the code relies on; its check ran
for every row (one per consumer, three per event): a lookup and a lock on the event's
row. On PostgreSQL the check's plan is kept by each connection for its life: planned
while `events` was nearly empty, it scanned the whole table, 0.44 ms a row and growing
with the table until statistics changed (2.6 ms of the database's time per reply in the
peer benchmark, whose database runs without autovacuum).

Revision ID: 0027_inbox_without_fk
Revises: 0026_comment_search_append
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027_inbox_without_fk"
down_revision: str | None = "0026_comment_search_append"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_event_inbox_position_events"


def upgrade() -> None:
    with op.batch_alter_table("event_inbox") as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade() -> None:
    # Rows whose event is gone (none by the code) would fail the key: they go first.
    op.execute("DELETE FROM event_inbox WHERE position NOT IN (SELECT position FROM events)")
    with op.batch_alter_table("event_inbox") as batch:
        batch.create_foreign_key(
            FOREIGN_KEY, "events", ["position"], ["position"], ondelete="CASCADE"
        )
