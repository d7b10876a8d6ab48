"""Outbox: senders claim a message before sending it, retries back off, failures are kept

Revision ID: 0007_outbox_claims
Revises: 0006_registration_locale
"""
import sqlalchemy as sa
from alembic import op

import app.core.types

revision = "0007_outbox_claims"
down_revision = "0006_registration_locale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", app.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", app.core.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("failed_at", app.core.types.UTCDateTime(), nullable=True))
    # Messages the old sender had stopped trying (eight failures) count as failed, not as due.
    op.execute("UPDATE outbox_messages SET failed_at = created_at WHERE sent_at IS NULL AND attempts >= 8")


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("next_attempt_at")
