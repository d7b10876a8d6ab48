"""The search index: one row per searchable record, its names in one text, kept by the database.

`search_entries` holds, for each company, contact, seminar and association, its region, name,
second name and sort key, the text the header search matches (names, short name, former names,
phone digits, e-mail, venue) and the grams (each character and pair of characters) of its
names, which queries of one or two characters look up. Database
triggers written by migration 0012_search keep it current on every INSERT, UPDATE and DELETE of
those tables, whatever makes them: forms, the directory import's bulk inserts, a restore, psql.
A company's former names are the names it had before a rename (the trigger appends the old
name; the migration read the earlier ones from the audit trail).

Each database indexes the text its own way, outside the models (so `include_name` below keeps
them out of Alembic's comparison): SQLite the FTS5 tables `search_fts` (trigram tokenizer on the
text) and `search_grams` (the grams as words), both external content reading `search_entries`
and kept in step by triggers; PostgreSQL a GIN `pg_trgm` index on the text and a GIN index on
the grams as an array. A search ranks and limits the entries of the user's regions, then loads
the records through the ORM, whose region scope (app/core/access.py) applies again.

A later migration that rebuilds one of the source tables (`batch_alter_table` with recreate on
SQLite) drops its triggers: it must create them again (tests/search/test_index.py checks).
"""
import sqlalchemy as sa

from app.core.pinyin import SortKey
from app.extensions import db

KINDS = ("company", "contact", "seminar", "association")

search_entries = sa.Table(
    "search_entries",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("row_id", sa.Integer, nullable=False),
    # The record's region (a contact's: its company's), so a search is limited before it is ranked.
    sa.Column("region_id", sa.Integer),
    sa.Column("title", sa.Text, nullable=False, server_default=""),   # the name (a seminar's title)
    sa.Column("alt", sa.Text, nullable=False, server_default=""),     # short name, phone digits, venue
    sa.Column("sort", SortKey, nullable=False, server_default=""),    # the record's pinyin sort key
    sa.Column("former_names", sa.Text, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False, server_default=""),    # all it is found by, one per line
    sa.Column("grams", sa.Text, nullable=False, server_default=""),   # its names' 1- and 2-character pieces
    sa.UniqueConstraint("kind", "row_id"),
)

FTS_TABLE = "search_fts"
GRAMS_TABLE = "search_grams"
DATABASE_INDEXES = ("ix_search_entries_text_trgm", "ix_search_entries_grams")


def include_name(name, type_, parent_names) -> bool:
    """For Alembic: the index objects each database keeps outside the models are not the models' to compare."""
    if type_ == "table":
        return not (name or "").startswith((FTS_TABLE, GRAMS_TABLE))
    if type_ == "index":
        return name not in DATABASE_INDEXES
    return True
