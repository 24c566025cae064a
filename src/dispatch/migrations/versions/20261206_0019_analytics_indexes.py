"""analytics: partial indexes over status changes, the team's public replies and the
tickets reports leave out

Reports read a brand's status changes over a period (`ix_audit_logs_status_changes`), a
ticket's status changes in order (`ix_audit_logs_ticket_status_changes`) and a brand's
public agent replies over a period (`ix_comments_public_agent_replies`), and check
rows against the few tickets they leave out (`ix_tickets_uncounted`). Each index holds
only those rows; the predicates are the models' `STATUS_CHANGE_SQL`,
`PUBLIC_AGENT_REPLY_SQL` and `UNCOUNTED_SQL`, copied here as they were.

Revision ID: 0019_analytics_indexes
Revises: 0018_webhook_disabled_at
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_analytics_indexes"
down_revision: str | None = "0018_webhook_disabled_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _partial(name: str, table: str, columns: list[str], postgresql: str, sqlite: str) -> None:
    op.create_index(
        name,
        table,
        columns,
        postgresql_where=sa.text(postgresql),
        sqlite_where=sa.text(sqlite),
    )


def upgrade() -> None:
    status_change = (
        "(changes -> 'status') IS NOT NULL",
        "json_extract(changes, '$.status') IS NOT NULL",
    )
    _partial(
        "ix_audit_logs_status_changes", "audit_logs", ["brand_id", "created_at"], *status_change
    )
    _partial(
        "ix_audit_logs_ticket_status_changes",
        "audit_logs",
        ["ticket_id", "created_at"],
        *status_change,
    )
    _partial(
        "ix_comments_public_agent_replies",
        "comments",
        ["brand_id", "created_at"],
        "author_type = 'AGENT' AND NOT is_internal",
        "author_type = 'AGENT' AND is_internal = 0",
    )
    uncounted = "deleted_at IS NOT NULL OR {spam} OR merged_into_id IS NOT NULL" + (
        " OR close_reason = 'duplicate'"
    )
    _partial(
        "ix_tickets_uncounted",
        "tickets",
        ["id"],
        uncounted.format(spam="is_spam"),
        uncounted.format(spam="is_spam = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_uncounted", table_name="tickets")
    op.drop_index("ix_comments_public_agent_replies", table_name="comments")
    op.drop_index("ix_audit_logs_ticket_status_changes", table_name="audit_logs")
    op.drop_index("ix_audit_logs_status_changes", table_name="audit_logs")
