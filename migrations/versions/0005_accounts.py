"""Accounts managed in the app: when a user set their password (None while an invitation
waits) and when they last signed in.

Revision ID: 0005_accounts
Revises: 0004_visits
"""
from alembic import op
import sqlalchemy as sa

import app.core.types

revision = "0005_accounts"
down_revision = "0004_visits"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_set_at", app.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_sign_in_at", app.core.types.UTCDateTime(), nullable=True))
    # Every account made before invitations existed was given its password when it was created.
    op.execute("UPDATE users SET password_set_at = created_at")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("password_set_at")
