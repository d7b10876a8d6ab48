"""Notifications: what a person must act on, in the app and by e-mail, each once

Revision ID: 0011_notifications
Revises: 0010_service
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import app.core.types  # noqa: F401

revision = "0011_notifications"
down_revision = "0010_service"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
