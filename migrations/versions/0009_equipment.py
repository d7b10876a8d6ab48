"""Installed equipment, spare parts, regional stock and stock moves

Machine models and the parts catalogue are shared by every region; a region keeps its installed
base (serials unique per region), its stock policy per part, and its stock moves, whose sum is
what it has on hand. Installed-base imports remember their rows for undo.

Revision ID: 0009_equipment
Revises: 0008_key_accounts
"""
import sqlalchemy as sa
from alembic import op

import app.core.types

revision = "0009_equipment"
down_revision = "0008_key_accounts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('machine_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machine_models')),
    sa.UniqueConstraint('key', name=op.f('uq_machine_models_key'))
    )
    op.create_table('spare_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('failure_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('unit_cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('failure_rate >= 0 AND failure_rate <= 10', name=op.f('ck_spare_parts_failure_rate_0_to_10')),
    sa.CheckConstraint('unit_cost_cents >= 0', name=op.f('ck_spare_parts_unit_cost_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spare_parts')),
    sa.UniqueConstraint('number', name=op.f('uq_spare_parts_number'))
    )
    op.create_table('equipment_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('uploaded', 'committed', 'undone', name='batchstatus', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('committed_at', app.core.types.UTCDateTime(), nullable=True),
    sa.Column('undone_at', app.core.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_equipment_imports_region_id_regions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_equipment_imports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipment_imports'))
    )
    with op.batch_alter_table('equipment_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equipment_imports_region_id'), ['region_id'], unique=False)

    op.create_table('part_models',
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['machine_models.id'], name=op.f('fk_part_models_model_id_machine_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['spare_parts.id'], name=op.f('fk_part_models_part_id_spare_parts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('part_id', 'model_id', name=op.f('pk_part_models'))
    )
    with op.batch_alter_table('part_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_models_model_id'), ['model_id'], unique=False)

    op.create_table('part_stock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.Column('maximum', sa.Integer(), nullable=True),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('min_source', sa.Enum('manual', 'suggested', name='minsource', native_enum=False, create_constraint=True, length=13), nullable=False),
    sa.CheckConstraint('lead_days >= 0', name=op.f('ck_part_stock_lead_days_not_negative')),
    sa.CheckConstraint('maximum IS NULL OR maximum >= 0', name=op.f('ck_part_stock_maximum_not_negative')),
    sa.CheckConstraint('minimum >= 0', name=op.f('ck_part_stock_minimum_not_negative')),
    sa.ForeignKeyConstraint(['part_id'], ['spare_parts.id'], name=op.f('fk_part_stock_part_id_spare_parts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_part_stock_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_part_stock')),
    sa.UniqueConstraint('region_id', 'part_id', name=op.f('uq_part_stock_region_id_part_id'))
    )
    with op.batch_alter_table('part_stock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_stock_part_id'), ['part_id'], unique=False)

    op.create_table('stock_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receive', 'issue', 'transfer_out', 'transfer_in', 'correction', name='movekind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('transfer_id', sa.String(length=32), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', app.core.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(kind NOT IN ('receive', 'transfer_in') OR quantity > 0) AND (kind NOT IN ('issue', 'transfer_out') OR quantity < 0)", name=op.f('ck_stock_moves_sign_follows_kind')),
    sa.CheckConstraint("kind <> 'correction' OR reason <> ''", name=op.f('ck_stock_moves_correction_has_reason')),
    sa.CheckConstraint("kind NOT IN ('transfer_in', 'transfer_out') OR transfer_id IS NOT NULL", name=op.f('ck_stock_moves_transfer_paired')),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_stock_moves_quantity_not_zero')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_stock_moves_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['part_id'], ['spare_parts.id'], name=op.f('fk_stock_moves_part_id_spare_parts')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_stock_moves_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_moves'))
    )
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_moves_part_id'), ['part_id'], unique=False)
        batch_op.create_index('ix_stock_moves_region_part_quantity', ['region_id', 'part_id', 'quantity'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_moves_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('installed_equipment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=80), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('warranty_until', sa.Date(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', app.core.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('warranty_until IS NULL OR installed_on IS NULL OR warranty_until >= installed_on', name=op.f('ck_installed_equipment_warranty_after_install')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_installed_equipment_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['equipment_imports.id'], name=op.f('fk_installed_equipment_import_id_equipment_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['model_id'], ['machine_models.id'], name=op.f('fk_installed_equipment_model_id_machine_models')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_installed_equipment_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installed_equipment')),
    sa.UniqueConstraint('region_id', 'serial', name=op.f('uq_installed_equipment_region_id_serial'))
    )
    with op.batch_alter_table('installed_equipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installed_equipment_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_equipment_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_installed_equipment_region_model', ['region_id', 'model_id'], unique=False)
        batch_op.create_index('ix_installed_equipment_region_warranty', ['region_id', 'warranty_until'], unique=False)


def downgrade():
    with op.batch_alter_table('installed_equipment', schema=None) as batch_op:
        batch_op.drop_index('ix_installed_equipment_region_warranty')
        batch_op.drop_index('ix_installed_equipment_region_model')
        batch_op.drop_index(batch_op.f('ix_installed_equipment_import_id'))
        batch_op.drop_index(batch_op.f('ix_installed_equipment_company_id'))

    op.drop_table('installed_equipment')
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_moves_transfer_id'))
        batch_op.drop_index('ix_stock_moves_region_part_quantity')
        batch_op.drop_index(batch_op.f('ix_stock_moves_part_id'))

    op.drop_table('stock_moves')
    with op.batch_alter_table('part_stock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_stock_part_id'))

    op.drop_table('part_stock')
    with op.batch_alter_table('part_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_models_model_id'))

    op.drop_table('part_models')
    with op.batch_alter_table('equipment_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equipment_imports_region_id'))

    op.drop_table('equipment_imports')
    op.drop_table('spare_parts')
    op.drop_table('machine_models')
