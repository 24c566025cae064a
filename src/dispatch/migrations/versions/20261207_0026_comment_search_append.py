"""search: a new comment adds its own words to its ticket's search document (PostgreSQL)

Until now every comment written recomputed its ticket's whole document (migration 0008):
the conversation's text read again and parsed again, 0.49 ms of the database's time per
reply at one comment a ticket and growing with the conversation; and a status change paid
it too, for the SYSTEM comment that records it and that the document leaves out. A live,
non-SYSTEM comment now appends its own document (`||`): the same words as a recompute,
only their positions differ, which matching does not read (a search is an AND of
prefixes, `search/repository.py`). SYSTEM comments no longer touch the ticket. Editing,
deleting or moving a comment still recomputes, as before.

Revision ID: 0026_comment_search_append
Revises: 0025_brand_config_version
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026_comment_search_append"
down_revision: str | None = "0025_brand_config_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The comment's words, split as `dispatch_ticket_document` splits the conversation.
ON_COMMENT_ADDED = """
CREATE OR REPLACE FUNCTION dispatch_ticket_search_comment_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets
       SET search_document = coalesce(search_document, ''::tsvector)
           || to_tsvector('simple'::regconfig,
                          dispatch_unaccent(translate(coalesce(NEW.body, ''), '@.', '  ')))
     WHERE id = NEW.ticket_id;
    RETURN NULL;
END
$$
"""

UPGRADE = [
    ON_COMMENT_ADDED,
    "DROP TRIGGER comments_search_document ON comments",
    "CREATE TRIGGER comments_search_document AFTER DELETE OR UPDATE OF body, deleted_at, "
    "author_type, ticket_id ON comments "
    "FOR EACH ROW EXECUTE FUNCTION dispatch_ticket_search_comments()",
    "CREATE TRIGGER comments_search_document_added AFTER INSERT ON comments FOR EACH ROW "
    "WHEN (NEW.author_type <> 'SYSTEM' AND NEW.deleted_at IS NULL) "
    "EXECUTE FUNCTION dispatch_ticket_search_comment_added()",
]

DOWNGRADE = [
    "DROP TRIGGER comments_search_document_added ON comments",
    "DROP TRIGGER comments_search_document ON comments",
    "CREATE TRIGGER comments_search_document AFTER INSERT OR DELETE OR UPDATE OF body, "
    "deleted_at, author_type, ticket_id ON comments "
    "FOR EACH ROW EXECUTE FUNCTION dispatch_ticket_search_comments()",
    "DROP FUNCTION dispatch_ticket_search_comment_added()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
