"""analytics: rollups kept with each change (first response, first resolution, status
stays), backfilled from the history

`tickets.first_response_at` (the first public agent reply), `first_resolved_at` (the
first change from an active status to resolved or closed), `status_changed_at` (the last
status change) and `status_stays` (one row per status change: the stay it ended) are
written from now on in the transaction of the change (`tickets/workflow.apply_changes`,
`comments/service.create_comment`); here they are computed once from the comments and
the activity entries, as the reports computed them before.

Revision ID: 0021_analytics_rollups
Revises: 0020_tickets_priority_index
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_analytics_rollups"
down_revision: str | None = "0020_tickets_priority_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# By dialect: an entry's old and new status keys and the reply id of an auto-reopen;
# what changes a status and what is the team's public reply (unqualified: the predicates
# of 0019's partial indexes, and unambiguous in the queries below).
_SQL = {
    "postgresql": {
        "old": "a.changes #>> '{status,old}'",
        "new": "a.changes #>> '{status,new}'",
        "comment": "a.metadata ->> 'commentId'",
        "status_change": "(changes -> 'status') IS NOT NULL",
        "public_agent_reply": "author_type = 'AGENT' AND NOT is_internal",
    },
    "sqlite": {
        "old": "json_extract(a.changes, '$.status.old')",
        "new": "json_extract(a.changes, '$.status.new')",
        "comment": "json_extract(a.metadata, '$.commentId')",
        "status_change": "json_extract(changes, '$.status') IS NOT NULL",
        "public_agent_reply": "author_type = 'AGENT' AND is_internal = 0",
    },
}

# Each status change ends the stay that began at the ticket's previous change (else its
# creation); a customer's reply that reopened the ticket counts under the reply's channel.
STAYS = """
INSERT INTO status_stays
    (id, brand_id, ticket_id, status_key, next_key, entered_at, left_at, channel, by_reply)
SELECT a.id, a.brand_id, a.ticket_id, {old}, {new},
       coalesce(
           lag(a.created_at) OVER (PARTITION BY a.ticket_id ORDER BY a.created_at, a.id),
           t.created_at
       ),
       a.created_at,
       CASE WHEN a.source = 'auto-reopen'
            THEN coalesce((SELECT r.source FROM comments r WHERE r.id = {comment}), a.source)
            ELSE a.source END,
       a.source = 'auto-reopen'
FROM audit_logs a JOIN tickets t ON t.id = a.ticket_id
WHERE {status_change}
"""

TICKETS = """
UPDATE tickets SET
    first_response_at = (
        SELECT min(c.created_at) FROM comments c
        WHERE c.ticket_id = tickets.id AND {public_agent_reply}
    ),
    first_resolved_at = (
        SELECT min(s.left_at) FROM status_stays s
        WHERE s.ticket_id = tickets.id
          AND s.status_key NOT IN ('resolved', 'closed')
          AND s.next_key IN ('resolved', 'closed')
    ),
    status_changed_at = (SELECT max(s.left_at) FROM status_stays s WHERE s.ticket_id = tickets.id)
"""


# 0019's indexes over the history, which the reports read before: name, table, columns,
# predicate.
_HISTORY_INDEXES = (
    ("ix_audit_logs_status_changes", "audit_logs", ["brand_id", "created_at"], "status_change"),
    (
        "ix_audit_logs_ticket_status_changes",
        "audit_logs",
        ["ticket_id", "created_at"],
        "status_change",
    ),
    (
        "ix_comments_public_agent_replies",
        "comments",
        ["brand_id", "created_at"],
        "public_agent_reply",
    ),
)


def backfill(connection: sa.Connection) -> None:
    """Fill the rollups from the history (the tables empty, the columns NULL)."""
    sql = _SQL[connection.dialect.name]
    connection.execute(sa.text(STAYS.format(**sql)))
    connection.execute(sa.text(TICKETS.format(**sql)))


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    op.create_index(
        name, table, columns, postgresql_where=sa.text(where), sqlite_where=sa.text(where)
    )


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch rebuild of `tickets` would drop its
    # full-text triggers.
    for column in ("first_response_at", "first_resolved_at", "status_changed_at"):
        op.add_column("tickets", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "status_stays",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("status_key", sa.String(length=50), nullable=False),
        sa.Column("next_key", sa.String(length=50), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("by_reply", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_status_stays_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_stays")),
    )
    backfill(op.get_bind())
    op.create_index("ix_status_stays_brand_left", "status_stays", ["brand_id", "left_at"])
    op.create_index("ix_status_stays_ticket_left", "status_stays", ["ticket_id", "left_at"])
    _partial(
        "ix_tickets_first_response",
        "tickets",
        ["brand_id", "first_response_at"],
        "first_response_at IS NOT NULL",
    )
    _partial(
        "ix_tickets_first_resolved",
        "tickets",
        ["brand_id", "first_resolved_at"],
        "first_resolved_at IS NOT NULL",
    )
    # Reports no longer read the history's JSON nor the comments: their indexes would
    # only cost every write.
    for name, table, _columns, _predicate in _HISTORY_INDEXES:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    sql = _SQL[op.get_bind().dialect.name]
    for name, table, columns, predicate in _HISTORY_INDEXES:
        _partial(name, table, columns, sql[predicate])
    op.drop_index("ix_tickets_first_resolved", table_name="tickets")
    op.drop_index("ix_tickets_first_response", table_name="tickets")
    op.drop_table("status_stays")
    for column in ("status_changed_at", "first_resolved_at", "first_response_at"):
        op.drop_column("tickets", column)
