"""event_inbox: a statement trigger sends NOTIFY dispatch_events (PostgreSQL)

Every transaction that writes inbox rows wakes the listening workers when it commits
(NOTIFY is transactional). Done by the database, it costs the writing transaction no
round trip of its own. SQLite has no NOTIFY: its workers poll.

Revision ID: 0013_notify_from_inbox
Revises: 0012_contact_ticket_count
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_notify_from_inbox"
down_revision: str | None = "0012_contact_ticket_count"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel is core.events.NOTIFY_CHANNEL (a migration keeps its own copy: it must not
# change when the code does).
CREATE_FUNCTION = """
CREATE FUNCTION dispatch_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dispatch_events', '');
    RETURN NULL;
END
$$
"""
CREATE_TRIGGER = """
CREATE TRIGGER event_inbox_notify AFTER INSERT ON event_inbox
FOR EACH STATEMENT EXECUTE FUNCTION dispatch_notify_events()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_FUNCTION)
    op.execute(CREATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER event_inbox_notify ON event_inbox")
    op.execute("DROP FUNCTION dispatch_notify_events()")
