"""Regions have a Chinese name beside their name in Latin letters

Revision ID: 0013_region_names
Revises: 0012_search
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_region_names"
down_revision = "0012_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_zh", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_column("name_zh")
