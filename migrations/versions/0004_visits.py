"""Visits and experts: head-office experts, team leads and answers, region scheduling rules,
escalations, recorded conflict overrides, contacts met on a visit.

Revision ID: 0004_visits
Revises: 0003_seminars
"""
from alembic import op
import sqlalchemy as sa

import app.core.types

revision = "0004_visits"
down_revision = "0003_seminars"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.alter_column("region_id", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("visit_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_lead", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("response", sa.String(length=13), nullable=True))
        batch_op.create_check_constraint(op.f("ck_visit_members_memberresponse"),
                                         "response IN ('requested', 'confirmed', 'declined')")

    op.create_table(
        "region_visit_settings",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("travel_buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("day_start_minutes", sa.Integer(), nullable=False),
        sa.Column("day_end_minutes", sa.Integer(), nullable=False),
        sa.Column("work_weekends", sa.Boolean(), nullable=False),
        sa.Column("escalation_threshold_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("travel_buffer_minutes BETWEEN 0 AND 1440",
                           name=op.f("ck_region_visit_settings_buffer_in_a_day")),
        sa.CheckConstraint("day_end_minutes > day_start_minutes", name=op.f("ck_region_visit_settings_day_ends_after_starts")),
        sa.CheckConstraint("escalation_threshold_cents >= 0",
                           name=op.f("ck_region_visit_settings_threshold_not_negative")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"],
                                name=op.f("fk_region_visit_settings_region_id_regions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("region_id", name=op.f("pk_region_visit_settings")),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("from_level", sa.Integer(), nullable=False),
        sa.Column("proposed_level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("user_ids", sa.JSON(), nullable=False),
        sa.Column("expert_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("pending", "approved", "declined", name="escalationstatus",
                                    native_enum=False, create_constraint=True, length=12), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("proposed_at", app.core.types.UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", app.core.types.UTCDateTime(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("proposed_level BETWEEN 1 AND 4", name=op.f("ck_escalations_level_1_to_4")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_escalations_company_id_companies"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_escalations_decided_by_id_users")),
        sa.ForeignKeyConstraint(["opportunity_id"], ["opportunities.id"],
                                name=op.f("fk_escalations_opportunity_id_opportunities"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_escalations_region_id_regions")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_escalations_visit_id_visits"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index("ix_escalations_region_status", ["region_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_company_id"), ["company_id"], unique=False)

    op.create_table(
        "visit_conflict_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", app.core.types.UTCDateTime(), nullable=False),
        sa.Column("conflicts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_visit_conflict_overrides_user_id_users")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_visit_conflict_overrides_visit_id_visits"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_conflict_overrides")),
    )
    with op.batch_alter_table("visit_conflict_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_conflict_overrides_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_contacts",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_visit_contacts_contact_id_contacts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_visit_contacts_visit_id_visits"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visit_id", "contact_id", name=op.f("pk_visit_contacts")),
    )
    with op.batch_alter_table("visit_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_contacts_contact_id"), ["contact_id"], unique=False)


def downgrade():
    op.drop_table("visit_contacts")
    op.drop_table("visit_conflict_overrides")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_company_id"))
        batch_op.drop_index("ix_escalations_region_status")
    op.drop_table("escalations")
    op.drop_table("region_visit_settings")
    with op.batch_alter_table("visit_members", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_visit_members_memberresponse"), type_="check")
        batch_op.drop_column("response")
        batch_op.drop_column("is_lead")
    with op.batch_alter_table("experts", schema=None) as batch_op:
        batch_op.alter_column("region_id", existing_type=sa.Integer(), nullable=False)
