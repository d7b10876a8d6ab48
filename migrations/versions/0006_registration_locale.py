"""Registrations remember the language the person signed up in

Revision ID: 0006_registration_locale
Revises: 0005_accounts
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_registration_locale"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("locale")
