"""Indexes the staff pages read at the size of a large region: the companies list in a region by
name and by score, and visits by their start across regions

Revision ID: 0017_page_indexes
Revises: 0016_api_tokens

Plain CREATE INDEX on both databases (no batch mode: SQLite does not rebuild the tables, so the
search index's triggers on companies stay in place).
"""
from alembic import op

revision = "0017_page_indexes"
down_revision = "0016_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_companies_region_name_sort", "companies", ["region_id", "name_sort"], unique=False)
    op.create_index("ix_companies_region_score", "companies", ["region_id", "score"], unique=False)
    op.create_index("ix_visits_starts", "visits", ["starts_at"], unique=False)


def downgrade():
    op.drop_index("ix_visits_starts", table_name="visits")
    op.drop_index("ix_companies_region_score", table_name="companies")
    op.drop_index("ix_companies_region_name_sort", table_name="companies")
