"""The search index: one row per searchable record, its names in one text, kept by the database.

`search_entries` holds, for each company, contact, seminar and association, the text the
header search matches (names, short name, former names, phone digits, e-mail, venue). Database
triggers written by migration 0012_search keep it current on every INSERT, UPDATE and DELETE of
those tables, whatever makes them: forms, the directory import's bulk inserts, a restore, psql.
A company's former names are the names it had before a rename (the trigger appends the old
name; the migration read the earlier ones from the audit trail).

Each database indexes the text its own way, outside the models (so `include_name` below keeps
them out of Alembic's comparison): SQLite an FTS5 table `search_fts` with the trigram tokenizer
(external content: it reads `search_entries`, triggers keep it in step), PostgreSQL a GIN
`pg_trgm` index `ix_search_entries_text_trgm`. Rows hold no region: a search joins its matches
back to the records through the ORM, whose region scope (app/core/access.py) applies.

A later migration that rebuilds one of the source tables (`batch_alter_table` with recreate on
SQLite) drops its triggers: it must create them again (tests/search/test_index.py checks).
"""
import sqlalchemy as sa

from app.extensions import db

KINDS = ("company", "contact", "seminar", "association")

search_entries = sa.Table(
    "search_entries",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("row_id", sa.Integer, nullable=False),
    sa.Column("former_names", sa.Text, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("kind", "row_id"),
)

FTS_TABLE = "search_fts"
TRGM_INDEX = "ix_search_entries_text_trgm"


def include_name(name, type_, parent_names) -> bool:
    """For Alembic: the index objects each database keeps outside the models are not the models' to compare."""
    if type_ == "table":
        return not (name or "").startswith(FTS_TABLE)
    if type_ == "index":
        return name != TRGM_INDEX
    return True
