"""Keeping key accounts: cadence per line, key-account thresholds, stage history, proposals,
touches, account care, account plans with objectives and spends, and the whitespace grid

Revision ID: 0008_key_accounts
Revises: 0007_outbox_claims
"""
import sqlalchemy as sa
from alembic import op

import app.core.types

OLD_ROLES = ("key_person", "decision_maker", "node", "technical", "procurement", "management")
NEW_ROLES = OLD_ROLES + ("workshop_director", "equipment_manager")
# DESIGN.md section 6 defaults for node people, business/technical/management, per tier.
LINE_DAYS = {"A": (14, 30, 90), "B": (30, 60, 180), "C": (60, 90, None)}


def _roles_in(roles) -> str:
    return "role IN (%s)" % ", ".join(f"'{r}'" for r in roles)


revision = '0008_key_accounts'
down_revision = '0007_outbox_claims'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('product_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_product_lines_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_lines')),
    sa.UniqueConstraint('region_id', 'name', name=op.f('uq_product_lines_region_id_name'))
    )
    with op.batch_alter_table('product_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_lines_region_id'), ['region_id'], unique=False)

    op.create_table('region_account_settings',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('key_account_cents', sa.BigInteger(), nullable=False),
    sa.Column('tier_b_cents', sa.BigInteger(), nullable=False),
    sa.Column('tier_a_cents', sa.BigInteger(), nullable=False),
    sa.Column('target_gap_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('key_account_cents >= 0', name=op.f('ck_region_account_settings_key_account_not_negative')),
    sa.CheckConstraint('target_gap_days > 0', name=op.f('ck_region_account_settings_target_gap_positive')),
    sa.CheckConstraint('tier_a_cents >= tier_b_cents', name=op.f('ck_region_account_settings_tier_a_above_tier_b')),
    sa.CheckConstraint('tier_b_cents >= key_account_cents', name=op.f('ck_region_account_settings_tier_b_above_key_account')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_region_account_settings_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('region_id', name=op.f('pk_region_account_settings'))
    )
    op.create_table('account_care',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('last_visit_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_reason', sa.String(length=20), nullable=False),
    sa.Column('gap_count', sa.Integer(), nullable=False),
    sa.Column('health', sa.Integer(), nullable=True),
    sa.Column('health_parts', sa.JSON(), nullable=False),
    sa.Column('computed_on', sa.Date(), nullable=True),
    sa.Column('computed_at', app.core.types.UTCDateTime(), nullable=True),
    sa.CheckConstraint('health IS NULL OR (health BETWEEN 0 AND 100)', name=op.f('ck_account_care_health_0_to_100')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_account_care_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_account_care'))
    )
    with op.batch_alter_table('account_care', schema=None) as batch_op:
        batch_op.create_index('ix_account_care_due', ['due_on'], unique=False)
        batch_op.create_index('ix_account_care_health', ['health'], unique=False)

    op.create_table('account_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('technical_lead_id', sa.Integer(), nullable=True),
    sa.Column('sponsor_id', sa.Integer(), nullable=True),
    sa.Column('visit_days', sa.Integer(), nullable=False),
    sa.Column('care_budget_cents', sa.BigInteger(), nullable=False),
    sa.Column('parts_reserve_cents', sa.BigInteger(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.CheckConstraint('care_budget_cents >= 0', name=op.f('ck_account_plans_budget_not_negative')),
    sa.CheckConstraint('parts_reserve_cents >= 0', name=op.f('ck_account_plans_reserve_not_negative')),
    sa.CheckConstraint('visit_days >= 0', name=op.f('ck_account_plans_visit_days_not_negative')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_account_plans_year_in_range')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_account_plans_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_account_plans_owner_id_users')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['users.id'], name=op.f('fk_account_plans_sponsor_id_users')),
    sa.ForeignKeyConstraint(['technical_lead_id'], ['users.id'], name=op.f('fk_account_plans_technical_lead_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_plans')),
    sa.UniqueConstraint('company_id', 'year', name=op.f('uq_account_plans_company_id_year'))
    )
    with op.batch_alter_table('account_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_plans_company_id'), ['company_id'], unique=False)

    op.create_table('buying_centres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_buying_centres_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buying_centres')),
    sa.UniqueConstraint('company_id', 'name', name=op.f('uq_buying_centres_company_id_name'))
    )
    with op.batch_alter_table('buying_centres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buying_centres_company_id'), ['company_id'], unique=False)

    op.create_table('key_account_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('proposed_tier', sa.Enum('A', 'B', 'C', name='proposed_tier', native_enum=False, create_constraint=True, length=5), nullable=False),
    sa.Column('yearly_cents', sa.BigInteger(), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'declined', name='proposalstatus', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('proposed_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('decided_tier', sa.Enum('A', 'B', 'C', name='decided_tier', native_enum=False, create_constraint=True, length=5), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.CheckConstraint('yearly_cents >= 0', name=op.f('ck_key_account_proposals_yearly_not_negative')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_key_account_proposals_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_key_account_proposals_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_account_proposals'))
    )
    with op.batch_alter_table('key_account_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_account_proposals_company_id'), ['company_id'], unique=False)

    op.create_table('stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('from_stage', sa.Enum('prospect', 'target', 'engaged', 'opportunity', 'won', 'key_account', 'dormant', name='from_stage', native_enum=False, create_constraint=True, length=15), nullable=True),
    sa.Column('to_stage', sa.Enum('prospect', 'target', 'engaged', 'opportunity', 'won', 'key_account', 'dormant', name='to_stage', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('from_tier', sa.Enum('A', 'B', 'C', name='from_tier', native_enum=False, create_constraint=True, length=5), nullable=True),
    sa.Column('to_tier', sa.Enum('A', 'B', 'C', name='to_tier', native_enum=False, create_constraint=True, length=5), nullable=True),
    sa.Column('cause', sa.Enum('edited', 'first_order', 'key_account_confirmed', 'tier_changed', name='changecause', native_enum=False, create_constraint=True, length=25), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_stage_changes_by_id_users')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_stage_changes_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_changes'))
    )
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_company_at', ['company_id', 'changed_at'], unique=False)

    op.create_table('care_spends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('category', sa.Enum('travel', 'hospitality', 'expert_fees', 'parts', 'other', name='spendcategory', native_enum=False, create_constraint=True, length=15), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_care_spends_amount_positive')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_care_spends_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['account_plans.id'], name=op.f('fk_care_spends_plan_id_account_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_spends'))
    )
    with op.batch_alter_table('care_spends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_spends_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_objectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('measure', sa.Enum('order_value', 'order_count', 'visits', 'technical_visits', 'manager_visits', 'touches', name='measure', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('target > 0', name=op.f('ck_plan_objectives_target_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['account_plans.id'], name=op.f('fk_plan_objectives_plan_id_account_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_objectives'))
    )
    with op.batch_alter_table('plan_objectives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_objectives_plan_id'), ['plan_id'], unique=False)

    op.create_table('touches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Enum('business', 'technical', 'management', name='line', native_enum=False, create_constraint=True, length=14), nullable=True),
    sa.Column('kind', sa.Enum('call', 'wechat', 'meeting', 'visit', 'email', name='touchkind', native_enum=False, create_constraint=True, length=11), nullable=False),
    sa.Column('touched_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_touches_by_id_users')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_touches_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_touches_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touches'))
    )
    with op.batch_alter_table('touches', schema=None) as batch_op:
        batch_op.create_index('ix_touches_company_on', ['company_id', 'touched_on'], unique=False)
        batch_op.create_index('ix_touches_contact_on', ['contact_id', 'touched_on'], unique=False)

    op.create_table('whitespace_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('product_line_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'quoted', 'installed', 'competitor', name='cellstatus', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['buying_centres.id'], name=op.f('fk_whitespace_cells_centre_id_buying_centres'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_whitespace_cells_opportunity_id_opportunities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_line_id'], ['product_lines.id'], name=op.f('fk_whitespace_cells_product_line_id_product_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whitespace_cells')),
    sa.UniqueConstraint('centre_id', 'product_line_id', name=op.f('uq_whitespace_cells_centre_id_product_line_id'))
    )
    with op.batch_alter_table('whitespace_cells', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whitespace_cells_product_line_id'), ['product_line_id'], unique=False)

    with op.batch_alter_table('cadence_rules', schema=None) as batch_op:
        for line in ("business", "technical", "management"):
            batch_op.add_column(sa.Column(f'{line}_gap_days', sa.Integer(), nullable=True))
            batch_op.create_check_constraint(op.f(f"ck_cadence_rules_{line}_gap_positive"),
                                             f"{line}_gap_days IS NULL OR {line}_gap_days > 0")
    for tier, (business, technical, management) in LINE_DAYS.items():
        op.execute(sa.text("UPDATE cadence_rules SET business_gap_days = :b, technical_gap_days = :t, "
                           "management_gap_days = :m WHERE tier = :tier")
                   .bindparams(b=business, t=technical, m=management, tier=tier))

    # Two roles of the customer's node people: the workshop director and the equipment manager.
    with op.batch_alter_table('contact_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contact_roles_contactrole"), type_="check")
        batch_op.alter_column('role', existing_type=sa.String(length=18), type_=sa.String(length=21),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f("ck_contact_roles_contactrole"), _roles_in(NEW_ROLES))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=""))



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('notes')

    op.execute("DELETE FROM contact_roles WHERE role IN ('workshop_director', 'equipment_manager')")
    with op.batch_alter_table('contact_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contact_roles_contactrole"), type_="check")
        batch_op.alter_column('role', existing_type=sa.String(length=21), type_=sa.String(length=18),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f("ck_contact_roles_contactrole"), _roles_in(OLD_ROLES))

    with op.batch_alter_table('cadence_rules', schema=None) as batch_op:
        for line in ("management", "technical", "business"):
            batch_op.drop_constraint(op.f(f"ck_cadence_rules_{line}_gap_positive"), type_="check")
            batch_op.drop_column(f'{line}_gap_days')

    with op.batch_alter_table('whitespace_cells', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whitespace_cells_product_line_id'))

    op.drop_table('whitespace_cells')
    with op.batch_alter_table('touches', schema=None) as batch_op:
        batch_op.drop_index('ix_touches_contact_on')
        batch_op.drop_index('ix_touches_company_on')

    op.drop_table('touches')
    with op.batch_alter_table('plan_objectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_objectives_plan_id'))

    op.drop_table('plan_objectives')
    with op.batch_alter_table('care_spends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_spends_plan_id'))

    op.drop_table('care_spends')
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_changes_company_at')

    op.drop_table('stage_changes')
    with op.batch_alter_table('key_account_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_account_proposals_company_id'))

    op.drop_table('key_account_proposals')
    with op.batch_alter_table('buying_centres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buying_centres_company_id'))

    op.drop_table('buying_centres')
    with op.batch_alter_table('account_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_plans_company_id'))

    op.drop_table('account_plans')
    with op.batch_alter_table('account_care', schema=None) as batch_op:
        batch_op.drop_index('ix_account_care_health')
        batch_op.drop_index('ix_account_care_due')

    op.drop_table('account_care')
    op.drop_table('region_account_settings')
    with op.batch_alter_table('product_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_lines_region_id'))

    op.drop_table('product_lines')
