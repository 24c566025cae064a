"""search: one stored search document per ticket on PostgreSQL (title, body, requester,
contact and the conversation), kept by triggers, with one GIN index

Searching comments through their own index made every query build the set of all
tickets with a matching comment (a hashed subplan: 200k rows for a common word at 100k
tickets), and OR-ing the contact match in hid the condition's selectivity from the
planner. A stored `tickets.search_document` answers from one index, or lets the planner
walk the newest tickets testing a stored value, whichever its statistics favour.
Triggers keep it: a ticket's own text or contact changing recomputes it on the row; a
comment written, edited, moved (merge) or deleted recomputes its tickets; a contact
renamed recomputes theirs. SYSTEM comments (status history) are left out. SQLite keeps
its FTS5 tables. The column is outside the SQLAlchemy models (env_filters skips it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The document of a ticket given its own columns: the same tokens as before ('@' and '.'
# split words, accents folded), over the ticket's text, its live contact's name and email
# and its live, non-SYSTEM comments.
DOCUMENT = """
CREATE OR REPLACE FUNCTION dispatch_ticket_document(
    text, text, text, text, text, text
) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- $1 ticket id, then its title, body, customer email, customer name, customer id.
    SELECT to_tsvector('simple'::regconfig, dispatch_unaccent(translate(
        concat_ws(' ', $2, $3, $4, $5,
            (SELECT concat_ws(' ', k.name, k.email)
               FROM contacts k
              WHERE k.id = $6 AND k.deleted_at IS NULL),
            (SELECT string_agg(c.body, ' ')
               FROM comments c
              WHERE c.ticket_id = $1 AND c.deleted_at IS NULL AND c.author_type <> 'SYSTEM')),
        '@.', '  ')))
$$
"""


# The call for ticket row `t` (or NEW).
def _document_of(row: str) -> str:
    return (
        f"dispatch_ticket_document({row}.id, {row}.title, {row}.body, "
        f"{row}.customer_email, {row}.customer_name, {row}.customer_id)"
    )


ON_TICKET = f"""
CREATE OR REPLACE FUNCTION dispatch_ticket_search_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := {_document_of("NEW")};
    RETURN NEW;
END
$$
"""

ON_COMMENT = f"""
CREATE OR REPLACE FUNCTION dispatch_ticket_search_comments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets t SET search_document = {_document_of("t")}
     WHERE t.id IN (
        SELECT ticket_id FROM (VALUES
            (CASE WHEN TG_OP <> 'INSERT' THEN OLD.ticket_id END),
            (CASE WHEN TG_OP <> 'DELETE' THEN NEW.ticket_id END)) AS changed(ticket_id)
         WHERE ticket_id IS NOT NULL);
    RETURN NULL;
END
$$
"""

ON_CONTACT = f"""
CREATE OR REPLACE FUNCTION dispatch_ticket_search_contact() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets t SET search_document = {_document_of("t")} WHERE t.customer_id = NEW.id;
    RETURN NULL;
END
$$
"""

UPGRADE = [
    "ALTER TABLE tickets ADD COLUMN search_document tsvector",
    DOCUMENT,
    ON_TICKET,
    ON_COMMENT,
    ON_CONTACT,
    "CREATE TRIGGER tickets_search_document BEFORE INSERT OR UPDATE OF title, body, "
    "customer_email, customer_name, customer_id ON tickets "
    "FOR EACH ROW EXECUTE FUNCTION dispatch_ticket_search_row()",
    "CREATE TRIGGER comments_search_document AFTER INSERT OR DELETE OR UPDATE OF body, "
    "deleted_at, author_type, ticket_id ON comments "
    "FOR EACH ROW EXECUTE FUNCTION dispatch_ticket_search_comments()",
    "CREATE TRIGGER contacts_search_document AFTER UPDATE OF name, email, deleted_at "
    "ON contacts FOR EACH ROW EXECUTE FUNCTION dispatch_ticket_search_contact()",
    f"UPDATE tickets t SET search_document = {_document_of('t')}",
    "CREATE INDEX ix_tickets_search_document ON tickets USING gin (search_document) "
    "WHERE deleted_at IS NULL",
    # Prefix searches ("lobe:*") are estimated from the most common lexemes the statistics
    # keep; the default keeps too few, and the planner then took a 40,000-row match for a
    # 500-row one (a 250 ms bitmap scan where walking the newest tickets takes 1 ms).
    "ALTER TABLE tickets ALTER COLUMN search_document SET STATISTICS 1000",
    "DROP INDEX ix_tickets_search",
    "DROP INDEX ix_comments_search",
]

DOWNGRADE = [
    "CREATE INDEX ix_comments_search ON comments USING gin (to_tsvector('simple'::regconfig, "
    "dispatch_unaccent(translate(coalesce(body, ''), '@.', '  ')))) WHERE deleted_at IS NULL",
    "CREATE INDEX ix_tickets_search ON tickets USING gin (to_tsvector('simple'::regconfig, "
    "dispatch_unaccent(translate(coalesce(title, '') || ' ' || coalesce(body, '') || ' ' || "
    "coalesce(customer_email, '') || ' ' || coalesce(customer_name, ''), '@.', '  ')))) "
    "WHERE deleted_at IS NULL",
    "DROP TRIGGER contacts_search_document ON contacts",
    "DROP TRIGGER comments_search_document ON comments",
    "DROP TRIGGER tickets_search_document ON tickets",
    "DROP FUNCTION dispatch_ticket_search_contact()",
    "DROP FUNCTION dispatch_ticket_search_comments()",
    "DROP FUNCTION dispatch_ticket_search_row()",
    "DROP FUNCTION dispatch_ticket_document(text, text, text, text, text, text)",
    "ALTER TABLE tickets DROP COLUMN search_document",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
