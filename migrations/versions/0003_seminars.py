"""Seminar questions and the e-mail outbox

Revision ID: 0003_seminars
Revises: 0002_markets
"""
from alembic import op
import sqlalchemy as sa

import app.core.types

revision = '0003_seminars'
down_revision = '0002_markets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('seminar_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seminar_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('text', 'choice', 'yes_no', name='questionkind', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seminar_id'], ['seminars.id'], name=op.f('fk_seminar_questions_seminar_id_seminars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seminar_questions'))
    )
    with op.batch_alter_table('seminar_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seminar_questions_seminar_id'), ['seminar_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('ics', sa.Text(), nullable=True),
    sa.Column('topic', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('sent_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_unsent', ['sent_at', 'id'], unique=False)

    # Deleting a contact (or undoing an import) looks up the registrations that point at it.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_contact_id'), ['contact_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_contact_id'))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_unsent')
    op.drop_table('outbox_messages')
    with op.batch_alter_table('seminar_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seminar_questions_seminar_id'))
    op.drop_table('seminar_questions')
