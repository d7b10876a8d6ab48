"""Installed equipment, spare parts, regional stock and stock moves

Revision ID: 0009_equipment
Revises: 0008_key_accounts
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import app.core.types  # noqa: F401

revision = "0009_equipment"
down_revision = "0008_key_accounts"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
