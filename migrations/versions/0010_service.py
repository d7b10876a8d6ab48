"""Service cases with their response-time clocks, pauses and timeline, the visits and parts of a
case, SLA policies per region, tier and severity, each region's working hours, and the public
holidays and make-up working days (调休) of the business calendar, loaded for 2026 and 2027

Revision ID: 0010_service
Revises: 0009_equipment
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

import app.core.types

revision = "0010_service"
down_revision = "0009_equipment"
branch_labels = None
depends_on = None

# The days app/service/holidays.py lists (tests/service/test_migration.py keeps the two equal):
# 2026 in full from the State Council's notice of 4 November 2025; 2027 only the statutory days
# whose dates are known before the 2027 notice (an admin adds the rest on /service/calendar).
CHINA_DAYS = [
    ('2026-01-01', 'holiday', '元旦'),
    ('2026-01-02', 'holiday', '元旦'),
    ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '元旦调休上班'),
    ('2026-02-14', 'workday', '春节调休上班'),
    ('2026-02-15', 'holiday', '春节'),
    ('2026-02-16', 'holiday', '春节'),
    ('2026-02-17', 'holiday', '春节'),
    ('2026-02-18', 'holiday', '春节'),
    ('2026-02-19', 'holiday', '春节'),
    ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'),
    ('2026-02-22', 'holiday', '春节'),
    ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '春节调休上班'),
    ('2026-04-04', 'holiday', '清明节'),
    ('2026-04-05', 'holiday', '清明节'),
    ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'),
    ('2026-05-02', 'holiday', '劳动节'),
    ('2026-05-03', 'holiday', '劳动节'),
    ('2026-05-04', 'holiday', '劳动节'),
    ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '劳动节调休上班'),
    ('2026-06-19', 'holiday', '端午节'),
    ('2026-06-20', 'holiday', '端午节'),
    ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休上班'),
    ('2026-09-25', 'holiday', '中秋节'),
    ('2026-09-26', 'holiday', '中秋节'),
    ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'),
    ('2026-10-02', 'holiday', '国庆节'),
    ('2026-10-03', 'holiday', '国庆节'),
    ('2026-10-04', 'holiday', '国庆节'),
    ('2026-10-05', 'holiday', '国庆节'),
    ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '国庆节调休上班'),
    ('2027-01-01', 'holiday', '元旦'),
    ('2027-02-05', 'holiday', '春节'),
    ('2027-02-06', 'holiday', '春节'),
    ('2027-02-07', 'holiday', '春节'),
    ('2027-02-08', 'holiday', '春节'),
    ('2027-05-01', 'holiday', '劳动节'),
    ('2027-05-02', 'holiday', '劳动节'),
    ('2027-10-01', 'holiday', '国庆节'),
    ('2027-10-02', 'holiday', '国庆节'),
    ('2027-10-03', 'holiday', '国庆节'),
]


def upgrade():
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('holiday', 'workday', name='day_kind', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day'))
    )
    op.create_table('service_hours',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('day_starts', sa.Time(), nullable=False),
    sa.Column('day_ends', sa.Time(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.CheckConstraint('day_ends > day_starts', name=op.f('ck_service_hours_day_ends_after_start')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_service_hours_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('region_id', name=op.f('pk_service_hours'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Enum('A', 'B', 'C', name='tier', native_enum=False, create_constraint=True, length=5), nullable=False),
    sa.Column('severity', sa.Enum('critical', 'high', 'normal', 'low', name='severity', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('response_hours', sa.Integer(), nullable=False),
    sa.Column('on_site_hours', sa.Integer(), nullable=False),
    sa.Column('resolution_hours', sa.Integer(), nullable=False),
    sa.CheckConstraint('response_hours > 0 AND on_site_hours > 0 AND resolution_hours > 0', name=op.f('ck_sla_policies_hours_positive')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_sla_policies_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('region_id', 'tier', 'severity', name=op.f('uq_sla_policies_region_id_tier_severity'))
    )
    op.create_table('service_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('equipment_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.Enum('critical', 'high', 'normal', 'low', name='severity', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('channel', sa.Enum('phone', 'wechat', 'email', 'visit', 'head_office', name='channel', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('over_the_head', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('new', 'acknowledged', 'on_site', 'waiting', 'resolved', 'closed', 'reopened', name='casestatus', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('paused_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('paused_from', sa.Enum('new', 'acknowledged', 'on_site', 'waiting', 'resolved', 'closed', 'reopened', name='paused_from', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('sla_tier', sa.Enum('A', 'B', 'C', name='sla_tier', native_enum=False, create_constraint=True, length=5), nullable=False),
    sa.Column('received_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('on_site_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('closed_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('next_due_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('reopen_count >= 0', name=op.f('ck_service_cases_reopen_count_not_negative')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_service_cases_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['equipment_id'], ['installed_equipment.id'], name=op.f('fk_service_cases_equipment_id_installed_equipment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_service_cases_opened_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_service_cases_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_service_cases_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_cases'))
    )
    with op.batch_alter_table('service_cases', schema=None) as batch_op:
        batch_op.create_index('ix_service_cases_company_status', ['company_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_cases_equipment_id'), ['equipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_cases_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_service_cases_region_next_due', ['region_id', 'next_due_at'], unique=False)

    op.create_table('case_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('response', 'on_site', 'resolution', name='clockkind', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('target_minutes', sa.Integer(), nullable=False),
    sa.Column('started_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('due_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('warn_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('stopped_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('warned_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('breach_noted_at', app.core.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint('target_minutes > 0', name=op.f('ck_case_clocks_target_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['service_cases.id'], name=op.f('fk_case_clocks_case_id_service_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_clocks')),
    sa.UniqueConstraint('case_id', 'kind', 'round', name=op.f('uq_case_clocks_case_id_kind_round'))
    )
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_case_clocks_breach', ['breach_noted_at', 'due_at'], unique=False)
        batch_op.create_index('ix_case_clocks_warn', ['warned_at', 'warn_at'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('opened', 'status', 'note', 'edited', 'part', 'visit', 'warning', 'breach', name='eventkind', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('from_status', sa.Enum('new', 'acknowledged', 'on_site', 'waiting', 'resolved', 'closed', 'reopened', name='from_status', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('to_status', sa.Enum('new', 'acknowledged', 'on_site', 'waiting', 'resolved', 'closed', 'reopened', name='to_status', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('clock', sa.Enum('response', 'on_site', 'resolution', name='event_clock', native_enum=False, create_constraint=True, length=14), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_case_events_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['service_cases.id'], name=op.f('fk_case_events_case_id_service_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_at', ['case_id', 'at'], unique=False)

    op.create_table('case_parts',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('move_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_cases.id'], name=op.f('fk_case_parts_case_id_service_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['move_id'], ['stock_moves.id'], name=op.f('fk_case_parts_move_id_stock_moves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'move_id', name=op.f('pk_case_parts')),
    sa.UniqueConstraint('move_id', name=op.f('uq_case_parts_move_id'))
    )
    op.create_table('case_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('started_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('ended_at', app.core.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at', name=op.f('ck_case_pauses_ends_after_start')),
    sa.ForeignKeyConstraint(['case_id'], ['service_cases.id'], name=op.f('fk_case_pauses_case_id_service_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_pauses'))
    )
    with op.batch_alter_table('case_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_pauses_case_id'), ['case_id'], unique=False)

    op.create_table('case_visits',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['service_cases.id'], name=op.f('fk_case_visits_case_id_service_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_case_visits_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'visit_id', name=op.f('pk_case_visits'))
    )
    with op.batch_alter_table('case_visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_visits_visit_id'), ['visit_id'], unique=False)

    days = sa.table("calendar_days", sa.column("day", sa.Date), sa.column("kind", sa.String),
                    sa.column("name", sa.String))
    op.bulk_insert(days, [{"day": date.fromisoformat(d), "kind": k, "name": n} for d, k, n in CHINA_DAYS])


def downgrade():
    with op.batch_alter_table('case_visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_visits_visit_id'))

    op.drop_table('case_visits')
    with op.batch_alter_table('case_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_pauses_case_id'))

    op.drop_table('case_pauses')
    op.drop_table('case_parts')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case_at')

    op.drop_table('case_events')
    with op.batch_alter_table('case_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_case_clocks_warn')
        batch_op.drop_index('ix_case_clocks_breach')

    op.drop_table('case_clocks')
    with op.batch_alter_table('service_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_service_cases_region_next_due')
        batch_op.drop_index(batch_op.f('ix_service_cases_owner_id'))
        batch_op.drop_index(batch_op.f('ix_service_cases_equipment_id'))
        batch_op.drop_index('ix_service_cases_company_status')

    op.drop_table('service_cases')
    op.drop_table('sla_policies')
    op.drop_table('service_hours')
    op.drop_table('calendar_days')
