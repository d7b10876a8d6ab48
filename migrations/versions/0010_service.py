"""Service cases, SLA policies, the business calendar and notifications

Revision ID: 0010_service
Revises: 0009_equipment
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import app.core.types  # noqa: F401

revision = "0010_service"
down_revision = "0009_equipment"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
